"""The Clientes dashboard in real Chromium against a real Voilà server, driven by visible text and roles."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

import casetrack_nb as ct

XSS_NAME = "<img src=x onerror=alert(1)>"


def open_clients(page: Page, server) -> None:
    page.goto(server.page_url("clientes.ipynb"))
    expect(page.get_by_text("Página 1 de 1")).to_be_visible(timeout=60_000)


def row(page: Page, name: str):
    return page.locator(".ct-row").filter(has_text=name)


def dialog(page: Page):
    return page.locator(".ct-modal-backdrop")


def add_client(page: Page, name: str, *, click_save: bool = True) -> None:
    page.get_by_role("button", name="+ Agregar Cliente").click()
    form = dialog(page)
    expect(form.get_by_text("Agregar cliente")).to_be_visible()
    form.locator("input[type=text]").first.fill(name)
    if click_save:
        form.get_by_role("button", name="Guardar").click()  # right after typing, no blur first


@pytest.fixture
def seeded_db(admin_db):
    """Clients for the browser flows: one with active and inactive cases, one without cases."""
    with_cases = ct.add_client(admin_db, name="Minera Cordillera S.A.")
    ct.add_case(admin_db, case_number="C-1200-2024", client_id=with_cases["id"], title="Cobro de facturas")
    ct.add_case(admin_db, case_number="C-88-2021", client_id=with_cases["id"], status="inactiva", title="Arbitraje cerrado")
    ct.add_client(admin_db, name="Pesquera Austral Ltda.")
    ct.add_client(admin_db, name=XSS_NAME)
    return admin_db


def test_admin_flows_in_browser(seeded_db, voila, new_page):
    server = voila(seeded_db.path, "admin")
    page = new_page()
    alerts: list[str] = []
    page.on("dialog", lambda browser_dialog: (alerts.append(browser_dialog.message), browser_dialog.dismiss()))

    # The root address opens the landing page, whose cards lead to the dashboards.
    page.goto(server.url + "/")
    expect(page.get_by_text("casetrack · Inicio")).to_be_visible(timeout=60_000)
    expect(page.get_by_role("link", name=re.compile("Portafolio")).first).to_be_visible()
    page.get_by_role("link", name=re.compile("Administración › Clientes")).last.click()
    expect(page.get_by_text("Página 1 de 1")).to_be_visible(timeout=60_000)
    expect(page.get_by_text("Usuario: admin · Rol: admin")).to_be_visible()

    # The HTML-looking name is shown as text and runs nothing.
    expect(page.get_by_text(XSS_NAME, exact=True)).to_be_visible()
    assert page.locator(".ct-row img").count() == 0

    # Add with only a name, clicking "Guardar" right after typing.
    add_client(page, "Viña Los Robles")
    expect(row(page, "Viña Los Robles")).to_be_visible()
    expect(dialog(page)).to_have_count(0)
    expect(page.get_by_text("Cliente «Viña Los Robles» guardado.")).to_be_visible()

    # Edit it through the options menu.
    row(page, "Viña Los Robles").get_by_role("button", name="⋮").click()
    row(page, "Viña Los Robles").get_by_role("button", name="Editar").click()
    name_input = dialog(page).locator("input[type=text]").first
    expect(name_input).to_have_value("Viña Los Robles")
    name_input.fill("Viña Los Robles Reserva")
    dialog(page).get_by_role("button", name="Guardar").click()
    expect(row(page, "Viña Los Robles Reserva")).to_be_visible()
    assert ct.list_clients(seeded_db, search="reserva").total == 1

    # Delete a client without cases, after confirming.
    row(page, "Pesquera Austral").get_by_role("button", name="⋮").click()
    row(page, "Pesquera Austral").get_by_role("button", name="Eliminar").click()
    expect(dialog(page).get_by_text("¿Eliminar el cliente «Pesquera Austral Ltda.»?")).to_be_visible()
    dialog(page).get_by_role("button", name="Eliminar").click()
    expect(row(page, "Pesquera Austral")).to_have_count(0)
    expect(page.get_by_text("Cliente «Pesquera Austral Ltda.» eliminado.")).to_be_visible()

    # A client with cases is not deleted: the reason shows at once, with nothing to confirm.
    row(page, "Minera Cordillera").get_by_role("button", name="⋮").click()
    row(page, "Minera Cordillera").get_by_role("button", name="Eliminar").click()
    expect(dialog(page).get_by_text(re.compile(r"No se puede eliminar «Minera Cordillera S.A.».*: 2\)"))).to_be_visible()
    expect(dialog(page).get_by_role("button", name="Eliminar")).to_be_hidden()
    dialog(page).get_by_role("button", name="Cancelar").click()
    expect(row(page, "Minera Cordillera")).to_be_visible()

    # The count opens the client's active and inactive cases, with a filter.
    row(page, "Minera Cordillera").get_by_role("button", name="2").click()
    panel = page.locator(".ct-client-cases")
    expect(panel.get_by_text("C-1200-2024")).to_be_visible()
    expect(panel.get_by_text("C-88-2021")).to_be_visible()
    expect(panel.locator(".ct-badge-activa")).to_have_count(1)
    expect(panel.locator(".ct-badge-inactiva")).to_have_count(1)
    panel.get_by_role("button", name="Inactiva", exact=True).click()
    expect(panel.get_by_text("C-1200-2024")).to_have_count(0)
    expect(panel.get_by_text("C-88-2021")).to_be_visible()
    link = panel.get_by_role("link", name=re.compile("Portafolio"))
    expect(link).to_have_attribute("href", re.compile(r"portafolio\.ipynb\?cliente=\d+&estado=inactivas$"))

    assert alerts == []


def test_read_only_user_in_browser(seeded_db, voila, new_page):
    # Clients sorted before "Minera Cordillera" fill the page, so its row is near the bottom.
    for number in range(22):
        ct.add_client(seeded_db, name=f"Agrícola Valle {number:02d}")
    server = voila(seeded_db.path, "analista")
    page = new_page()
    page.set_viewport_size({"width": 1400, "height": 900})
    open_clients(page, server)

    expect(page.get_by_text("Usuario: analista · Rol: usuario")).to_be_visible()
    expect(row(page, "Minera Cordillera")).to_be_visible()
    expect(page.get_by_role("button", name="+ Agregar Cliente")).to_have_count(0)
    expect(page.get_by_role("button", name="⋮")).to_have_count(0)
    expect(page.get_by_role("button", name="Editar")).to_have_count(0)
    expect(page.get_by_role("button", name="Eliminar")).to_have_count(0)

    # Reading the cases is open to everyone. The panel opens above the list and the page
    # scrolls up to it, although the count was clicked at the bottom of the list.
    row(page, "Minera Cordillera").get_by_role("button", name="2").click()
    panel = page.locator(".ct-client-cases")
    expect(panel.get_by_text("C-88-2021")).to_be_visible()
    expect(panel.get_by_text("Causas/Procesos/Casos/Expediente de «Minera Cordillera S.A.»")).to_be_in_viewport()
    assert panel.bounding_box()["y"] < row(page, "Minera Cordillera").bounding_box()["y"]


def test_two_tabs_add_clients_at_once(admin_db, voila, new_page):
    server = voila(admin_db.path, "admin")
    first, second = new_page(), new_page()
    for page in (first, second):
        page.goto(server.page_url("clientes.ipynb"))
    for page in (first, second):
        expect(page.get_by_text("Página 1 de 1")).to_be_visible(timeout=60_000)

    add_client(first, "Cliente de la pestaña uno", click_save=False)
    add_client(second, "Cliente de la pestaña dos", click_save=False)
    # Both kernels write to the same file at nearly the same moment.
    first.get_by_role("button", name="Guardar").click(no_wait_after=True)
    second.get_by_role("button", name="Guardar").click(no_wait_after=True)
    expect(first.get_by_text("Cliente «Cliente de la pestaña uno» guardado.")).to_be_visible()
    expect(second.get_by_text("Cliente «Cliente de la pestaña dos» guardado.")).to_be_visible()

    for page in (first, second):
        page.get_by_role("button", name="Actualizar").click()
        expect(page.get_by_text("Lista actualizada.")).to_be_visible()
        expect(row(page, "pestaña uno")).to_be_visible()
        expect(row(page, "pestaña dos")).to_be_visible()
    assert ct.list_clients(admin_db, search="pestaña").total == 2
