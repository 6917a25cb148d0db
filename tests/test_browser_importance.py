"""Importancia in real Chromium against a real Voilà: ranking, Pareto bars, hidden analyst section."""

from __future__ import annotations

import pytest

from test_importance import build_portfolio

pytestmark = pytest.mark.browser


def test_dashboard_shows_ranking_and_chart(admin_db, voila, new_page):
    build_portfolio(admin_db)
    server = voila(admin_db.path, "analista")
    page = new_page()
    page.goto(server.page_url("importancia.ipynb"))

    page.locator(".ct-ranking").wait_for()
    rows = page.locator(".ct-ranking tbody tr")
    assert rows.count() == 6
    assert rows.first.locator("td").nth(1).inner_text() == "Alfa"
    assert "40,0 %" in rows.first.inner_text()
    assert page.get_by_text("Clientes con causas activas", exact=True).is_visible()

    bars = page.locator(".bqplot .bargroup rect")
    bars.first.wait_for()
    assert bars.count() == 5
    assert page.get_by_text("Pareto de causas activas", exact=True).is_visible()
    assert page.get_by_text("Causas iniciadas por mes", exact=True).is_visible()
    analyst_heading = page.locator("h2", has_text="Análisis en JupyterLab")
    assert analyst_heading.count() == 1  # rendered by Voilà, then hidden by the app's style sheet
    assert not analyst_heading.is_visible()
    assert page.locator(".ct-notice-error").count() == 0
