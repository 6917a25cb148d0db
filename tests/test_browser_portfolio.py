"""Portafolio in real Chromium against a real Voilà: filters, deep link, layout, download.

The tests share one server and one database that none of them changes.
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


def open_portfolio(new_page, server: VoilaServer, query: str = "", *, width: int | None = None):
    page = new_page()
    if width:
        page.set_viewport_size({"width": width, "height": 900})
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

    page.get_by_role("button", name="Todos los estados", exact=True).click()
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


def test_deep_link_carries_status(new_page, portfolio_server):
    server, client_ids = portfolio_server
    page = open_portfolio(new_page, server, f"?cliente={client_ids['A']}&estado=todas")

    page.get_by_role("button", name=f"{CLIENTS['A']} ✕").wait_for()
    assert page.locator(".ct-result-count").inner_text() == "5 resultados"
    assert len(shown_numbers(page)) == 5
    assert page.locator(".ct-notice-warn").count() == 0

    bad = open_portfolio(new_page, server, "?estado=cerradas")
    bad.get_by_text("El enlace pide el estado «cerradas», que no es válido").wait_for()
    assert bad.locator(".ct-result-count").inner_text() == "10 resultados"


def test_enter_picks_client_and_dates_parse(new_page, portfolio_server):
    server, _client_ids = portfolio_server
    page = open_portfolio(new_page, server)

    search = page.locator(CLIENT_SEARCH)
    search.fill("a")
    search.press("Enter")
    page.get_by_text("Elija un cliente de la lista (").wait_for()

    search.fill("construct")
    search.press("Enter")
    page.get_by_role("button", name=f"{CLIENTS['B']} ✕").wait_for()
    page.get_by_text("2 resultados").wait_for()
    assert sorted(shown_numbers(page)) == ["L-200-2023", "L-202-2025"]

    opened_from = page.get_by_placeholder("dd-mm-aaaa").first
    opened_from.fill("01-01-2025")
    opened_from.press("Enter")
    page.get_by_text("1 resultado", exact=True).wait_for()
    assert shown_numbers(page) == ["L-202-2025"]

    opened_from.fill("2025-13-01")
    opened_from.press("Enter")
    page.get_by_text("La fecha «2025-13-01» de «Inicio desde» no existe en el calendario", exact=False).wait_for()


@pytest.mark.parametrize("width", [1400, 1280])
def test_admin_actions_keep_own_column(new_page, portfolio_server, width):
    server, _client_ids = portfolio_server
    page = open_portfolio(new_page, server, width=width)

    head_cells = page.locator(".ct-case-head .ct-headcell")
    boxes = [head_cells.nth(i).bounding_box() for i in range(head_cells.count())]
    assert len(boxes) == 10
    for left, right in zip(boxes, boxes[1:]):
        assert left["x"] + left["width"] <= right["x"] + 0.5, (left, right)

    actions_head = page.locator(".ct-actions-head").bounding_box()
    assert boxes[-1]["x"] + boxes[-1]["width"] <= actions_head["x"] + 0.5
    assert actions_head["x"] + actions_head["width"] <= width

    first_row = page.locator(".ct-row").nth(1)
    lawyer = first_row.locator(".ct-case-row > div").nth(9).bounding_box()
    button = first_row.get_by_role("button", name="Desactivar").bounding_box()
    assert lawyer["x"] + lawyer["width"] <= button["x"], (lawyer, button)
    assert button["x"] + button["width"] <= width
    assert first_row.locator(".ct-case-row > div").nth(9).inner_text() == "Ana Rojas"


def test_export_downloads_filtered_rows(new_page, portfolio_server, tmp_path):
    server, client_ids = portfolio_server
    page = open_portfolio(new_page, server, f"?cliente={client_ids['C']}")
    page.get_by_text("2 resultados").wait_for()
    page.get_by_role("button", name="Todos los estados", exact=True).click()
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


def test_read_only_user_sees_the_rows(new_page, portfolio_server):
    admin_server, _client_ids = portfolio_server
    server = VoilaServer(admin_server.db_path, "analista")
    try:
        page = open_portfolio(new_page, server)
        rows = page.locator(".ct-case-row")

        assert page.locator(".ct-result-count").inner_text() == "10 resultados"
        assert rows.count() == 10
        # Each row's widget must take up room on the page: a zero-height container lets
        # the rows overflow on top of one another and of the pager.
        containers = page.locator(".ct-cells")
        tops = []
        for index in range(containers.count()):
            box = containers.nth(index).bounding_box()
            assert box is not None and box["height"] > 10, (index, box)
            tops.append(box["y"])
        assert all(later - earlier > 10 for earlier, later in zip(tops, tops[1:])), tops
        assert page.get_by_role("button", name="Desactivar").count() == 0
    finally:
        server.stop()
