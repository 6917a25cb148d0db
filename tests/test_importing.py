"""Importing clients and cases from CSV and XLSX into real DuckDB files."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import json
import os
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from stdnum.cl import rut as cl_rut

import casetrack_nb as ct
from casetrack_nb import exporting, importing
from casetrack_nb.errors import PermissionDenied
from casetrack_nb.importing import MappingError

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).resolve().parent.parent

NAME = "Compañía Minera Ñuble S.A."
CITY = "Peñalolén"


def valid_rut(number: int) -> str:
    body = str(number)
    return f"{body}-{cl_rut.calc_check_digit(body)}"


RUT_A = valid_rut(76086428)
RUT_B = valid_rut(9876543)

AMOUNT_TEXT = {"comma": "1.234.567,89", "dot": "1,234,567.89"}
DATE_TEXT = {"%d/%m/%Y": "31/03/2024", "%d-%m-%Y": "31-03-2024", "%Y-%m-%d": "2024-03-31"}


def csv_bytes(rows: list[list[str]], *, encoding: str, sep: str) -> bytes:
    buffer = io.StringIO()
    import csv

    writer = csv.writer(buffer, delimiter=sep, lineterminator="\r\n")
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def client_rows() -> list[list[str]]:
    return [
        ["Nombre", "RUT", "Comuna", "Teléfono", "Código interno"],
        [NAME, RUT_A, CITY, "0221234567", "00042"],
        ["Inversiones Ñandú Limitada", RUT_B, "Ñuñoa", "+56 9 8765 4321", "00043"],
    ]


def case_rows(amount: str, date: str) -> list[list[str]]:
    return [
        ["Rol", "Carátula", "Tribunal", "Cuantía", "Moneda", "Fecha de inicio", "RUT cliente"],
        ["C-00123-2024", f"{NAME} con Fisco", "1º Juzgado Civil de Santiago", amount, "CLP", date, RUT_A],
        ["0045-2024", "Ñandú con Peñalolén", "Corte de Apelaciones", "", "", date, RUT_B],
    ]


def stored_clients(db) -> dict[str, dict]:
    with db.read() as con:
        rows = con.execute("SELECT name, tax_id, city, phone, internal_code, version, status FROM clients").fetchall()
    return {row[0]: dict(zip(("name", "tax_id", "city", "phone", "internal_code", "version", "status"), row))
            for row in rows}


def stored_cases(db) -> dict[str, dict]:
    with db.read() as con:
        rows = con.execute(
            "SELECT k.case_number, k.title, k.amount, k.currency, k.opened_on, c.name, k.version"
            " FROM cases k LEFT JOIN clients c ON c.id = k.client_id"
        ).fetchall()
    keys = ("case_number", "title", "amount", "currency", "opened_on", "client", "version")
    return {row[0]: dict(zip(keys, row)) for row in rows}


def assert_matrix_outcome(db) -> None:
    clients = stored_clients(db)
    assert set(clients) == {NAME, "Inversiones Ñandú Limitada"}
    assert clients[NAME]["name"].encode("utf-8") == NAME.encode("utf-8")
    assert clients[NAME]["city"].encode("utf-8") == CITY.encode("utf-8")
    assert clients[NAME]["tax_id"] == RUT_A.replace("-", "")
    assert clients[NAME]["phone"] == "0221234567"
    assert clients[NAME]["internal_code"] == "00042"
    cases = stored_cases(db)
    assert set(cases) == {"C-00123-2024", "0045-2024"}
    first = cases["C-00123-2024"]
    assert first["title"] == f"{NAME} con Fisco"
    assert first["amount"] == Decimal("1234567.89")
    assert first["currency"] == "CLP"
    assert first["opened_on"] == dt.date(2024, 3, 31)
    assert first["client"] == NAME
    assert cases["0045-2024"]["client"] == "Inversiones Ñandú Limitada"


MATRIX = list(itertools.product(("utf-8", "utf-8-sig", "cp1252"), (",", ";", "\t"), ("comma", "dot"), DATE_TEXT))


@pytest.mark.parametrize(("encoding", "sep", "style", "date_format"), MATRIX)
def test_csv_matrix_stores_exact_text(admin_db, tmp_path, encoding, sep, style, date_format):
    clients_file = tmp_path / "clientes.csv"
    clients_file.write_bytes(csv_bytes(client_rows(), encoding=encoding, sep=sep))
    cases_file = tmp_path / "causas.csv"
    cases_file.write_bytes(csv_bytes(case_rows(AMOUNT_TEXT[style], DATE_TEXT[date_format]), encoding=encoding, sep=sep))

    report = importing.import_file(admin_db, "clientes", clients_file)
    assert report.imported, report.summary()
    assert report.encoding == {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 con BOM", "cp1252": "Windows-1252 (cp1252)"}[encoding]
    report = importing.import_file(admin_db, "causas", cases_file)
    assert report.imported, report.to_frame().to_string()
    assert report.errors == []
    assert_matrix_outcome(admin_db)


@pytest.mark.parametrize(("style", "date_format"), list(itertools.product(("comma", "dot"), DATE_TEXT)))
def test_xlsx_matrix_stores_exact_text(admin_db, tmp_path, style, date_format):
    for name, rows in (("clientes.xlsx", client_rows()),
                       ("causas.xlsx", case_rows(AMOUNT_TEXT[style], DATE_TEXT[date_format]))):
        workbook = openpyxl.Workbook()
        for row in rows:
            workbook.active.append(row)
        workbook.save(tmp_path / name)
    assert importing.import_file(admin_db, "clientes", tmp_path / "clientes.xlsx").imported
    report = importing.import_file(admin_db, "causas", tmp_path / "causas.xlsx")
    assert report.imported, report.to_frame().to_string()
    assert_matrix_outcome(admin_db)


def test_xlsx_numeric_ids_stay_text(admin_db, tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Razón social", "CUIT", "Código", "Teléfono"])
    sheet.append([NAME, 30500000747, 147, 221234567.0])
    sheet.append(["Banco del Tandil S A", 30500001042.0, 42014, None])
    sheet["C2"].number_format = "00000"
    workbook.save(tmp_path / "ids.xlsx")
    cases_book = openpyxl.Workbook()
    cases_book.active.append(["Expediente", "Cuantía", "Fecha de inicio", "CUIT"])
    cases_book.active.append([2024000123, 1234567.89, dt.datetime(2024, 3, 31), 30500000747])
    cases_book.save(tmp_path / "causas.xlsx")

    report = importing.import_file(admin_db, "clientes", tmp_path / "ids.xlsx")
    assert report.imported, report.to_frame().to_string()
    clients = stored_clients(admin_db)
    assert clients[NAME]["tax_id"] == "30500000747"
    assert clients[NAME]["internal_code"] == "00147"
    assert clients[NAME]["phone"] == "221234567"
    assert clients["Banco del Tandil S A"]["tax_id"] == "30500001042"
    with admin_db.read() as con:
        assert con.execute("SELECT tax_country, tax_kind FROM clients WHERE name = ?", [NAME]).fetchall() == [("AR", "CUIT")]

    report = importing.import_file(admin_db, "causas", tmp_path / "causas.xlsx")
    assert report.imported, report.to_frame().to_string()
    case = stored_cases(admin_db)["2024000123"]
    assert case["amount"] == Decimal("1234567.89")
    assert case["opened_on"] == dt.date(2024, 3, 31)
    assert case["client"] == NAME


def test_date_format_is_chosen_per_column(admin_db, tmp_path):
    path = tmp_path / "causas.csv"
    path.write_text("Rol;Fecha de inicio\nC-1-2024;01/02/2024\nC-2-2024;13/02/2024\nC-3-2024;2024-02-14\n", encoding="utf-8")

    report = importing.import_file(admin_db, "causas", path)

    assert not report.imported
    assert [(issue.row, issue.column, issue.value) for issue in report.errors] == [(4, "Fecha de inicio", "2024-02-14")]
    assert "dd/mm/aaaa" in report.errors[0].message
    assert stored_cases(admin_db) == {}

    report = importing.import_file(admin_db, "causas", path, date_formats={"Fecha de inicio": "%m/%d/%Y"})
    assert {issue.row for issue in report.errors} == {3, 4}


def test_missing_required_column_is_named(admin_db, tmp_path):
    path = tmp_path / "causas.csv"
    path.write_text("Carátula,Tribunal\nA con B,1º Civil\n", encoding="utf-8")
    with pytest.raises(MappingError) as caught:
        importing.import_file(admin_db, "causas", path)
    assert "Número (rol, radicado, expediente)" in str(caught.value)
    assert "Carátula, Tribunal" in str(caught.value)

    report = importing.import_file(admin_db, "causas", path, overrides={"Carátula": "case_number"})
    assert report.imported


def test_errors_write_nothing_unless_only_valid(admin_db, tmp_path):
    path = tmp_path / "clientes.csv"
    path.write_text(
        f"Nombre;RUT;Correo\nUno S.A.;{RUT_A};uno@example.cl\nDos S.A.;12.345.678-0;dos@example.cl\n"
        f"Tres S.A.;{RUT_A};tres@example.cl\nCuatro S.A.;;no-es-correo\nCinco S.A.;;\n",
        encoding="utf-8",
    )

    report = importing.import_file(admin_db, "clientes", path)

    assert not report.imported
    assert stored_clients(admin_db) == {}
    problems = {(issue.row, issue.column) for issue in report.errors}
    assert problems == {(2, "RUT"), (3, "RUT"), (4, "RUT"), (5, "Correo")}
    duplicate = next(issue for issue in report.errors if issue.row == 2)
    assert "filas 2, 4" in duplicate.message
    assert "no se importó nada" in report.summary()

    report = importing.import_file(admin_db, "clientes", path, only_valid=True)
    assert report.imported
    assert report.skipped == 4
    assert set(stored_clients(admin_db)) == {"Cinco S.A."}


def test_rfc_checksum_and_similar_name_are_warnings(admin_db, tmp_path):
    ct.add_client(admin_db, name="Minera Ñuble SpA")
    path = tmp_path / "clientes.csv"
    path.write_text("Nombre,RFC\nMinera Ñuble S.A.,\nComercial Azteca,GODE561231GR9\n", encoding="utf-8")

    report = importing.import_file(admin_db, "clientes", path)

    assert report.imported, report.to_frame().to_string()
    assert report.errors == []
    levels = {(issue.row, issue.column): issue.message for issue in report.warnings}
    assert "posible duplicado" in levels[(2, "Nombre")].lower()
    assert (3, "RFC") in levels


def test_damaged_rows_are_repaired_or_reported(admin_db, tmp_path):
    report = importing.import_file(admin_db, "clientes", FIXTURES / "registro-nacional-sociedades-202409_recortado.csv")
    assert report.imported
    assert report.inserted == 49
    assert [(issue.row, issue.level) for issue in report.issues if "comillas" in issue.message] == [(2, "warning")]
    with admin_db.read() as con:
        sura = con.execute("SELECT tax_id, tax_country, city FROM clients WHERE name = 'SEGUROS SURA S.A'").fetchall()
    assert sura == [("30500000127", "AR", "CAPITAL FEDERAL")]

    path = tmp_path / "roto.csv"
    path.write_text('Nombre,Ciudad\n"Uno S.A.,""Santiago"""\nDos S.A.,Lima,extra\nTres S.A.,Quito\n', encoding="utf-8")
    report = importing.import_file(admin_db, "clientes", path)
    assert not report.imported
    assert [(issue.row, issue.level) for issue in report.issues] == [(2, "warning"), (3, "error")]
    assert report.errors[0].value == "Dos S.A.,Lima,extra"


def test_every_line_damaged_file(admin_db):
    report = importing.import_file(admin_db, "clientes", FIXTURES / "igj-entidades-202409_recortado.csv")
    assert report.imported
    assert report.inserted == 49
    assert [issue.row for issue in report.warnings] == [None]
    assert "Todas las líneas" in report.warnings[0].message
    with admin_db.read() as con:
        names = [row[0] for row in con.execute("SELECT name FROM clients ORDER BY internal_code").fetchall()]
        with_cuit = con.execute("SELECT count(*) FROM clients WHERE tax_id IS NOT NULL").fetchall()[0][0]
    assert "A A VALLE Y COMPAÑIA" in names
    assert "1567441" in names
    assert with_cuit == 4
    # Every entity in this extract has dada_de_baja = S: struck off the registry.
    assert set(stored_clients(admin_db)[name]["status"] for name in names) == {"no_vigente"}


def test_igj_struck_off_code_sets_status(admin_db, tmp_path):
    path = tmp_path / "igj.csv"
    path.write_text(
        "numero_correlativo,razon_social,descripcion_tipo_societario,dada_de_baja,detalle_baja,cuit\n"
        "1,Activa S.A.,SOCIEDAD ANONIMA,N,,\n"
        "2,Baja S.R.L.,SOCIEDAD DE RESPONSABILIDAD LIMITADA,s,PERTENECE A REGISTRO ENTIDADES INACTIVAS,\n"
        "3,Sin Dato S.A.,SOCIEDAD ANONIMA,,,\n"
        "4,Otra S.A.,SOCIEDAD ANONIMA,X,,\n",
        encoding="utf-8")

    report = importing.import_file(admin_db, "clientes", path, only_valid=True)

    assert report.preset.startswith("Entidades de la Inspección General de Justicia")
    assert [(issue.row, issue.column, issue.value) for issue in report.errors] == [(5, "dada_de_baja", "X")]
    assert "Use uno de: S, N" in report.errors[0].message
    clients = stored_clients(admin_db)
    assert clients["Activa S.A."]["status"] == "vigente"
    assert clients["Baja S.R.L."]["status"] == "no_vigente"
    assert clients["Sin Dato S.A."]["status"] == "vigente"
    assert "Otra S.A." not in clients


def test_xlsx_damaged_first_cell_and_carriage_returns(admin_db):
    report = importing.import_file(admin_db, "clientes", FIXTURES / "registro-nacional-sociedades-202409-recortado-csv.xlsx")
    assert report.imported
    assert report.inserted == 49
    assert [issue.row for issue in report.issues if "comillas" in issue.message] == [2]
    table = importing.read_path(FIXTURES / "registro-nacional-sociedades-202409-recortado-csv.xlsx")
    last = table.frame["dom_legal_estado_domicilio"].dropna()
    assert not last.str.contains("_x000D_|\r").any()
    assert table.frame["dom_legal_cp"].iloc[1] == " 7500"


def test_hash_for_enye_is_kept_and_warned(admin_db):
    report = importing.import_file(admin_db, "clientes", FIXTURES / "registro-nacional-sociedades-202409_recortado.csv")
    hashes = [issue for issue in report.warnings if "#" in issue.value]
    assert [issue.row for issue in hashes] == [26, 47]
    assert "LA CONTINENTAL COMPA#IA DE SEGUROS GENERALES S A" in stored_clients(admin_db)


def test_constitutional_court_sample(admin_db):
    path = FIXTURES / "corte_constitucional_50.csv"
    report = importing.import_file(admin_db, "causas", path)

    assert report.imported, report.to_frame().to_string()
    assert report.preset.startswith("Sentencias de la Corte Constitucional")
    assert report.errors == []
    assert report.rows == 50
    cases = stored_cases(admin_db)
    assert len(cases) == 50 - len(report.warnings)
    first = cases["T-1297"]
    assert first["opened_on"] == dt.date(1992, 2, 25)
    assert first["title"] == "T-012/92"
    assert first["client"] is None
    with admin_db.read() as con:
        row = con.execute("SELECT matter, responsible_lawyer, court FROM cases WHERE case_number = 'T-1297'").fetchall()
        first_ids = [found for found, in con.execute("SELECT id FROM cases ORDER BY id LIMIT 2").fetchall()]
        entries = con.execute("SELECT action, entity_id, source FROM audit_log WHERE entity = 'case'").fetchall()
    assert row == [("Tutela", "José Gregorio Hernández Galindo", "Corte Constitucional")]
    # One entry covers the whole import, and each case's history still names its file row.
    assert entries == [("import", None, "corte_constitucional_50.csv")]
    sources = [ct.audit.history(admin_db, entity="case", entity_id=found)["source"].tolist() for found in first_ids]
    assert sources == [["corte_constitucional_50.csv:fila 2"], ["corte_constitucional_50.csv:fila 3"]]


FULL_FILES = os.environ.get("CASETRACK_SAMPLE_DIR")


@pytest.mark.skipif(not FULL_FILES, reason="set CASETRACK_SAMPLE_DIR to the folder with the full public files")
def test_constitutional_court_full_file(admin_db):
    path = next(Path(FULL_FILES).rglob("Sentencias_proferidas_por_la_Corte_Constitucional_*.csv"))
    report = importing.import_file(admin_db, "causas", path)
    assert report.rows == 29_210
    assert report.errors == []
    assert len(report.warnings) == 83
    assert report.inserted == 29_127


def test_reimport_updates_instead_of_duplicating(admin_db, tmp_path):
    path = tmp_path / "clientes.csv"
    path.write_bytes(csv_bytes(client_rows(), encoding="utf-8", sep=";"))
    importing.import_file(admin_db, "clientes", path)
    cases_path = tmp_path / "causas.csv"
    cases_path.write_bytes(csv_bytes(case_rows("1.000", "31-03-2024"), encoding="utf-8", sep=";"))
    importing.import_file(admin_db, "causas", cases_path)

    again = importing.import_file(admin_db, "clientes", path)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)
    again = importing.import_file(admin_db, "causas", cases_path)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)

    rows = client_rows()
    rows[1][2] = "Las Condes"
    path.write_bytes(csv_bytes(rows, encoding="utf-8", sep=";"))
    changed = importing.import_file(admin_db, "clientes", path)
    assert (changed.inserted, changed.updated, changed.unchanged) == (0, 1, 1)
    clients = stored_clients(admin_db)
    assert len(clients) == 2
    assert clients[NAME]["city"] == "Las Condes"
    assert clients[NAME]["version"] == 2
    with admin_db.read() as con:
        entry = con.execute(
            "SELECT before, after, source FROM audit_log WHERE action = 'update' AND entity = 'client'"
        ).fetchall()
    assert len(entry) == 1
    before, after, source = json.loads(entry[0][0]), json.loads(entry[0][1]), entry[0][2]
    assert (before["city"], after["city"]) == (CITY, "Las Condes")
    assert (before["version"], after["version"]) == (1, 2)
    assert source == "clientes.csv:fila 2"
    assert len(stored_cases(admin_db)) == 2


def test_export_then_import_gives_same_data(demo_db, tmp_path):
    clients_frame = ct.list_clients(demo_db, page_size=500).rows
    cases_frame = ct.export_cases(demo_db, ct.CaseFilter(status=None))
    columns = ["case_number", "title", "client_name", "court", "matter", "stage", "status", "opened_on",
               "closed_on", "amount", "currency", "responsible_lawyer", "counterparty", "client_side"]
    (tmp_path / "clientes.csv").write_bytes(exporting.to_csv_bytes(clients_frame.drop(columns=["id"])))
    (tmp_path / "causas.xlsx").write_bytes(exporting.to_xlsx_bytes(cases_frame[columns]))

    target = ct.open_database(tmp_path / "copia.duckdb", user="socia")
    ct.add_user(target, "socia", role="superadmin", bootstrap=True)
    report = importing.import_file(target, "clientes", tmp_path / "clientes.csv")
    assert report.imported, report.to_frame().head(20).to_string()
    report = importing.import_file(target, "causas", tmp_path / "causas.xlsx", overrides={"client_name": "client_name"})
    assert report.imported, report.to_frame().head(20).to_string()

    fields = "name, legal_name, tax_country, tax_kind, tax_id, email, city, internal_code, client_since, status"
    query = f"SELECT {fields} FROM clients WHERE deleted_at IS NULL ORDER BY name"
    with demo_db.read() as con:
        original = con.execute(query).fetchall()
    with target.read() as con:
        copy = con.execute(query).fetchall()
    assert copy == original
    case_fields = ("SELECT k.case_number, k.title, c.name, k.court, k.status, k.opened_on, k.closed_on, k.amount,"
                   " k.currency, k.client_side FROM cases k LEFT JOIN clients c ON c.id = k.client_id"
                   " ORDER BY k.case_number_key, k.court")
    with demo_db.read() as con:
        original_cases = con.execute(case_fields).fetchall()
    with target.read() as con:
        copied_cases = con.execute(case_fields).fetchall()
    assert copied_cases == original_cases


def test_usuario_is_refused(user_db, tmp_path):
    path = tmp_path / "clientes.csv"
    path.write_text("Nombre\nUno S.A.\n", encoding="utf-8")
    with pytest.raises(PermissionDenied) as caught:
        importing.import_file(user_db, "clientes", path, dry_run=True)
    assert "importar datos" in str(caught.value)


def run_cli(db_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "CASETRACK_DB": str(db_path), "CASETRACK_USER": "admin"}
    return subprocess.run([sys.executable, "-m", "casetrack_nb.cli", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def test_cli_import_and_dry_run(admin_db, tmp_path):
    path = tmp_path / "clientes.csv"
    path.write_bytes(csv_bytes(client_rows(), encoding="cp1252", sep=";"))

    checked = run_cli(admin_db.path, "import", "clientes", str(path), "--dry-run")
    assert checked.returncode == 0, checked.stderr
    assert "Windows-1252" in checked.stdout
    assert stored_clients(admin_db) == {}

    done = run_cli(admin_db.path, "import", "clientes", str(path), "--map", "Comuna=region", "--no-progress")
    assert done.returncode == 0, done.stderr
    assert "Nuevos: 2" in done.stdout
    with admin_db.read() as con:
        assert con.execute("SELECT region, city FROM clients WHERE name = ?", [NAME]).fetchall() == [(CITY, None)]

    bad = tmp_path / "malo.csv"
    bad.write_text("Nombre,Cliente desde\nUno S.A.,31/02/2024\n", encoding="utf-8")
    failed = run_cli(admin_db.path, "import", "clientes", str(bad), "--date-format", "Cliente desde=%d/%m/%Y")
    assert failed.returncode == 1
    assert "31/02/2024" in failed.stdout


def test_killed_import_leaves_database_unchanged(admin_db, tmp_path):
    small = tmp_path / "pocas.csv"
    small.write_text("Rol;Tribunal\nC-1-2020;1º Civil\n", encoding="utf-8")
    assert importing.import_file(admin_db, "causas", small).imported

    big = tmp_path / "muchas.csv"
    with big.open("w", encoding="utf-8") as handle:
        handle.write("Rol;Carátula;Tribunal;Cuantía;Fecha de inicio\n")
        for number in range(300_000):
            handle.write(f"C-{number}-2024;Demandante {number} con Peñalolén;{number % 40 + 1}º Juzgado Civil;"
                         f"{number:,}".replace(",", ".") + f",50;{number % 28 + 1:02d}/03/2024\n")

    env = {**os.environ, "CASETRACK_DB": str(admin_db.path), "CASETRACK_USER": "admin"}
    process = subprocess.Popen([sys.executable, "-m", "casetrack_nb.cli", "import", "causas", str(big)],
                               env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    seen = b""
    deadline = time.monotonic() + 240
    while b"Guardando" not in seen and time.monotonic() < deadline and process.poll() is None:
        seen += os.read(process.stderr.fileno(), 256)
    process.send_signal(signal.SIGKILL)
    process.wait()
    process.stderr.close()

    assert b"Guardando" in seen, seen[-500:]
    assert process.returncode == -signal.SIGKILL
    with admin_db.read() as con:
        assert con.execute("SELECT count(*) FROM cases").fetchall() == [(1,)]
        assert con.execute("SELECT count(*) FROM audit_log WHERE entity = 'case'").fetchall() == [(1,)]


def test_cases_link_foreign_tax_ids(admin_db, tmp_path):
    # The firm's default country is CL; the tax id column names no country.
    mexican = ct.add_client(admin_db, name="Comercializadora Azteca", tax_country="MX", tax_id="GODE561231GR8")
    # 76.086.433-1 is both a valid Chilean RUT and a valid Colombian NIT.
    chilean = ct.add_client(admin_db, name="Inversiones Andes", tax_country="CL", tax_id="76.086.433-1")
    ct.add_client(admin_db, name="Constructora Andina", tax_country="CO", tax_id="760864331")
    # 20201000018 is both an Argentine CUIT and a Peruvian RUC, and neither is the default country.
    ct.add_client(admin_db, name="Agro Pampa", tax_country="AR", tax_id="20201000018")
    ct.add_client(admin_db, name="Minera Inca", tax_country="PE", tax_id="20201000018")
    path = tmp_path / "causas.csv"
    path.write_text(
        "Rol,Identificador tributario del cliente\n"
        "C-1-2024,gode 561231-gr8\nC-2-2024,76.086.433-1\nC-3-2024,20201000018\nC-4-2024,XAXX010101000\n",
        encoding="utf-8",
    )

    report = importing.import_file(admin_db, "causas", path, only_valid=True)

    assert report.imported, report.to_frame().to_string()
    cases = stored_cases(admin_db)
    assert cases["C-1-2024"]["client"] == mexican["name"]
    assert cases["C-2-2024"]["client"] == chilean["name"]
    assert set(cases) == {"C-1-2024", "C-2-2024"}
    reasons = {issue.row: issue.message for issue in report.errors}
    assert set(reasons) == {4, 5}
    assert "Hay 2 clientes" in reasons[4]
    assert "No hay un cliente" in reasons[5]
    # A valid RFC of no stored client is not a typing error.
    assert "mal escrito" not in reasons[5]


def test_mistyped_client_tax_id_is_named(admin_db, tmp_path):
    ct.add_client(admin_db, name="Inversiones Andes", tax_country="CL", tax_id="76.086.433-1")
    path = tmp_path / "causas.csv"
    path.write_text("Rol,RUT cliente\nC-1-2024,76.086.433-2\n", encoding="utf-8")

    report = importing.import_file(admin_db, "causas", path, dry_run=True)

    assert len(report.errors) == 1
    assert "No hay un cliente con «76.086.433-2», y el identificador parece mal escrito" in report.errors[0].message
    assert "dígito verificador" in report.errors[0].message


@pytest.mark.parametrize("encoding", ["utf-8", "cp1252"])
def test_imported_case_history_names_its_row(admin_db, tmp_path, encoding):
    # UTF-8 takes the SQL path and cp1252 the Python one. Both log one entry for the new cases.
    existing = ct.add_case(admin_db, case_number="C-9-2024", title="Anterior")
    path = tmp_path / "causas.csv"
    path.write_bytes(
        "Rol;Carátula;Fecha de inicio\n"
        "C-1-2024;Primera;01-02-2024\n"
        "C-2-2024;Con error;31-02-2024\n"
        "C-3-2024;Tercera;03-02-2024\n"
        "C-1-2024;Primera, corregida;04-02-2024\n"
        "C-9-2024;Actualizada;05-02-2024\n"
        "C-5-2024;Quinta;\n".encode(encoding))

    report = importing.import_file(admin_db, "causas", path, only_valid=True)

    assert (report.inserted, report.updated, report.skipped) == (3, 1, 1), report.to_frame().to_string()
    with admin_db.read() as con:
        ids = dict(con.execute("SELECT case_number, id FROM cases").fetchall())
        logged = con.execute("SELECT action, entity_id, source FROM audit_log WHERE entity = 'case'"
                             " ORDER BY id").fetchall()
    assert logged == [("create", str(existing["id"]), None), ("update", str(existing["id"]), "causas.csv:fila 6"),
                      ("import", None, "causas.csv")]

    def creation(number):
        frame = ct.audit.history(admin_db, entity="case", entity_id=ids[number])
        created = frame[frame["action"] == "create"].to_dict("records")
        assert len(created) == 1
        assert created[0]["actor"] == "admin"
        return created[0]["source"], json.loads(created[0]["after"])

    # Row 2 was replaced by row 5 and row 3 had an error, so the runs skip them.
    assert creation("C-1-2024")[0] == "causas.csv:fila 5"
    assert creation("C-3-2024")[0] == "causas.csv:fila 4"
    assert creation("C-5-2024")[0] == "causas.csv:fila 7"
    assert pd.isna(creation("C-9-2024")[0])

    # After an edit, the creation still shows the imported values, and the edit comes first.
    ct.update_case(admin_db, ids["C-3-2024"], title="Tercera, editada")
    frame = ct.audit.history(admin_db, entity="case", entity_id=ids["C-3-2024"])
    assert list(frame["action"]) == ["update", "create"]
    source, values = creation("C-3-2024")
    assert (source, values["title"], values["opened_on"]) == ("causas.csv:fila 4", "Tercera", "2024-02-03")
    assert json.loads(frame.iloc[0]["after"])["title"] == "Tercera, editada"


def test_status_words_in_import(admin_db, tmp_path):
    path = tmp_path / "procesos.csv"
    path.write_text("Radicado;Estado\nP-1;Activo\nP-2;Cerrado\nP-3;En trámite\nP-4;suspendido\n", encoding="utf-8")

    report = importing.import_file(admin_db, "causas", path, only_valid=True)

    assert [(issue.row, issue.value) for issue in report.errors] == [(5, "suspendido")]
    with admin_db.read() as con:
        statuses = dict(con.execute("SELECT case_number, status FROM cases").fetchall())
    assert statuses == {"P-1": "activa", "P-2": "inactiva", "P-3": "activa"}


def test_impossible_date_is_named_as_such(admin_db, tmp_path):
    path = tmp_path / "causas.csv"
    path.write_text("Rol;Fecha de inicio\nC-1;28-02-2024\nC-2;01-03-2024\nC-3;31-02-2024\nC-4;2024-03-01\n",
                    encoding="utf-8")

    report = importing.import_file(admin_db, "causas", path, dry_run=True)

    messages = {issue.row: issue.message for issue in report.errors}
    assert set(messages) == {4, 5}
    assert "«31-02-2024» de la columna «Fecha de inicio» no existe en el calendario" in messages[4]
    assert "(la columna usa dd-mm-aaaa)" in messages[4]
    assert "no tiene el formato dd-mm-aaaa" in messages[5]
