"""The importer's shortcuts give what the reference parsers in casetrack_nb.values give."""

from __future__ import annotations

import csv
import io

import pytest

from casetrack_nb import cases
from casetrack_nb.errors import ValidationError
from casetrack_nb.importing import reading
from casetrack_nb.importing.rows import quick_case_number_key, quick_search_key, quick_text
from casetrack_nb.values import case_number_key, search_key

TRICKY = [
    "Peñalolén", "Pen\u0303alole\u0301n", "  C-1234-2024  ", "Juzgado\u00a0Civil", "tab\there", "bell\x07",
    "zero\u200bwidth", "bidi\u202eevil", "1.234,56", "1,234.56", "1.500", "31-02-2024", "2024-13-01", "XYZ",
    "", "   ", "nan", "=SUM(A1:A2)", "+56 9 1234", "@cmd", "x" * 10_000, "Ñandú   con   Fisco", "soft\u00adhyphen",
    "ß-straße", "ﬁ-ligature", "Ǆ title", "\u2028line", "end\x1f", "\x1cstart", "µ 5", "İstanbul", "ÿ",
    "a\r\nb", "São Paulo", "Tribunal 1º", "C\u0327a", "“quoted”", "'single'", "🙂 emoji",
]


def reference_text(value: str, name: str) -> tuple[object, str | None]:
    try:
        return cases.validate({name: value}, partial=True)[name], None
    except ValidationError as error:
        return None, error.errors[name]


@pytest.mark.parametrize("name", ["case_number", "title", "court", "counterparty"])
def test_quick_text_matches_clean_text(name):
    limit = next(length for column, _es, _en, _kind, length in cases.FIELDS if column == name)
    for value in TRICKY:
        quick = quick_text(value, limit)
        if quick is False:
            continue  # the importer calls the reference parser for these
        expected, error = reference_text(value, name)
        if name == "case_number" and quick is None:
            assert error is not None, value
        else:
            assert error is None, value
            assert quick == expected, value


def test_quick_keys_match_reference():
    for value in TRICKY:
        assert quick_search_key(value) == search_key(value), value
        assert quick_case_number_key(value) == case_number_key(value), value


def test_duckdb_reader_matches_python_reader(tmp_path):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["Rol", "Carátula", "Cuantía", "Fecha"])
    for number, value in enumerate(TRICKY):
        if "\r" in value or "\n" in value:
            continue
        writer.writerow([f"C-{number}", value, value, value])
    writer.writerow(["C-last", "\u00a0", " ", "\u3000"])
    path = tmp_path / "causas.csv"
    path.write_bytes(buffer.getvalue().encode("utf-8"))
    data = path.read_bytes()

    fast = reading.read_table(data, path.name, path=path)
    slow = reading.read_table(data, path.name)

    assert fast.headers == slow.headers
    assert fast.row_numbers == slow.row_numbers
    assert fast.frame.to_dict("records") == slow.frame.to_dict("records")
    assert fast.frame.iloc[-1].tolist() == ["C-last", None, None, None]


def test_duckdb_reader_declines_odd_files(tmp_path):
    # A blank line, a line break inside a cell and an XLSX escape each change what the
    # Python reader does, so the DuckDB reader must leave those files to it.
    samples = {
        "blank.csv": "Rol,Carátula\nC-1,Uno\n\nC-2,Dos\n",
        "multiline.csv": 'Rol,Carátula\nC-1,"Uno\ny dos"\nC-2,Dos\n',
        "escape.csv": "Rol,Carátula\nC-1,Uno_x000D_\n",
        "wrapped.csv": 'Rol,Carátula\n"C-1,Uno"\nC-2,Dos\n',
    }
    for name, text in samples.items():
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        data = path.read_bytes()
        fast = reading.read_table(data, name, path=path)
        slow = reading.read_table(data, name)
        assert fast.row_numbers == slow.row_numbers, name
        assert fast.frame.to_dict("records") == slow.frame.to_dict("records"), name
        assert fast.repairs == slow.repairs, name


# --- The SQL import path (importing.in_database) against the Python path ------------------

def _case_database(path):
    """A database with users, two clients and stored cases to update, to leave alone and to find twice."""
    import casetrack_nb as ct
    from conftest import make_users

    make_users(path)
    db = ct.open_database(path, user="admin")
    first = ct.add_client(db, name="Minera Ñuble S.A.", tax_id="76.086.428-5")
    ct.add_client(db, name="Comercial Pérez Ltda.", tax_id="96.790.240-3")
    cases.add_case(db, case_number="C-1-2024", title="Título guardado con Peñalolén", court="1º Civil",
                   client_id=first["id"])
    cases.add_case(db, case_number="C-2-2024", title="Plain stored title")
    cases.add_case(db, case_number="C-9-2024", court="2º Civil")
    cases.add_case(db, case_number="C-9-2024", court="3º Civil")
    cases.add_case(db, case_number="C-7-2024", status="inactiva", client_id=first["id"])
    return db


def _tricky_rows():
    header = ["Rol", "Carátula", "Tribunal", "Estado", "Fecha de inicio", "Fecha de término", "Cuantía", "Moneda",
              "Identificador tributario del cliente"]
    rows = [
        ["C-1-2024", "", "1º Civil", "", "", "", "", "", "76086428-5"],
        ["C-2-2024", "", "", "terminada", "01/03/2024", "", "1.500", "CLP", "96790240-3"],
        ["C-9-2024", "Ambigua", "", "", "", "", "", "", ""],
        ["C-3-2024", "Cierre antes", "", "", "10/03/2024", "01/03/2024", "", "USD", ""],
        ["C-4-2024", "Cliente que no existe", "", "", "", "", "2.000,50", "", "11.111.111-1"],
        ["", "Sin número", "", "", "", "", "", "", ""],
        ["C-5-2024", "Primera", "", "", "", "", "", "", ""],
        ["c 5 2024", "Repetida", "", "", "", "", "", "", ""],
        ["C-6-2024", "Estado raro", "", "suspendida", "31/02/2024", "", "abc", "XYZ", ""],
        ["C-7-2024", "", "", "Activo", "", "", "", "", "96790240-3"],
    ]
    for number, value in enumerate(TRICKY):
        if "\r" in value or "\n" in value:
            continue
        rows.append([f"T-{number}" if number % 3 else value or f"T-{number}", value, value[:50], "",
                     "", "", value[:20], "", ""])
        rows.append([f"Ñ-{number}-ü", value, "Juzgado\u00a0Civil", "activa", f"{number % 28 + 1:02d}/01/2020",
                     "", f"{number}.000,{number % 100:02d}", "CLP" if number % 2 else "", ""])
    return header, rows


def _generated_rows(count: int):
    import random

    generator = random.Random(11)
    header, tricky = _tricky_rows()
    rows = []
    for number in range(count):
        choice = generator.random()
        if choice < 0.05:
            rows.append(list(generator.choice(tricky)))
            continue
        title = generator.choice(["Pérez con Fisco", "Demanda civil", "Ñandú  SpA", "Cobro de pesos", "ß test"])
        rows.append([f"R-{generator.randrange(count)}-20{generator.randrange(10, 25)}", f"{title} {number % 97}",
                     generator.choice(["1º Civil", "2º Civil", "", "Corte Suprema"]),
                     generator.choice(["", "activa", "terminada", "Activa "]),
                     f"{generator.randrange(1, 29):02d}/{generator.randrange(1, 13):02d}/20{generator.randrange(10, 25)}",
                     "", f"{generator.randrange(0, 10**7):,}".replace(",", ".") + ",00",
                     generator.choice(["CLP", "USD", ""]),
                     generator.choice(["76086428-5", "96790240-3", "", "1-9"])])
    return header, rows


def _write_csv(path, header, rows):
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(header)
        writer.writerows(rows)


def _outcome(db, report):
    with db.read() as con:
        stored = con.execute(
            "SELECT id, case_number, title, client_id, court, matter, stage, status, opened_on, closed_on, amount,"
            " currency, responsible_lawyer, counterparty, client_side, case_number_key, search_text, version"
            " FROM cases ORDER BY id").fetchall()
        entries = con.execute(
            "SELECT action, entity, entity_id, before, after, source FROM audit_log WHERE entity = 'case'"
            " ORDER BY id").fetchall()
    issues = [(issue.row, issue.column, issue.value, issue.message, issue.level) for issue in report.issues]
    totals = (report.rows, report.inserted, report.updated, report.unchanged, report.skipped, report.imported)
    return stored, entries, issues, totals


def _both_paths(tmp_path, monkeypatch, header, rows, **options):
    from casetrack_nb import importing
    from casetrack_nb.importing import in_database

    path = tmp_path / "causas.csv"
    _write_csv(path, header, rows)
    taken = []
    original = in_database.import_cases

    def spy(*args, **kwargs):
        taken.append(original(*args, **kwargs))
        return taken[-1]

    monkeypatch.setattr(in_database, "import_cases", spy)
    sql_db = _case_database(tmp_path / "sql.duckdb")
    sql = _outcome(sql_db, importing.import_file(sql_db, "causas", path, **options))
    assert taken == [True]

    monkeypatch.setattr(in_database, "can_import", lambda *args: False)
    python_db = _case_database(tmp_path / "python.duckdb")
    python = _outcome(python_db, importing.import_file(python_db, "causas", path, **options))
    assert taken == [True]
    return sql, python


@pytest.mark.parametrize("options", [{"only_valid": True}, {}, {"dry_run": True}])
def test_sql_path_matches_python_path_on_tricky_rows(tmp_path, monkeypatch, options):
    header, rows = _tricky_rows()
    sql, python = _both_paths(tmp_path, monkeypatch, header, rows, **options)

    assert sql[3] == python[3]
    assert sql[2] == python[2]
    assert sql[0] == python[0]
    assert sql[1] == python[1]
    assert any(level == "error" for *_, level in sql[2])
    assert any(level == "warning" for *_, level in sql[2])
    changes = [message for _row, _column, value, message, level in sql[2] if value == "C-7-2024"]
    assert changes == ["La causa «C-7-2024» pasa del cliente «Minera Ñuble S.A.» a «Comercial Pérez Ltda.».",
                       "La causa «C-7-2024» estaba inactiva y vuelve a quedar activa."]


def test_sql_path_matches_python_path_on_generated_file(tmp_path, monkeypatch):
    header, rows = _generated_rows(3_000)
    sql, python = _both_paths(tmp_path, monkeypatch, header, rows, only_valid=True)

    assert sql[3] == python[3]
    assert sql[2] == python[2]
    assert sql[0] == python[0]
    assert sql[1] == python[1]
    assert sql[3][1] > 1_000


@pytest.mark.parametrize("dot_rows", [3, 5])
def test_sql_path_amount_style_matches_python_path(tmp_path, monkeypatch, dot_rows):
    # Four comma-style amounts against three or five dot-style ones, all of different digits:
    # the style counted per shape must be the one the reference counts per value.
    header = ["Rol", "Cuantía"]
    rows = [[f"A-{number}", f"{number}.{number}41,5{number}"] for number in range(1, 5)]
    rows += [[f"B-{number}", f"{number}7{number}.2{number}"] for number in range(1, dot_rows + 1)]
    rows.append(["C-1", "1.234"])
    sql, python = _both_paths(tmp_path, monkeypatch, header, rows, only_valid=True)

    assert sql[3] == python[3]
    assert sql[2] == python[2]
    assert sql[0] == python[0]
    assert sql[1] == python[1]
    assert sql[2]
