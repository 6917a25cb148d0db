"""The dashboards in English when the firm's language setting says so, in a real browser."""

from __future__ import annotations

import casetrack_nb as ct


def test_dashboards_switch_to_english(super_db, voila, new_page):
    ct.set_setting(super_db, "language", "en")
    ct.add_client(super_db, name="Compañía Minera Ñuble S.A.")
    server = voila(super_db.path, "socia")
    page = new_page()

    page.goto(server.page_url("clientes.ipynb"))
    page.get_by_role("button", name="+ Add Client").wait_for()
    body = page.inner_text("body")
    assert "Administration › Clients" in body
    assert "Compañía Minera Ñuble S.A." in body
    assert "Agregar" not in body

    page.goto(server.page_url("portafolio.ipynb"))
    page.get_by_text("Portfolio ›").first.wait_for()
    assert "Limpiar filtros" not in page.inner_text("body")

    page.goto(server.page_url("importancia.ipynb"))
    page.get_by_text("Client importance").first.wait_for()
    assert "Importancia de los clientes" not in page.inner_text("body")
