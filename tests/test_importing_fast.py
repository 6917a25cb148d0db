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
