"""The Clientes dashboard driven headless: widgets built on a real database, values set, buttons clicked."""

from __future__ import annotations

import ipywidgets as widgets
import pytest

import casetrack_nb as ct
from casetrack_nb.ui import ClientsApp, HomeApp
from casetrack_nb.ui.base import esc, load_context

XSS_NAME = "<img src=x onerror=alert(1)>"


def build_app(db) -> ClientsApp:
    return ClientsApp(load_context(db))


def names(app: ClientsApp) -> list[str]:
    return [row.client["name"] for row in app.table.rows]


def row_named(app: ClientsApp, name: str):
    return next(row for row in app.table.rows if row.client["name"] == name)


def all_widgets(root: widgets.Widget):
    """Every widget reachable from `root` through children (boxes, accordions)."""
    stack = [root]
    while stack:
        widget = stack.pop()
        yield widget
        stack.extend(getattr(widget, "children", ()) or ())


def test_add_with_only_a_name(admin_db):
    app = build_app(admin_db)
    assert not app.form.is_open

    app.add_button.click()
    assert app.form.is_open
    app.form.fields["name"].value = "  Constructora Andes SpA "
    app.form.save_button.click()

    assert not app.form.is_open
    assert names(app) == ["Constructora Andes SpA"]
    assert "Constructora Andes SpA" in app.notice.value
    stored = ct.list_clients(admin_db).rows
    assert stored["name"].tolist() == ["Constructora Andes SpA"]
    assert stored["created_by"].tolist() == ["admin"]


def test_validation_errors_next_to_fields(admin_db):
    app = build_app(admin_db)
    app.add_button.click()
    app.form.fields["name"].value = "   "
    app.form.fields["email"].value = "no-es-un-correo"
    app.form.fields["tax_country"].value = "CL"
    app.form.fields["tax_id"].value = "76.123.456-1"  # the check digit should be 0
    app.form.save_button.click()

    assert app.form.is_open
    assert "obligatorio" in app.form.errors["name"].value
    assert "no-es-un-correo" in app.form.errors["email"].value
    assert "76.123.456-1" in app.form.errors["tax_id"].value
    assert app.form.errors["phone"].value == ""
    assert "Revise los campos" in app.form.notice.value
    assert ct.list_clients(admin_db).total == 0

    # What the user typed stays in the dialog to be corrected.
    assert app.form.fields["email"].value == "no-es-un-correo"


def test_save_anyway_button_fits_its_label(admin_db):
    app = build_app(admin_db)
    assert app.form.confirm_button.description == "Guardar de todos modos"
    assert app.form.confirm_button.layout.width == "auto"


def test_duplicate_name_needs_confirmation(admin_db):
    ct.add_client(admin_db, name="Minera del Norte S.A.")
    app = build_app(admin_db)

    app.add_button.click()
    app.form.fields["name"].value = "MINERA DEL NORTE SA"
    app.form.save_button.click()

    assert app.form.is_open
    assert "Minera del Norte S.A." in app.form.errors["name"].value
    assert app.form.confirm_button.layout.display is None
    assert ct.list_clients(admin_db).total == 1

    app.form.confirm_button.click()
    assert not app.form.is_open
    assert ct.list_clients(admin_db).total == 2
    assert sorted(names(app)) == ["MINERA DEL NORTE SA", "Minera del Norte S.A."]


def test_tax_id_taken_names_other_client(admin_db):
    ct.add_client(admin_db, name="Agrícola Sur Ltda.", tax_country="CL", tax_id="76.086.428-5")
    app = build_app(admin_db)

    app.add_button.click()
    app.form.fields["name"].value = "Otra empresa"
    app.form.fields["tax_country"].value = "CL"
    app.form.fields["tax_id"].value = "76086428-5"
    app.form.save_button.click()

    assert app.form.is_open
    assert "Agrícola Sur Ltda." in app.form.errors["tax_id"].value
    assert app.form.groups.selected_index is not None  # the tax group opens to show the error
    assert ct.list_clients(admin_db).total == 1


def test_edit_saves_changes(admin_db):
    client = ct.add_client(admin_db, name="Pesquera Austral")
    app = build_app(admin_db)
    row = app.table.rows[0]
    assert row.edit_button is None  # menu items are built when the menu opens

    row.menu_button.click()
    row.edit_button.click()
    assert app.form.is_open
    assert app.form.fields["name"].value == "Pesquera Austral"
    app.form.fields["industry"].value = "Pesca"
    app.form.fields["client_since"].value = "15-03-2019"
    app.form.save_button.click()

    assert not app.form.is_open
    stored = ct.get_client(admin_db, client["id"])
    assert stored["industry"] == "Pesca"
    assert stored["client_since"].isoformat() == "2019-03-15"
    assert stored["version"] == client["version"] + 1
    assert "Pesca" in app.table.rows[0].cells.value


def test_edit_conflict_keeps_typed_data(admin_db, super_db):
    client = ct.add_client(admin_db, name="Viña Los Robles")
    app = build_app(admin_db)
    app.table.rows[0].menu_button.click()
    app.table.rows[0].edit_button.click()
    app.form.fields["notes"].value = "Contrato renovado"

    ct.update_client(super_db, client["id"], {"phone": "+56 2 2345 6789"}, expected_version=client["version"])
    app.form.save_button.click()

    assert app.form.is_open
    assert "socia" in app.form.notice.value
    assert "Viña Los Robles" in app.form.notice.value
    assert app.form.fields["notes"].value == "Contrato renovado"
    assert ct.get_client(admin_db, client["id"])["notes"] is None
    # The list behind the dialog now shows the newer version.
    assert app.table.rows[0].client["version"] == 2


def test_delete_after_someone_else_saved(admin_db, super_db):
    client = ct.add_client(admin_db, name="Viña Los Robles")
    app = build_app(admin_db)
    ct.update_client(super_db, client["id"], {"phone": "+56 2 2345 6789"}, expected_version=client["version"])

    row = row_named(app, "Viña Los Robles")
    row.menu_button.click()
    row.delete_button.click()
    app.confirm.confirm_button.click()

    assert "cambió después de cargar la lista" in app.confirm.notice.value
    assert "mientras usted lo editaba" not in app.confirm.notice.value
    assert ct.get_client(admin_db, client["id"])["deleted_at"] is None
    assert row_named(app, "Viña Los Robles").client["version"] == 2


def test_delete_client_without_cases(admin_db):
    ct.add_client(admin_db, name="Transportes Rápidos")
    ct.add_client(admin_db, name="Inmobiliaria Central")
    app = build_app(admin_db)
    row = row_named(app, "Transportes Rápidos")

    row.menu_button.click()
    row.delete_button.click()
    assert app.confirm.is_open
    assert "Transportes Rápidos" in app.confirm.question.value

    app.confirm.confirm_button.click()
    assert not app.confirm.is_open
    assert names(app) == ["Inmobiliaria Central"]
    assert "eliminado" in app.notice.value
    assert ct.list_clients(admin_db, deleted=True).rows["name"].tolist() == ["Transportes Rápidos"]


def test_delete_refused_at_once_when_client_has_cases(admin_db):
    client = ct.add_client(admin_db, name="Banco Regional")
    ct.add_case(admin_db, case_number="C-100-2023", client_id=client["id"])
    app = build_app(admin_db)
    row = app.table.rows[0]

    row.menu_button.click()
    row.delete_button.click()

    # The count is known, so the dialog gives the reason without asking first.
    assert app.confirm.is_open
    assert app.confirm.question.value == ""
    assert "No se puede eliminar «Banco Regional»" in app.confirm.notice.value
    assert "1" in app.confirm.notice.value
    assert app.confirm.confirm_button.layout.display == "none"
    with pytest.raises(ct.ClientHasCases) as refusal:
        ct.delete_client(admin_db, client["id"])
    assert esc(str(refusal.value)) in app.confirm.notice.value
    app.confirm.cancel_button.click()
    assert not app.confirm.is_open
    assert names(app) == ["Banco Regional"]
    assert ct.get_client(admin_db, client["id"])["deleted_at"] is None


def test_delete_refused_when_case_added_meanwhile(admin_db, super_db):
    client = ct.add_client(admin_db, name="Banco Regional")
    app = build_app(admin_db)
    row = app.table.rows[0]
    assert row.count_button.description == "0"
    ct.add_case(super_db, case_number="C-100-2023", client_id=client["id"])

    row.menu_button.click()
    row.delete_button.click()
    assert "¿Eliminar el cliente «Banco Regional»?" in app.confirm.question.value
    app.confirm.confirm_button.click()

    # The list's count was stale; the package refuses and the dialog shows why.
    assert app.confirm.is_open
    assert "No se puede eliminar «Banco Regional»" in app.confirm.notice.value
    assert app.confirm.confirm_button.layout.display == "none"
    assert ct.get_client(admin_db, client["id"])["deleted_at"] is None


def test_count_opens_active_and_inactive_cases(admin_db):
    client = ct.add_client(admin_db, name="Retail Andino")
    other = ct.add_client(admin_db, name="Otro Cliente")
    ct.add_case(admin_db, case_number="C-1-2024", client_id=client["id"])
    ct.add_case(admin_db, case_number="C-2-2024", client_id=client["id"], status="inactiva")
    ct.add_case(admin_db, case_number="C-3-2024", client_id=client["id"], status="inactiva")
    ct.add_case(admin_db, case_number="C-9-2024", client_id=other["id"])
    app = build_app(admin_db)
    row = row_named(app, "Retail Andino")
    assert row.count_button.description == "3"
    # A zero-width space after each "/" lets the header wrap between words.
    assert app.table.header_buttons["total_cases"].description.startswith("Causas/\u200bProcesos/\u200bCasos/\u200bExpediente")
    assert app.table.header_buttons["total_cases"].tooltip == "Causas/Procesos/Casos/Expediente"

    row.count_button.click()
    panel = app.cases_panel
    assert panel.layout.display is None
    assert sorted(panel.frame["case_number"]) == ["C-1-2024", "C-2-2024", "C-3-2024"]
    assert "ct-badge-activa" in panel.table.value
    assert "ct-badge-inactiva" in panel.table.value
    assert f'portafolio.ipynb?cliente={client["id"]}&amp;estado=todas"' in panel.link.value

    panel.status_filter.value = "activa"
    assert panel.frame["case_number"].tolist() == ["C-1-2024"]
    assert f'portafolio.ipynb?cliente={client["id"]}&amp;estado=activas"' in panel.link.value
    panel.status_filter.value = "inactiva"
    assert sorted(panel.frame["case_number"]) == ["C-2-2024", "C-3-2024"]
    assert "ct-badge-activa" not in panel.table.value
    assert f'portafolio.ipynb?cliente={client["id"]}&amp;estado=inactivas"' in panel.link.value


def test_cases_panel_opens_above_list(admin_db):
    client = ct.add_client(admin_db, name="Retail Andino")
    ct.add_case(admin_db, case_number="C-1-2024", client_id=client["id"], amount="14522010")
    app = build_app(admin_db)
    children = list(app.children)

    # The panel area comes before the list, so the panel is in view without scrolling down.
    assert app.cases_panel in app.panel_area.children
    assert children.index(app.panel_area) < children.index(app.table)
    row_named(app, "Retail Andino").count_button.click()
    assert app.cases_panel.layout.display is None
    assert '<td class="ct-amount">' in app.cases_panel.table.value

    # Another panel replaces the cases; a count click brings them back and closes it.
    row = row_named(app, "Retail Andino")
    row.menu_button.click()
    row.history_button.click()
    assert app.cases_panel.layout.display == "none"
    assert app.cases_panel.client_id is None
    history = app.side_panel
    assert history in app.side_area.children
    row_named(app, "Retail Andino").count_button.click()
    assert app.side_panel is None
    assert app.side_area.children == ()
    assert app.cases_panel.layout.display is None
    assert app.cases_panel.client_id == client["id"]


def test_total_singular_and_plural(admin_db):
    ct.add_client(admin_db, name="Retail Andino")
    app = build_app(admin_db)
    assert app.table.total_label.value == "1 cliente"
    ct.add_client(admin_db, name="Otro Cliente")
    app.table.reload()
    assert app.table.total_label.value == "2 clientes"
    app.table.search.value = "no existe"
    assert app.table.total_label.value == "0 clientes"


@pytest.mark.parametrize("user", ["analista", "visitante"])
def test_read_only_user_has_no_write_controls(admin_db, user):
    ct.add_client(admin_db, name="Cliente Visible")
    app = build_app(ct.open_database(admin_db.path, user=user))

    assert app.add_button is None
    assert app.form is None
    assert app.confirm is None
    assert names(app) == ["Cliente Visible"]
    assert app.table.rows[0].menu_button is None
    descriptions = {getattr(widget, "description", None) for widget in all_widgets(app)}
    assert "+ Agregar Cliente" not in descriptions
    assert "Editar" not in descriptions
    assert "Eliminar" not in descriptions
    expected_role = "solo lectura" if user == "visitante" else "usuario"
    assert expected_role in app.header.who.value


def test_read_only_user_rejected_by_package(admin_db, user_db):
    # The dashboard hides the controls; the package refuses the write on its own too.
    with pytest.raises(ct.PermissionDenied):
        ct.add_client(user_db, name="No debería guardarse")


def test_search_ignores_case_and_accents(admin_db):
    for name in ("Núñez y Asociados", "Oso Polar SpA"):
        ct.add_client(admin_db, name=name)
    ct.add_client(admin_db, name="Pérez Limitada", tax_country="CL", tax_id="760864285")
    app = build_app(admin_db)
    assert app.table.notice.value == ""
    assert "76.086.428-5" in row_named(app, "Pérez Limitada").cells.value

    app.table.search.value = "nunez"
    assert names(app) == ["Núñez y Asociados"]
    app.table.search.value = "PEREZ"
    assert names(app) == ["Pérez Limitada"]
    app.table.search.value = ""
    assert len(app.table.rows) == 3


def test_paging_and_sorting(admin_db):
    for number in range(30):
        ct.add_client(admin_db, name=f"Cliente {number:02d}")
    app = build_app(admin_db)
    assert len(app.table.rows) == 25
    assert "Página 1 de 2" in app.table.page_label.value

    app.table.next_button.click()
    assert names(app) == [f"Cliente {number:02d}" for number in range(25, 30)]
    assert "Página 2 de 2" in app.table.page_label.value

    app.table.header_buttons["name"].click()  # same column: descending
    assert names(app)[0] == "Cliente 29"
    assert "▼" in app.table.header_buttons["name"].description


def test_html_name_is_escaped(admin_db):
    client = ct.add_client(admin_db, name=XSS_NAME)
    ct.add_case(admin_db, case_number="C-1-2025", client_id=client["id"])
    app = build_app(admin_db)
    row = app.table.rows[0]
    row.count_button.click()
    row.menu_button.click()
    row.delete_button.click()
    app.form.open_edit(ct.get_client(admin_db, client["id"]))

    html_values = [widget.value for widget in all_widgets(app) if isinstance(widget, widgets.HTML)]
    assert any("&lt;img src=x onerror=alert(1)&gt;" in value for value in html_values)
    assert not any("<img" in value for value in html_values)
    # Labels and button tooltips are plain text, shown as typed.
    assert row.count_button.tooltip.endswith(f"«{XSS_NAME}»")


def test_refresh_shows_changes_from_elsewhere(admin_db, super_db):
    app = build_app(admin_db)
    assert names(app) == []
    ct.add_client(super_db, name="Agregado en otra pestaña")

    app.refresh_button.click()
    assert names(app) == ["Agregado en otra pestaña"]
    assert app.refresh_button.description == "Actualizar"
    assert not app.refresh_button.disabled


def test_english_labels(admin_db, super_db):
    ct.set_setting(super_db, "language", "en")
    app = build_app(admin_db)

    assert app.add_button.description == "+ Add Client"
    assert app.table.header_buttons["name"].description.startswith("Name")
    assert app.table.header_buttons["tax_id"].description == "Tax id"
    assert "Administration › Clients" in app.header.title.value
    assert app.form.fields["email"].description == "E-mail"
    app.add_button.click()
    app.form.save_button.click()
    assert "required" in app.form.errors["name"].value


def test_case_label_setting_heads_count_column(admin_db, super_db):
    ct.set_setting(super_db, "case_label", "CO")
    app = build_app(admin_db)
    assert app.table.header_buttons["total_cases"].description.startswith("Procesos")


def test_home_page_links_dashboards(admin_db):
    home = HomeApp(load_context(admin_db))
    for notebook in ("clientes.ipynb", "portafolio.ipynb", "importancia.ipynb"):
        assert f'href="{notebook}"' in home.cards.value
        assert f'href="{notebook}"' in home.header.nav.value

    # No card for the landing page itself; the header keeps its "Inicio" link.
    assert 'href="index.ipynb"' not in home.cards.value
    assert "ui.home" not in home.cards.value
    assert home.cards.value.count('class="ct-card"') == 3
    assert '<a href="index.ipynb" class="ct-active" aria-current="page">Inicio</a>' in home.header.nav.value


def test_every_header_links_home(admin_db):
    app = build_app(admin_db)
    assert '<a href="index.ipynb">Inicio</a>' in app.header.nav.value


@pytest.mark.parametrize("preset, label", [
    ("default", "causas/procesos/casos/expediente"), ("CL", "causas"), ("CO", "procesos"),
    ("casos", "casos"), ("MX", "expedientes"),
])
def test_texts_with_case_label_need_no_agreement(admin_db, super_db, preset, label):
    ct.set_setting(super_db, "case_label", preset)
    client = ct.add_client(admin_db, name="Retail Andino")
    home = HomeApp(load_context(admin_db))
    app = build_app(admin_db)
    row = row_named(app, "Retail Andino")
    row.count_button.click()
    capitalized = ct.get_settings(admin_db)["case_label"]

    assert f"y ver {label} de cada uno." in home.cards.value
    assert f"<p>{capitalized} con filtros avanzados" in home.cards.value
    assert f"en el portafolio: {label}, cuantías" in home.cards.value
    assert row.count_button.tooltip == f"Ver {label} de «Retail Andino»"
    assert f"{capitalized} de «Retail Andino»" in app.cases_panel.title.value
    assert f"Este cliente no tiene {label} con este filtro." in app.cases_panel.table.value
    # No article or adjective that must agree with the label's gender or number.
    for text in (home.cards.value, row.count_button.tooltip, app.cases_panel.table.value):
        for words in (f"las {label}", f"los {label}", "Todas las", f"{label} asociad"):
            assert words not in text
    assert app.cases_panel.client_id == client["id"]


def test_history_lists_changes_for_admin(admin_db):
    client = ct.add_client(admin_db, name="Forestal Araucanía")
    ct.update_client(admin_db, client["id"], {"industry": "Forestal"}, expected_version=client["version"])
    app = build_app(admin_db)
    row = app.table.rows[0]

    row.menu_button.click()
    row.history_button.click()

    history = app.side_panel
    assert [entry["action"] for entry in history.entries] == ["update", "create"]
    assert ("industry", None, "Forestal") in history.entries[0]["changes"]
    assert "admin" in history.body.value


def test_history_shows_choice_labels(admin_db, super_db):
    client = ct.add_client(admin_db, name="Forestal Araucanía", person_type="natural")
    ct.update_client(admin_db, client["id"], {"status": "no_vigente", "person_type": "juridica"},
                     expected_version=client["version"])
    app = build_app(admin_db)
    row = app.table.rows[0]
    row.menu_button.click()
    row.history_button.click()
    body = app.side_panel.body.value

    assert "<td>Estado</td><td>Vigente</td><td>No vigente</td>" in body
    assert "<td>Tipo de persona</td><td>Persona natural</td><td>Persona jurídica</td>" in body
    for code in ("vigente", "no_vigente", "juridica", "natural"):
        assert f"<td>{code}</td>" not in body

    ct.set_setting(super_db, "language", "en")
    english = build_app(admin_db)
    row = english.table.rows[0]
    row.menu_button.click()
    row.history_button.click()
    assert "<td>Status</td><td>Active</td><td>Inactive</td>" in english.side_panel.body.value
    app.close_panel_button.click()
    assert app.side_panel is None


def test_trash_restores_for_superadmin(super_db):
    client = ct.add_client(super_db, name="Textil Valparaíso")
    ct.delete_client(super_db, client["id"])
    app = build_app(super_db)
    assert names(app) == []

    app.trash_button.click()
    app.side_panel.restore_buttons[client["id"]].click()

    assert names(app) == ["Textil Valparaíso"]
    assert ct.get_client(super_db, client["id"])["deleted_at"] is None


def test_import_and_trash_by_role(admin_db, super_db, user_db):
    admin_app = build_app(admin_db)
    assert admin_app.import_button is not None
    assert admin_app.trash_button is None
    assert build_app(super_db).trash_button is not None
    reader_app = build_app(user_db)
    assert reader_app.import_button is None
    assert reader_app.trash_button is None


def test_import_panel_refreshes_list(admin_db):
    app = build_app(admin_db)
    app.import_button.click()
    panel = app.side_panel
    assert panel.on_imported is not None
    assert panel.upload.description

    ct.add_client(admin_db, name="Importado por lote")  # as an import would write it
    panel.on_imported()
    assert names(app) == ["Importado por lote"]


def test_role_removed_while_open_shows_denial(admin_db, super_db):
    app = build_app(admin_db)
    app.add_button.click()
    app.form.fields["name"].value = "Cliente tardío"
    ct.set_role(super_db, "admin", "usuario")

    app.form.save_button.click()

    assert app.form.is_open
    assert "no tiene permiso" in app.form.notice.value
    assert app.form.save_button.description == "Guardar"
    assert not app.form.save_button.disabled
    assert ct.list_clients(admin_db).total == 0


def test_country_choices_show_names(admin_db):
    from casetrack_nb.i18n import set_language

    app = ClientsApp(load_context(admin_db))
    options = dict((value, label) for label, value in app.form.fields["tax_country"].options)
    assert options["CL"] == "Chile (CL)"
    assert options["MX"] == "México (MX)"

    set_language("en")
    english = ClientsApp(load_context(admin_db, language="en"))
    options = dict((value, label) for label, value in english.form.fields["tax_country"].options)
    assert options["MX"] == "Mexico (MX)"
