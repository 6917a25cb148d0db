"""Importancia in real Chromium against a real Voilà: ranking, Pareto bars, hidden analyst section."""

from __future__ import annotations

import datetime as dt

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
    assert rows.count() == 5  # Épsilon has no cases
    assert rows.first.locator("td").nth(1).inner_text() == "Alfa"
    assert "40,0 %" in rows.first.inner_text()
    assert page.get_by_text("Clientes con causas/procesos/casos/expediente en estado Activa",
                            exact=True).is_visible()
    assert rows.filter(has_text="Épsilon").count() == 0  # no cases in the selection: not ranked
    assert page.locator("h1", has_text="Importancia de los clientes").count() == 1  # the header's, not the cell's
    assert page.get_by_text("Quiénes sostienen la cartera activa").count() == 1

    bars = page.locator(".bqplot .bargroup rect")
    bars.first.wait_for()
    assert bars.count() == 5
    ticks = page.locator(".bqplot .axis").first.locator(".tick text")
    assert [ticks.nth(index).text_content() for index in range(ticks.count())] == ["1", "2", "3", "4", "5"]
    bars.first.hover()
    page.locator(".ct-pareto-tip b", has_text="1. Alfa").wait_for()  # the hover tooltip names the client
    assert page.get_by_text("Pareto: causas/procesos/casos/expediente en estado Activa por cliente",
                            exact=True).is_visible()
    assert page.get_by_text("Ingresos de causas/procesos/casos/expediente por mes", exact=True).is_visible()

    assert page.locator("input[type=date]").count() == 0
    as_of = page.get_by_placeholder("dd-mm-aaaa").nth(2)
    assert as_of.input_value() == dt.date.today().strftime("%d-%m-%Y")
    assert page.locator(".ct-weight-share").first.inner_text() == "40,0 %"  # the active-cases weight
    assert page.locator(".widget-readout:visible").count() == 0  # no d3 slider readout with a decimal point
    as_of.fill("13/31/2025")
    page.get_by_role("button", name="Aplicar").click()
    page.get_by_text("La fecha «13/31/2025» de «Fecha de corte» no existe en el calendario", exact=False).wait_for()
    analyst_heading = page.locator("h2", has_text="Análisis en JupyterLab")
    assert analyst_heading.count() == 1  # rendered by Voilà, then hidden by the app's style sheet
    assert not analyst_heading.is_visible()
    assert page.locator(".ct-notice-error").count() == 1  # only the bad date's message
