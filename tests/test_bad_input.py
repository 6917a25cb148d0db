"""Bad and odd input, through the package and through the client form: stored exactly or refused whole."""

from __future__ import annotations

import datetime as dt
import io
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import duckdb
import openpyxl
import pandas as pd
import pytest

import casetrack_nb as ct
from casetrack_nb import exporting
from casetrack_nb.ui.base import load_context
from casetrack_nb.ui.client_form import ClientForm

SQL = "'); DROP TABLE clients;--"
HTML = '<img src=x onerror="alert(1)">'
SCRIPT = "<script>alert('x')</script>"
NFD_NAME = unicodedata.normalize("NFD", "Peñalolén Inversiones Ltda.")


@dataclass
class Case:
    """One input: what is sent, and either the stored values expected or the refused field."""

    label: str
    data: dict[str, Any]
    stored: dict[str, Any] | None = None
    refused: str | None = None
    message: str = ""
    warns: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


CLIENT_CASES = [
    # Names: blank, huge, invisible, direction tricks, odd but legitimate text.
    Case("empty name", {"name": ""}, refused="name", message="«Nombre» es obligatorio"),
    Case("blank name", {"name": "   \t  "}, refused="name", message="«Nombre» es obligatorio"),
    Case("missing name", {"email": "a@b.cl"}, refused="name", message="«Nombre» es obligatorio"),
    Case("none name", {"name": None}, refused="name", message="«Nombre» es obligatorio"),
    Case("10000-character name", {"name": "A" * 10_000}, refused="name", message="10000 caracteres"),
    Case("201-character name", {"name": "B" * 201}, refused="name", message="máximo es 200"),
    Case("NUL in name", {"name": "Uno\x00Dos"}, refused="name", message="U+0000"),
    Case("bell in name", {"name": "Uno\x07Dos"}, refused="name", message="U+0007"),
    Case("escape in name", {"name": "Uno\x1b[31mDos"}, refused="name", message="U+001B"),
    Case("newline in name", {"name": "Uno\nDos"}, refused="name", message="U+000A"),
    Case("right-to-left override", {"name": "Factura\u202eFDP.exe"}, refused="name", message="U+202E"),
    Case("left-to-right isolate", {"name": "Cliente\u2066X"}, refused="name", message="U+2066"),
    Case("zero-width space", {"name": "Cli\u200bente"}, refused="name", message="U+200B"),
    Case("BOM in name", {"name": "\ufeffCliente"}, refused="name", message="U+FEFF"),
    Case("control in notes", {"name": "Notas Raras", "notes": "línea\x0bdos"}, refused="notes", message="«Notas»"),
    Case("newlines in notes kept", {"name": "Notas Multilínea", "notes": "uno\ndos\n\ttres"},
         stored={"notes": "uno\ndos\n\ttres"}),
    Case("emoji", {"name": "Café ☕ 😀 SpA"}, stored={"name": "Café ☕ 😀 SpA"}),
    Case("decomposed accents", {"name": NFD_NAME}, stored={"name": unicodedata.normalize("NFC", NFD_NAME)}),
    Case("arabic and hebrew", {"name": "شركة עברית"}, stored={"name": "شركة עברית"}),
    Case("surrounding spaces", {"name": "  Espacios   Dobles  "}, stored={"name": "Espacios Dobles"}),
    Case("SQL fragment", {"name": SQL}, stored={"name": SQL}),
    Case("SQL in notes", {"name": "Con Notas SQL", "notes": "x' OR '1'='1"}, stored={"notes": "x' OR '1'='1"}),
    Case("HTML name", {"name": HTML}, stored={"name": HTML}),
    Case("script in group", {"name": "Grupo Script", "client_group": SCRIPT}, stored={"client_group": SCRIPT}),
    Case("formula equals", {"name": '=HYPERLINK("http://ejemplo.invalid","x")'},
         stored={"name": '=HYPERLINK("http://ejemplo.invalid","x")'}),
    Case("formula plus", {"name": "+56 Cliente"}, stored={"name": "+56 Cliente"}),
    Case("formula at", {"name": "@SUM(A1)"}, stored={"name": "@SUM(A1)"}),
    Case("formula minus", {"name": "-2+3 Ltda"}, stored={"name": "-2+3 Ltda"}),
    # Wrong types.
    Case("list name", {"name": ["Lista"]}, refused="name", message="(list)"),
    Case("dict name", {"name": {"a": 1}}, refused="name", message="(dict)"),
    Case("bool name", {"name": True}, refused="name", message="(bool)"),
    Case("float name", {"name": 3.5}, refused="name", message="(float)"),
    Case("NaN name", {"name": float("nan")}, refused="name", message="«Nombre» es obligatorio"),
    Case("pandas NA name", {"name": pd.NA}, refused="name", message="«Nombre» es obligatorio"),
    Case("pandas NA notes", {"name": "Notas NA", "notes": pd.NA}, stored={"notes": None}),
    Case("NaT date", {"name": "Fecha NaT", "client_since": pd.NaT}, stored={"client_since": None}),
    Case("list tax id", {"name": "Lista RUT", "tax_id": ["1"]}, refused="tax_id", message="(list)"),
    Case("int date", {"name": "Fecha Entera", "client_since": 20240101}, refused="client_since", message="(int)"),
    Case("unknown field", {"name": "Campo Raro", "contraseña": "x"}, refused="contraseña", message="no existe"),
    # Dates, e-mails, choices.
    Case("31 February", {"name": "Fecha Imposible", "client_since": "31-02-2024"}, refused="client_since",
         message="«31-02-2024» de «Cliente desde»"),
    Case("month 13", {"name": "Mes 13", "client_since": "01-13-2024"}, refused="client_since", message="Cliente desde"),
    Case("year 0001", {"name": "Año Uno", "client_since": "01-01-0001"}, refused="client_since", message="Cliente desde"),
    Case("text date", {"name": "Fecha Texto", "client_since": "ayer"}, refused="client_since", message="«ayer»"),
    Case("ISO date", {"name": "Fecha ISO", "client_since": "2024-02-29"}, stored={"client_since": dt.date(2024, 2, 29)}),
    Case("bad e-mail", {"name": "Correo Malo", "email": "sin-arroba"}, refused="email", message="«Correo»"),
    Case("e-mail with HTML", {"name": "Correo HTML", "email": "<a>@b.cl"}, stored={"email": "<a>@b.cl"}),
    Case("unknown status", {"name": "Estado Raro", "status": "quizás"}, refused="status", message="«Estado»"),
    Case("status with accents", {"name": "Estado Acento", "status": "NO VIGENTE"}, stored={"status": "no_vigente"}),
    # Tax ids of each country: malformed, wrong check digit (MX and EC only warn).
    Case("CL malformed", {"name": "CL Malo", "tax_country": "CL", "tax_id": "abc"}, refused="tax_id", message="RUT"),
    Case("CL check digit", {"name": "CL DV", "tax_country": "CL", "tax_id": "76.086.428-4"}, refused="tax_id",
         message="dígito verificador del RUT"),
    Case("CL valid with K", {"name": "CL K", "tax_country": "CL", "tax_id": "  12.345.678-5 "},
         stored={"tax_id": "123456785", "tax_kind": "RUT"}),
    Case("CO malformed", {"name": "CO Malo", "tax_country": "CO", "tax_id": "12AB"}, refused="tax_id", message="NIT"),
    Case("CO check digit", {"name": "CO DV", "tax_country": "CO", "tax_id": "213.123.432-5"}, refused="tax_id",
         message="dígito verificador del NIT"),
    Case("MX malformed", {"name": "MX Malo", "tax_country": "MX", "tax_id": "XX"}, refused="tax_id", message="RFC"),
    Case("MX check digit warns", {"name": "MX DV", "tax_country": "MX", "tax_id": "GODE561231GR9"},
         stored={"tax_id": "GODE561231GR9"}, warns=True),
    Case("PE malformed", {"name": "PE Malo", "tax_country": "PE", "tax_id": "123"}, refused="tax_id", message="RUC"),
    Case("PE check digit", {"name": "PE DV", "tax_country": "PE", "tax_id": "20512333798"}, refused="tax_id",
         message="dígito verificador del RUC"),
    Case("EC malformed", {"name": "EC Malo", "tax_country": "EC", "tax_id": "12345"}, refused="tax_id", message="RUC"),
    Case("EC check digit warns", {"name": "EC DV", "tax_country": "EC", "tax_id": "1792060345001"},
         stored={"tax_id": "1792060345001"}, warns=True),
    Case("AR malformed", {"name": "AR Malo", "tax_country": "AR", "tax_id": "20-0553"}, refused="tax_id", message="CUIT"),
    Case("AR check digit", {"name": "AR DV", "tax_country": "AR", "tax_id": "20-05536168-3"}, refused="tax_id",
         message="dígito verificador del CUIT"),
    Case("unknown country", {"name": "País Raro", "tax_country": "ZZ", "tax_id": "123"}, refused="tax_id",
         message="ZZ"),
    Case("SQL as tax id", {"name": "RUT SQL", "tax_country": "CL", "tax_id": SQL}, refused="tax_id", message="RUT"),
]

CASE_CASES = [
    Case("blank case number", {"case_number": "  "}, refused="case_number", message="obligatorio"),
    Case("case number with NUL", {"case_number": "C-1\x00"}, refused="case_number", message="U+0000"),
    Case("31 February opening", {"case_number": "C-2-2024", "opened_on": "31-02-2024"}, refused="opened_on",
         message="«31-02-2024» de «Fecha de inicio»"),
    Case("closing before opening", {"case_number": "C-3-2024", "opened_on": "10-05-2024", "closed_on": "01-05-2024"},
         refused="closed_on", message="anterior a la fecha de inicio"),
    Case("negative amount text", {"case_number": "C-4-2024", "amount": "-5.000"}, refused="amount", message="negativo"),
    Case("negative amount number", {"case_number": "C-5-2024", "amount": -1}, refused="amount", message="negativo"),
    Case("infinite amount", {"case_number": "C-6-2024", "amount": float("inf")}, refused="amount", message="«Cuantía»"),
    Case("huge amount", {"case_number": "C-7-2024", "amount": "1e20"}, refused="amount", message="«Cuantía»"),
    Case("text amount", {"case_number": "C-8-2024", "amount": "mucho"}, refused="amount", message="«mucho»"),
    Case("bool amount", {"case_number": "C-9-2024", "amount": True}, refused="amount", message="(bool)"),
    Case("NaN amount is blank", {"case_number": "C-10-2024", "amount": float("nan")}, stored={"amount": None}),
    Case("pandas NA amount is blank", {"case_number": "C-11-2024", "amount": pd.NA}, stored={"amount": None}),
    Case("Chilean thousands", {"case_number": "C-12-2024", "amount": "1.500.000", "currency": "clp"},
         stored={"amount": Decimal("1500000.00"), "currency": "CLP"}),
    Case("unknown currency", {"case_number": "C-13-2024", "amount": "10", "currency": "XYZ"}, refused="currency",
         message="«XYZ»"),
    Case("currency with blank amount", {"case_number": "C-14-2024", "amount": " ", "currency": "USD"}, refused="currency",
         message="USD"),
    Case("client id as text", {"case_number": "C-15-2024", "client_id": "abc"}, refused="client_id",
         message="«abc» no es un número de cliente"),
    Case("client id as list", {"case_number": "C-16-2024", "client_id": [1]}, refused="client_id", message="(list)"),
    Case("unknown side", {"case_number": "C-17-2024", "client_side": "juez"}, refused="client_side",
         message="«Calidad del cliente»"),
    Case("SQL case number", {"case_number": "1'; DROP TABLE cases;--"}, stored={"case_number": "1'; DROP TABLE cases;--"}),
    Case("formula title", {"case_number": "C-18-2024", "title": "=1+2"}, stored={"title": "=1+2"}),
    Case("script title", {"case_number": "C-19-2024", "title": SCRIPT}, stored={"title": SCRIPT}),
]


def table_counts(path) -> dict[str, int]:
    con = duckdb.connect(str(path), read_only=True)
    counts = {table: con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
              for table in ("clients", "cases", "audit_log")}
    con.close()
    return counts


def test_enough_cases():
    assert len(CLIENT_CASES) + len(CASE_CASES) >= 50
    assert len({case.label for case in CLIENT_CASES + CASE_CASES}) == len(CLIENT_CASES) + len(CASE_CASES)


@pytest.mark.parametrize("case", CLIENT_CASES, ids=lambda case: case.label)
def test_add_client_input(admin_db, case):
    before = table_counts(admin_db.path)

    if case.refused:
        with pytest.raises(ct.ValidationError) as refusal:
            ct.add_client(admin_db, case.data, confirm=True)
        assert case.refused in refusal.value.errors, refusal.value.errors
        assert case.message in refusal.value.errors[case.refused]
        assert table_counts(admin_db.path) == before
        return

    if case.warns:
        with pytest.raises(ct.ConfirmationRequired) as warning:
            ct.add_client(admin_db, case.data)
        assert "tax_id" in warning.value.warnings
        assert "confirme" in warning.value.warnings["tax_id"]
        assert table_counts(admin_db.path) == before
    stored = ct.add_client(admin_db, case.data, confirm=True)
    for name, expected in case.stored.items():
        assert stored[name] == expected, name
    assert ct.get_client(admin_db, stored["id"]) == stored
    after = table_counts(admin_db.path)
    assert after["clients"] == before["clients"] + 1
    assert after["audit_log"] == before["audit_log"] + 1


@pytest.mark.parametrize("case", [case for case in CLIENT_CASES if case.refused and case.refused != "name"],
                         ids=lambda case: case.label)
def test_update_client_input(admin_db, case):
    client = ct.add_client(admin_db, {"name": "Cliente Estable"})
    before = table_counts(admin_db.path)
    changes = {key: value for key, value in case.data.items() if key != "name"}

    with pytest.raises(ct.ValidationError) as refusal:
        ct.update_client(admin_db, client["id"], changes, expected_version=1, confirm=True)

    assert case.refused in refusal.value.errors
    assert table_counts(admin_db.path) == before
    assert ct.get_client(admin_db, client["id"]) == client


@pytest.mark.parametrize("case", CASE_CASES, ids=lambda case: case.label)
def test_add_case_input(admin_db, case):
    before = table_counts(admin_db.path)

    if case.refused:
        with pytest.raises(ct.ValidationError) as refusal:
            ct.add_case(admin_db, case.data)
        assert case.refused in refusal.value.errors, refusal.value.errors
        assert case.message in refusal.value.errors[case.refused]
        assert table_counts(admin_db.path) == before
        return

    stored = ct.add_case(admin_db, case.data)
    for name, expected in case.stored.items():
        assert stored[name] == expected, name
    assert table_counts(admin_db.path)["cases"] == before["cases"] + 1


def test_nfd_name_stored_nfc_and_found(admin_db):
    stored = ct.add_client(admin_db, {"name": NFD_NAME})

    assert unicodedata.is_normalized("NFC", stored["name"])
    for query in ("peñalolén", "PENALOLEN", unicodedata.normalize("NFD", "Peñalolén"), "penalolen inv"):
        found = ct.list_clients(admin_db, search=query).rows
        assert list(found["id"]) == [stored["id"]], query
    # The same name typed composed counts as a duplicate of the decomposed one.
    with pytest.raises(ct.ConfirmationRequired):
        ct.add_client(admin_db, {"name": unicodedata.normalize("NFC", NFD_NAME)})


def test_sql_text_leaves_schema_intact(admin_db):
    before = table_counts(admin_db.path)
    ct.add_client(admin_db, {"name": SQL})
    ct.add_case(admin_db, {"case_number": "1'; DROP TABLE cases;--"})

    assert list(ct.list_clients(admin_db, search="drop table").rows["name"]) == [SQL]
    assert table_counts(admin_db.path) == {"clients": 1, "cases": 1, "audit_log": before["audit_log"] + 2}


def test_formulas_neutralised_on_export(admin_db):
    names = ['=HYPERLINK("http://ejemplo.invalid","x")', "+56 Cliente", "@SUM(A1)", "-2+3 Ltda"]
    for name in names:
        ct.add_client(admin_db, {"name": name})
    frame = ct.list_clients(admin_db, page_size=50).rows[["name"]]

    csv_frame = pd.read_csv(io.BytesIO(exporting.to_csv_bytes(frame)), sep=";", encoding="utf-8-sig", dtype=str)
    workbook = openpyxl.load_workbook(io.BytesIO(exporting.to_xlsx_bytes(frame)))
    cells = [row[0] for row in workbook.active.iter_rows(min_row=2, values_only=True)]

    assert sorted(csv_frame["name"]) == sorted(f"'{name}" for name in names)
    assert sorted(cells) == sorted(f"'{name}" for name in names)
    # The database keeps the text as typed; only the exported copy is neutralised.
    assert sorted(frame["name"]) == sorted(names)


# The client form in the dashboard: every text a user can type into a field.
FORM_CASES = [
    ("name", "", "obligatorio"),
    ("name", "   ", "obligatorio"),
    ("name", "A" * 10_000, "10000 caracteres"),
    ("name", "Uno\x00Dos", "U+0000"),
    ("name", "Factura\u202eFDP.exe", "U+202E"),
    ("client_since", "31-02-2024", "«31-02-2024»"),
    ("email", "sin-arroba", "«sin-arroba»"),
    ("tax_id", "76.086.428-4", "dígito verificador"),
    ("tax_id", "abc", "RUT"),
    ("phone", "+56 9\x07", "U+0007"),
]

FORM_STORED = [SQL, HTML, SCRIPT, "Café ☕ 😀 SpA", NFD_NAME, "=1+2", "@SUM(A1)"]


@pytest.mark.parametrize("field_name, typed, message", FORM_CASES, ids=lambda value: repr(value)[:30])
def test_client_form_refuses(admin_db, field_name, typed, message):
    form = ClientForm(load_context(admin_db))
    before = table_counts(admin_db.path)
    form.open_new()
    if field_name != "name":
        form.fields["name"].value = "Nombre Válido"
    if field_name == "tax_id":
        form.fields["tax_country"].value = "CL"
    form.fields[field_name].value = typed

    form.save_button.click()

    assert form.is_open
    assert message in form.errors[field_name].value
    assert "ct-field-error" in form.errors[field_name].value
    assert "Revise los campos" in form.notice.value
    assert table_counts(admin_db.path) == before


@pytest.mark.parametrize("typed", FORM_STORED, ids=lambda value: repr(value)[:30])
def test_client_form_stores_verbatim_shows_escaped(admin_db, typed):
    from casetrack_nb.ui.clients import ClientsApp

    saved = []
    form = ClientForm(load_context(admin_db), on_saved=saved.append)
    form.open_new()
    form.fields["name"].value = typed
    form.fields["notes"].value = typed
    form.save_button.click()

    assert len(saved) == 1, form.notice.value
    expected = unicodedata.normalize("NFC", typed)
    stored = ct.get_client(admin_db, saved[0]["id"])
    assert stored["name"] == expected
    assert stored["notes"] == expected

    app = ClientsApp(load_context(admin_db))
    html = "".join(widget.value for widget in walk(app) if isinstance(getattr(widget, "value", None), str)
                   and widget.__class__.__name__ in ("HTML", "HTMLMath"))
    if "<" in typed:
        assert typed not in html
    assert escape_html(expected) in html


def walk(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from walk(child)


def escape_html(text: str) -> str:
    import html

    return html.escape(text)
