"""The Portafolio dashboard without a browser: filters, deep link, admin actions and export."""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
import json
import re

import ipywidgets as widgets
import openpyxl
import pandas as pd
import pytest

import casetrack_nb as ct
from casetrack_nb import audit
from casetrack_nb.errors import PermissionDenied
from casetrack_nb.ui.base import load_context
from casetrack_nb.settings import CASE_LABEL_PRESETS
from casetrack_nb.ui.portfolio import PortfolioApp, parse_client_parameter, parse_parameter

from portfolio_sample import CIVIL_1, build_portfolio


@pytest.fixture
def sample(admin_db):
    client_ids, case_ids = build_portfolio(admin_db)
    return admin_db, client_ids, case_ids


def numbers(app: PortfolioApp) -> set[str]:
    return set(app.rows["case_number"])


def count_text(app: PortfolioApp) -> str:
    return re.sub(r"<[^>]+>", "", app.count.value)


def download(app: PortfolioApp, kind: str) -> tuple[str, bytes]:
    """Click the export button and decode the file behind the download link."""
    button = app.export_xlsx if kind == "xlsx" else app.export_csv
    button.click()
    match = re.search(r'download="([^"]+)" href="data:[^;]+(?:;charset=utf-8)?;base64,([A-Za-z0-9+/=]+)"',
                      app.download.value)
    assert match, app.download.value
    return match.group(1), base64.b64decode(match.group(2))


def audit_actions(db, case_id: int) -> list[str]:
    return list(audit.history(db, entity="case", entity_id=case_id)["action"])


def test_default_view_lists_active_cases(sample):
    db, _clients, _cases = sample
    app = PortfolioApp(load_context(db))

    assert app.total == 10
    assert count_text(app) == "10 resultados"
    assert numbers(app) == {"C-100-2023", "C-101-2023", "L-200-2023", "C-102-2024", "C-103-2024", "L-202-2025",
                            "C-105-2025", "A-500-2025", "C-106-2025", "C-107-2025"}
    assert "Portafolio › Causas/Procesos/Casos/Expediente" in app.header.title.value
    assert "Usuario: admin" in app.header.who.value


def test_filters_set_in_widgets(sample):
    db, clients, _cases = sample
    app = PortfolioApp(db)

    app.filters.text.value = "NUNEZ"
    assert numbers(app) == {"L-200-2023", "L-202-2025"}
    app.filters.status.value = "todas"
    assert numbers(app) == {"L-200-2023", "L-201-2024", "L-202-2025"}

    app.filters.reset()
    assert app.filters.status.value == "activa"
    assert app.total == 10

    app.filters.courts.value = (CIVIL_1,)
    app.filters.lawyers.value = ("Ana Rojas",)
    assert numbers(app) == {"C-100-2023", "C-102-2024", "C-105-2025"}

    app.filters.reset()
    app.filters.opened_from.value = "01-01-2024"
    app.filters.opened_to.value = "2024-12-31"
    assert numbers(app) == {"C-102-2024", "C-103-2024"}

    app.filters.reset()
    app.filters.amount_min.value = "1.000.000"
    app.filters.amount_max.value = "20.000.000"
    app.filters.currency.value = "CLP"
    assert numbers(app) == {"C-100-2023", "C-103-2024", "L-202-2025", "C-107-2025"}

    app.filters.reset()
    app.filters.without_client.value = True
    assert numbers(app) == {"C-103-2024", "A-500-2025"}

    app.filters.reset()
    app.filters.matters.value = ("Laboral",)
    app.filters.stages.value = ("Prueba",)
    assert numbers(app) == {"L-202-2025"}

    app.filters.clear_button.click()
    assert app.total == 10


def test_invalid_amount_shows_spanish_message(sample):
    db, _clients, _cases = sample
    app = PortfolioApp(db)
    app.filters.amount_min.value = "mil"
    assert "«mil»" in app.notice.value
    assert "Cuantía mínima" in app.notice.value
    assert app.total == 10  # the previous result stays

    app.filters.amount_min.value = "5.000.000"
    app.filters.amount_max.value = "1.000"
    assert "mayor que la máxima" in app.notice.value


def test_date_fields_are_day_first_text(sample):
    db, _clients, _cases = sample
    app = PortfolioApp(db)
    assert isinstance(app.filters.opened_from, widgets.Text)
    assert app.filters.opened_from.placeholder == "dd-mm-aaaa"
    assert app.filters.opened_to.placeholder == "dd-mm-aaaa"

    app.filters.opened_from.value = "05/03/2023"
    assert numbers(app) == {"C-101-2023", "L-200-2023", "C-102-2024", "C-103-2024", "L-202-2025",
                            "C-105-2025", "A-500-2025", "C-106-2025", "C-107-2025"}

    app.filters.opened_to.value = "31-02-2024"
    assert "La fecha «31-02-2024» de «Inicio hasta» no existe en el calendario" in app.notice.value
    assert "dd-mm-aaaa" in app.notice.value
    assert app.total == 9  # the previous result stays

    app.filters.opened_to.value = "01-01-2023"
    assert "«Inicio desde» (05-03-2023) es posterior a «Inicio hasta» (01-01-2023)" in app.notice.value

    app.filters.reset()
    assert app.filters.opened_from.value == ""
    assert app.total == 10


def press_enter(picker, text: str) -> None:
    """Type `text` and press Enter, as the browser sends it: the value, then a submit message."""
    picker.combo.value = text
    picker.combo._handle_custom_msg({"event": "submit"}, [])


def test_client_enter_selects_single_match(sample):
    db, clients, _cases = sample
    norte = ct.add_client(db, name="Minera Ñuble Norte S.A.", tax_id="76123456-0")["id"]
    app = PortfolioApp(db)
    picker = app.filters.clients

    press_enter(picker, "construct")
    assert picker.selected == [clients["B"]]
    assert picker.combo.value == ""
    assert numbers(app) == {"L-200-2023", "L-202-2025"}

    picker.clear()
    press_enter(picker, "Minera Ñuble Norte S.A. (76.123.456-0)")
    assert picker.selected == [norte]

    picker.clear()
    press_enter(picker, "76.123.456-0")
    assert picker.selected == [norte]

    # The text matches two names, but only one name equals it.
    ct.add_client(db, name="Minera Ñuble S.A. Filial Sur")
    picker.clear()
    press_enter(picker, "minera ñuble s.a.")
    assert picker.selected == [clients["A"]]


def test_client_enter_explains_ambiguous_text(sample):
    db, _clients, _cases = sample
    ct.add_client(db, name="Minera Ñuble Norte S.A.", tax_id="76123456-0")
    app = PortfolioApp(db)
    picker = app.filters.clients

    press_enter(picker, "minera")
    assert picker.selected == []
    assert "Elija un cliente de la lista (2 coincidencias)." in app.notice.value
    assert app.total == 10

    press_enter(picker, "Zapatería Inexistente")
    assert picker.selected == []
    assert "Ningún cliente coincide con «Zapatería Inexistente»." in app.notice.value

    for number in range(25):
        ct.add_client(db, name=f"Agrícola {number:02d} Ltda.")
    press_enter(picker, "agrícola")
    assert "más de 20 coincidencias" in app.notice.value
    assert picker.selected == []


def test_client_type_ahead_and_chips(sample):
    db, clients, _cases = sample
    app = PortfolioApp(db)
    picker = app.filters.clients

    picker.combo.value = "nunez"
    assert picker.combo.options == ("Constructora Núñez SpA",)
    assert picker.selected == []

    picker.combo.value = "Constructora Núñez SpA"
    assert picker.selected == [clients["B"]]
    assert picker.combo.value == ""
    assert numbers(app) == {"L-200-2023", "L-202-2025"}

    picker.combo.value = "minera"
    picker.combo.value = "Minera Ñuble S.A."
    assert picker.selected == [clients["B"], clients["A"]]
    assert [chip.description for chip in picker.chips.children] == ["Constructora Núñez SpA ✕", "Minera Ñuble S.A. ✕"]
    assert app.total == 6

    picker.chips.children[0].click()
    assert picker.selected == [clients["A"]]
    assert numbers(app) == {"C-100-2023", "C-101-2023", "C-105-2025", "C-107-2025"}

    app.filters.status.value = "todas"
    assert "C-104-2024" in numbers(app)
    app.filters.status.value = "inactiva"
    assert numbers(app) == {"C-104-2024"}


def test_rows_show_formatted_values_and_badges(sample):
    db, clients, _cases = sample
    app = PortfolioApp(db, client_id=clients["A"])
    app.filters.status.value = "todas"
    cells = "".join(line.children[0].value for line in app.table.children[1:])

    assert "250.000.000" in cells
    assert "US$" in cells
    assert "05-03-2023" in cells
    assert cells.count("ct-badge-activa") == 4
    assert cells.count("ct-badge-inactiva") == 1
    assert "Minera Ñuble S.A." in cells


def test_user_text_is_escaped(sample):
    db, clients, _cases = sample
    ct.add_case(db, case_number="X-1", title="<img src=x onerror=alert(1)>", client_id=clients["D"])
    app = PortfolioApp(db, client_id=clients["D"])
    cells = app.table.children[1].children[0].value
    assert "<img" not in cells
    assert "&lt;img src=x onerror=alert(1)&gt;" in cells


def test_paging_and_sorting(sample):
    db, _clients, _cases = sample
    app = PortfolioApp(db)
    app.filters.status.value = "todas"
    app.sort.value = "opened_on"
    app.direction.value = False
    app.size.value = 25
    assert app.page_label.value == "Página 1 de 1"
    assert app.previous.disabled and app.next.disabled

    app.page_size = 4
    app.go_to(1)
    assert list(app.rows["case_number"]) == ["C-100-2023", "C-101-2023", "L-200-2023", "L-201-2024"]
    assert app.page_label.value == "Página 1 de 4"
    assert app.previous.disabled
    assert not app.next.disabled
    app.next.click()
    assert list(app.rows["case_number"]) == ["C-102-2024", "T-300-2024", "C-103-2024", "F-400-2024"]
    app.go_to(99)
    assert app.page == 4
    assert list(app.rows["case_number"]) == ["C-106-2025", "C-107-2025", "P-600-2025"]
    assert app.next.disabled

    app.sort.value = "amount"
    app.direction.value = True
    assert app.page == 1
    assert list(app.rows["case_number"])[:2] == ["C-101-2023", "C-104-2024"]


def test_count_uses_spanish_thousands(admin_db):
    db = admin_db
    with db.transaction() as con:
        con.execute(
            "INSERT INTO cases (case_number, case_number_key, search_text, status, created_at, updated_at)"
            " SELECT 'N-' || i, 'N' || i, 'n-' || i, 'activa', now(), now() FROM range(1234) t(i)"
        )
    app = PortfolioApp(db)
    assert count_text(app) == "1.234 resultados"
    assert app.page_label.value == "Página 1 de 50"
    assert len(app.rows) == 25


@pytest.mark.parametrize("query", ["cliente={id}", "?cliente={id}&x=1"])
def test_deep_link_preselects_client(sample, query):
    db, clients, _cases = sample
    raw = parse_client_parameter(query.format(id=clients["C"]))
    app = PortfolioApp(db, client_id=raw)
    assert app.filters.clients.selected == [clients["C"]]
    assert numbers(app) == {"C-102-2024", "C-106-2025"}
    assert app.notice.value == ""


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("abc", "El enlace pide el cliente «abc», que no es un id válido"),
        ("-3", "El enlace pide el cliente «-3», que no es un id válido"),
        ("999", "No existe el cliente con id 999"),
    ],
)
def test_deep_link_bad_or_unknown_id(sample, raw, expected):
    db, _clients, _cases = sample
    app = PortfolioApp(db, client_id=raw)
    assert expected in app.notice.value
    assert "Se muestra la lista sin filtrar por cliente." in app.notice.value
    assert app.filters.clients.selected == []
    assert app.total == 10


@pytest.mark.parametrize(
    ("raw", "status", "expected"),
    [("todas", "todas", 15), ("activas", "activa", 10), ("inactivas", "inactiva", 5), (" Todas ", "todas", 15)],
)
def test_deep_link_sets_status(sample, raw, status, expected):
    db, _clients, _cases = sample
    app = PortfolioApp(db, status=raw)
    assert app.filters.status.value == status
    assert app.total == expected
    assert app.notice.value == ""


@pytest.mark.parametrize("raw", ["cerradas", "", "activa", "1"])
def test_deep_link_bad_status_warns(sample, raw):
    db, clients, _cases = sample
    app = PortfolioApp(db, client_id=str(clients["A"]), status=raw)
    assert f"El enlace pide el estado «{raw}», que no es válido" in app.notice.value
    assert "Se muestra el estado «Activa»." in app.notice.value
    assert app.filters.status.value == "activa"
    assert app.filters.clients.selected == [clients["A"]]
    assert app.total == 4


def test_deep_link_status_and_client_together(sample):
    db, clients, _cases = sample
    raw = "?cliente={}&estado=todas".format(clients["A"])
    app = PortfolioApp(db, client_id=parse_parameter(raw, "cliente"), status=parse_parameter(raw, "estado"))
    assert app.filters.clients.selected == [clients["A"]]
    assert app.filters.status.value == "todas"
    assert numbers(app) == {"C-100-2023", "C-101-2023", "C-104-2024", "C-105-2025", "C-107-2025"}
    assert count_text(app) == "5 resultados"


def test_deep_link_to_deleted_client(sample):
    db, clients, _cases = sample
    ct.delete_client(db, clients["D"])
    app = PortfolioApp(db, client_id=str(clients["D"]))
    assert f"No existe el cliente con id {clients['D']}" in app.notice.value
    assert app.total == 10


def test_from_environment_reads_query_string(sample, monkeypatch):
    db, clients, _cases = sample
    monkeypatch.setenv("CASETRACK_DB", str(db.path))
    monkeypatch.setenv("CASETRACK_USER", "analista")
    monkeypatch.setenv("QUERY_STRING", f"cliente={clients['B']}")
    app = PortfolioApp.from_environment()
    assert app.context.db.user == "analista"
    assert app.filters.clients.selected == [clients["B"]]
    assert numbers(app) == {"L-200-2023", "L-202-2025"}

    monkeypatch.setenv("QUERY_STRING", f"cliente={clients['B']}&estado=todas")
    app = PortfolioApp.from_environment()
    assert app.filters.status.value == "todas"
    assert numbers(app) == {"L-200-2023", "L-201-2024", "L-202-2025", "P-600-2025"}


@pytest.mark.parametrize("case_label", ["Causas", "Procesos", "Casos", "Expedientes", CASE_LABEL_PRESETS["default"]])
def test_case_label_texts(sample, case_label):
    db, _clients, _cases = sample
    ct.set_setting(ct.open_database(db.path, user="socia"), "case_label", case_label)
    app = PortfolioApp(db)
    assert f"Portafolio › {case_label}</h1>" in app.header.title.value
    texts = " ".join(w.value for w in (app.header.title, app.count) if hasattr(w, "value"))
    # No article or adjective is made to agree with the label.
    for phrase in ("las " + case_label.lower(), "los " + case_label.lower(), case_label.lower() + " asociad"):
        assert phrase not in texts.lower()


def test_admin_deactivates_and_reactivates(sample):
    db, _clients, case_ids = sample
    app = PortfolioApp(db)
    case_id = case_ids[1]
    buttons = app.table.buttons[case_id]
    assert buttons["status"].description == "Desactivar"

    buttons["status"].click()
    assert app.notice.value.count("Se desactivó «C-100-2023».") == 1
    assert ct.get_case(db, case_id)["status"] == "inactiva"
    assert ct.get_case(db, case_id)["closed_on"] == dt.date.today()
    assert "C-100-2023" not in numbers(app)

    app.filters.status.value = "inactiva"
    assert app.table.buttons[case_id]["status"].description == "Reactivar"
    app.table.buttons[case_id]["status"].click()
    assert "Se reactivó «C-100-2023»." in app.notice.value
    assert ct.get_case(db, case_id)["status"] == "activa"
    assert ct.get_case(db, case_id)["closed_on"] is None
    assert audit_actions(db, case_id) == ["reactivate", "deactivate", "create"]

    history = audit.history(db, entity="case", entity_id=case_id)
    by_action = {row["action"]: row for row in history.to_dict("records")}
    assert by_action["deactivate"]["actor"] == "admin"
    assert json.loads(by_action["deactivate"]["after"])["status"] == "inactiva"
    assert json.loads(by_action["reactivate"]["after"])["status"] == "activa"


def test_admin_links_and_unlinks_client(sample):
    db, clients, case_ids = sample
    app = PortfolioApp(db)
    app.filters.without_client.value = True
    case_id = case_ids[7]
    assert app.link_panel.layout.display == "none"

    app.table.buttons[case_id]["client"].click()
    panel = app.link_panel
    assert panel.layout.display == "flex"
    assert "C-103-2024" in panel.heading.value
    assert "Sin cliente" in panel.heading.value
    assert panel.unlink.disabled

    panel.save.click()
    assert "Elija primero un cliente" in app.notice.value

    panel.picker.combo.value = "perez"
    panel.picker.combo.value = "Pérez y Cía Ltda."
    assert panel.picker.selected == [clients["C"]]
    panel.save.click()
    assert "Se vinculó «C-103-2024» al cliente «Pérez y Cía Ltda.»." in app.notice.value
    assert ct.get_case(db, case_id)["client_id"] == clients["C"]
    assert panel.layout.display == "none"
    assert numbers(app) == {"A-500-2025"}

    app.filters.reset()
    app.filters.clients.add(clients["C"])
    assert "C-103-2024" in numbers(app)
    app.table.buttons[case_id]["client"].click()
    assert "Pérez y Cía Ltda." in panel.heading.value
    assert not panel.unlink.disabled
    panel.unlink.click()
    assert "Se desvinculó «C-103-2024» de su cliente." in app.notice.value
    assert ct.get_case(db, case_id)["client_id"] is None
    assert "C-103-2024" not in numbers(app)

    history = audit.history(db, entity="case", entity_id=case_id).to_dict("records")
    link = next(row for row in history if row["action"] == "link")
    unlink = next(row for row in history if row["action"] == "unlink")
    assert json.loads(link["before"])["client_id"] is None
    assert json.loads(link["after"])["client_id"] == clients["C"]
    assert json.loads(unlink["after"])["client_id"] is None


def test_stale_row_gives_conflict_message(sample):
    db, _clients, case_ids = sample
    app = PortfolioApp(db)
    ct.update_case(db, case_ids[2], stage="Sentencia")  # saved elsewhere after the page was drawn
    app.table.buttons[case_ids[2]]["status"].click()
    assert "fue modificada por admin" in app.notice.value
    assert ct.get_case(db, case_ids[2])["status"] == "activa"


@pytest.mark.parametrize("fixture", ["user_db", "unknown_db"])
def test_reader_sees_no_actions(sample, request, fixture):
    db, clients, case_ids = sample
    reader = request.getfixturevalue("user_db") if fixture == "user_db" else ct.open_database(db.path, user="visita")
    app = PortfolioApp(reader)
    assert app.total == 10
    assert app.link_panel is None
    assert app.table.buttons == {}
    buttons = [w for line in app.table.children for w in getattr(line, "children", ()) if isinstance(w, widgets.Button)]
    assert buttons == []

    app.toggle_status(case_ids[1])
    assert "no tiene permiso" in app.notice.value
    app.notice.clear()
    app.link(case_ids[7], clients["A"])
    assert "no tiene permiso" in app.notice.value
    assert ct.get_case(db, case_ids[7])["client_id"] is None
    assert ct.get_case(db, case_ids[1])["status"] == "activa"
    with pytest.raises(PermissionDenied):
        ct.set_case_status(reader, case_ids[1], "inactiva")


def test_export_csv_is_exactly_the_filtered_result(sample):
    db, clients, _cases = sample
    app = PortfolioApp(db, client_id=clients["C"])
    app.filters.status.value = "todas"
    app.sort.value = "opened_on"
    app.direction.value = False

    filename, content = download(app, "csv")
    assert filename.endswith(".csv")
    assert content.startswith(b"\xef\xbb\xbf")
    table = pd.read_csv(io.BytesIO(content), sep=";", decimal=",", encoding="utf-8-sig")
    assert list(table["Número (rol, radicado, expediente)"]) == ["C-102-2024", "T-300-2024", "C-106-2025"]
    assert list(table["Carátula"]) == ["Pérez con Banco", "Tributario Pérez", "'=cmd() demanda"]
    assert list(table["Cliente"]) == ["Pérez y Cía Ltda."] * 3
    assert table["Cuantía"].iloc[1] == 800_000
    assert list(table["Estado"]) == ["Activa", "Inactiva", "Activa"]
    assert "3 filas" in app.download.value


def test_export_xlsx_reads_back(sample):
    db, _clients, _cases = sample
    app = PortfolioApp(db)
    app.filters.text.value = "ñuble"
    app.filters.status.value = "todas"
    app.sort.value = "case_number"
    app.direction.value = False

    filename, content = download(app, "xlsx")
    assert filename.endswith(".xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert [row[0] for row in rows[1:]] == ["C-100-2023", "C-101-2023", "C-104-2024"]
    assert {row[1] for row in rows[1:]} == {"Minera Ñuble con Fisco", "Minera Ñuble con Aguas Andinas",
                                            "Minera Ñuble con SMA"}
    assert rows[1][7] == dt.datetime(2023, 1, 10)
    assert [row[6] for row in rows[1:]] == ["Activa", "Activa", "Inactiva"]
    assert rows[2][9] == 250_000_000


def test_export_formula_title_neutralised_in_xlsx(sample):
    db, _clients, _cases = sample
    app = PortfolioApp(db)
    app.filters.text.value = "cmd"
    _filename, content = download(app, "xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    assert sheet["B2"].value == "'=cmd() demanda"
    assert sheet["B2"].data_type == "s"


def test_export_cap_warns(sample):
    db, _clients, _cases = sample
    app = PortfolioApp(db)
    app.export_limit = 3
    _filename, content = download(app, "csv")
    table = pd.read_csv(io.BytesIO(content), sep=";", decimal=",", encoding="utf-8-sig")
    assert len(table) == 3
    assert "El resultado tiene 10 filas; la descarga trae solo las primeras 3." in app.notice.value


def test_export_method_writes_uncapped_file(sample, tmp_path):
    db, _clients, _cases = sample
    app = PortfolioApp(db)
    app.export_limit = 3
    app.filters.status.value = "inactiva"
    path = app.export(tmp_path / "inactivas.csv")
    table = pd.read_csv(path, sep=";", decimal=",", encoding="utf-8-sig")
    assert set(table["Número (rol, radicado, expediente)"]) == {"L-201-2024", "T-300-2024", "F-400-2024",
                                                               "C-104-2024", "P-600-2025"}


def test_english_setting(sample):
    db, clients, _cases = sample
    ct.set_setting(ct.open_database(db.path, user="socia"), "language", "en")
    ct.set_setting(ct.open_database(db.path, user="socia"), "case_label", "CL")
    app = PortfolioApp(db, client_id="abc")
    assert "Portfolio › Causas" in app.header.title.value
    assert count_text(app) == "10 results"
    assert "The link asks for client 'abc'" in html.unescape(app.notice.value)
    assert app.table.buttons[next(iter(app.table.buttons))]["status"].description == "Deactivate"
    _filename, content = download(app, "csv")
    assert content.decode("utf-8-sig").startswith("Case number;Title;Client;")
    table = pd.read_csv(io.BytesIO(content), sep=";", decimal=",", encoding="utf-8-sig")
    assert set(table["Status"]) == {"Active"}
