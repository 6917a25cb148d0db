"""Portafolio in real Chromium against a real Voilà: client filter, status switch, deep link, download.

The three tests share one server and one database that none of them changes.
"""

from __future__ import annotations

import pandas as pd
import pytest

import casetrack_nb as ct

from conftest import VoilaServer, make_users
from portfolio_sample import CLIENTS, build_portfolio

pytestmark = pytest.mark.browser

CLIENT_SEARCH = ".ct-filters .ct-client-search input"


@pytest.fixture(scope="module")
def portfolio_server(tmp_path_factory):
    """One Voilà server as `admin` over the sample portfolio, for every test in this module."""
    path = tmp_path_factory.mktemp("portafolio") / "casetrack.duckdb"
    make_users(path)
    client_ids, _case_ids = build_portfolio(ct.open_database(path, user="admin"))
    server = VoilaServer(path, "admin")
    yield server, client_ids
    server.stop()


def open_portfolio(new_page, server: VoilaServer, query: str = ""):
    page = new_page()
    page.goto(server.page_url("portafolio.ipynb", query))
    page.locator(".ct-result-count").wait_for()
    return page


def shown_numbers(page) -> list[str]:
    return page.locator(".ct-case-row > div:first-child").all_inner_texts()


def test_client_filter_and_all_statuses(new_page, portfolio_server):
    server, _client_ids = portfolio_server
    page = open_portfolio(new_page, server)
    count = page.locator(".ct-result-count")
    assert count.inner_text() == "10 resultados"

    page.locator(CLIENT_SEARCH).fill(CLIENTS["A"])
    page.get_by_role("button", name=f"{CLIENTS['A']} ✕").wait_for()
    page.get_by_text("4 resultados").wait_for()
    assert sorted(shown_numbers(page)) == ["C-100-2023", "C-101-2023", "C-105-2025", "C-107-2025"]
    assert page.locator(".ct-case-row .ct-badge-inactiva").count() == 0

    page.get_by_role("button", name="Todas", exact=True).click()
    page.get_by_text("5 resultados").wait_for()
    assert sorted(shown_numbers(page)) == ["C-100-2023", "C-101-2023", "C-104-2024", "C-105-2025", "C-107-2025"]
    inactive = page.locator(".ct-case-row", has=page.locator(".ct-badge-inactiva"))
    assert inactive.count() == 1
    assert "Minera Ñuble con SMA" in inactive.inner_text()


def test_deep_link_applies_client_filter(new_page, portfolio_server):
    server, client_ids = portfolio_server
    page = open_portfolio(new_page, server, f"?cliente={client_ids['B']}")

    page.get_by_role("button", name=f"{CLIENTS['B']} ✕").wait_for()
    assert page.locator(".ct-result-count").inner_text() == "2 resultados"
    assert sorted(shown_numbers(page)) == ["L-200-2023", "L-202-2025"]
    assert page.locator(".ct-notice-warn").count() == 0

    bad = open_portfolio(new_page, server, "?cliente=abc")
    bad.get_by_text("El enlace pide el cliente «abc», que no es un id válido").wait_for()
    assert bad.locator(".ct-result-count").inner_text() == "10 resultados"


def test_export_downloads_filtered_rows(new_page, portfolio_server, tmp_path):
    server, client_ids = portfolio_server
    page = open_portfolio(new_page, server, f"?cliente={client_ids['C']}")
    page.get_by_text("2 resultados").wait_for()
    page.get_by_role("button", name="Todas", exact=True).click()
    page.get_by_text("3 resultados").wait_for()

    page.get_by_role("button", name="Exportar CSV").click()
    link = page.locator("a.ct-download")
    link.wait_for()
    assert "3 filas" in link.inner_text()
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename.endswith(".csv")
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)

    assert saved.read_bytes().startswith(b"\xef\xbb\xbf")
    table = pd.read_csv(saved, sep=";", decimal=",", encoding="utf-8-sig")
    assert sorted(table["Número (rol, radicado, expediente)"]) == ["C-102-2024", "C-106-2025", "T-300-2024"]
    assert set(table["Cliente"]) == {"Pérez y Cía Ltda."}
    assert "Tributario Pérez" in set(table["Carátula"])
    assert "'=cmd() demanda" in set(table["Carátula"])
