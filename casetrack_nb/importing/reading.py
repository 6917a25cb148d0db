"""Reading a spreadsheet as text: CSV encodings and separators, XLSX cells, damaged rows.

Every cell comes out as a string (or None for a blank), so id-like columns (tax ids,
case numbers, postal codes, phones) never pass through a number and keep their leading
zeros. Typed parsing (dates, amounts) happens later, one format per column.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Iterable

import pandas as pd

from ..errors import CasetrackError

SEPARATORS = (",", ";", "\t")
# How much of the text the header is parsed from (1 MiB, far more than a header row needs).
_HEADER_SPAN = 1 << 20
ENCODINGS = ("utf-8", "utf-8-sig", "cp1252")

# Excel escapes control characters in XLSX text as _xHHHH_; openpyxl 3.1 leaves them in.
_XLSX_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")
_ZERO_FORMAT = re.compile(r"^0+$")


class ImportFileError(CasetrackError):
    """The file cannot be read as a table (unknown type, bad encoding, no header)."""


@dataclass(frozen=True)
class CsvSource:
    """A clean UTF-8 CSV that DuckDB's read_csv can parse: its path, separator, width and line count.

    `lines` counts the data lines after the header, which read_csv must give back as
    rows for the file to be taken as clean.
    """

    path: Path
    separator: str
    width: int
    lines: int


class Table:
    """A spreadsheet read as text: headers, rows and where each row sits in the file.

    `row_numbers[i]` is the number the user sees for row i in Excel (the header is
    row 1). `repairs` lists the numbers of rows whose quoting was repaired, and `damaged`
    lists (row number, fields found, raw text) for rows that could not be repaired.

    A clean UTF-8 CSV keeps its rows in the file until they are needed: `source` then
    names the file, and `frame` is parsed by DuckDB on first use (or by Python's csv
    module when DuckDB's result differs from what that would give). The importer reads
    such a file straight into its own DuckDB connection instead.
    """

    def __init__(self, name: str, kind: str, headers: list[str], frame: pd.DataFrame | None = None,
                 row_numbers: list[int] | None = None, encoding: str | None = None, separator: str | None = None,
                 header_repaired: bool = False, repairs: list[int] | None = None,
                 damaged: list[tuple[int, int, str]] | None = None, *, source: CsvSource | None = None) -> None:
        self.name = name
        self.kind = kind
        self.headers = headers
        self.encoding = encoding
        self.separator = separator
        self.source = source
        self._frame = frame
        self._row_numbers = row_numbers if row_numbers is not None else []
        self._header_repaired = header_repaired
        self._repairs = repairs if repairs is not None else []
        self._damaged = damaged if damaged is not None else []

    def _load(self) -> None:
        if self._frame is not None:
            return
        loaded = _load_csv_source(self.name, self.headers, self.source, self.encoding)
        if loaded.source is None:
            self.source = None  # DuckDB's reading differs, so the importer takes the Python path too
        self._frame, self._row_numbers = loaded._frame, loaded._row_numbers
        self._header_repaired, self._repairs, self._damaged = loaded._header_repaired, loaded._repairs, loaded._damaged

    @property
    def frame(self) -> pd.DataFrame:
        self._load()
        return self._frame

    @property
    def row_numbers(self) -> list[int]:
        self._load()
        return self._row_numbers

    @property
    def header_repaired(self) -> bool:
        self._load()
        return self._header_repaired

    @property
    def repairs(self) -> list[int]:
        self._load()
        return self._repairs

    @property
    def damaged(self) -> list[tuple[int, int, str]]:
        self._load()
        return self._damaged

    def __len__(self) -> int:
        return len(self.frame)

    @property
    def encoding_label(self) -> str:
        return {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 con BOM", "cp1252": "Windows-1252 (cp1252)"}.get(
            self.encoding or "", self.encoding or "XLSX"
        )

    @property
    def separator_label(self) -> str:
        return {",": "coma (,)", ";": "punto y coma (;)", "\t": "tabulador"}.get(self.separator or "", "—")


def read_table(data: bytes, name: str, *, encoding: str | None = None, separator: str | None = None,
               path: Path | None = None) -> Table:
    """Read CSV or XLSX bytes (chosen by the file name) into a text Table.

    `path`, when given, is the file the bytes came from; a clean UTF-8 CSV is then
    parsed by DuckDB instead of Python's csv module.
    """
    suffix = Path(name).suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return read_xlsx(data, name)
    if suffix in (".csv", ".txt", ".tsv", ""):
        return read_csv(data, name, encoding=encoding, separator=separator, path=path)
    raise ImportFileError("import.file_type", name=name)


def read_path(path: str | Path, **options) -> Table:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ImportFileError("import.file_missing", name=str(path), detail=error.strerror or str(error)) from error
    return read_table(data, path.name, path=path, **options)


def decode(data: bytes, encoding: str | None = None) -> tuple[str, str]:
    """Return (text, encoding): UTF-8 with or without BOM, else cp1252, unless one is given.

    A byte sequence that is valid UTF-8 is almost never cp1252 text with accents, so
    UTF-8 is tried first; cp1252 decodes any byte except five unused ones.
    """
    if encoding:
        codec = encoding.lower().replace("_", "-")
        if codec in ("utf8", "utf-8") and data.startswith(b"\xef\xbb\xbf"):
            codec = "utf-8-sig"
        try:
            return data.decode(codec), codec
        except (LookupError, UnicodeDecodeError) as error:
            raise ImportFileError("import.encoding_failed", encoding=encoding, detail=str(error)) from error
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data.decode("utf-8-sig"), "utf-8-sig"
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError as error:
        raise ImportFileError("import.encoding_unknown", detail=str(error)) from error


def _split(line: str, separator: str) -> list[str]:
    try:
        return next(csv.reader([line], delimiter=separator), [])
    except csv.Error:  # a line break inside the unwrapped text: leave the record as it was
        return [line]


def _unwrap(fields: list[str], separator: str, expected: int | None) -> list[str] | None:
    """Re-parse a record that Excel saved as one quoted field; None if that does not help."""
    if len(fields) != 1 or separator not in fields[0]:
        return None
    inner = _split(fields[0], separator)
    if expected is None:
        return inner if len(inner) > 1 else None
    return inner if len(inner) == expected else None


def sniff_separator(header_line: str) -> str:
    """Pick the separator that splits the header into the most fields, unwrapping it if needed."""
    best, best_count = ",", 1
    for separator in SEPARATORS:
        fields = _split(header_line, separator)
        unwrapped = _unwrap(fields, separator, None)
        count = len(unwrapped or fields)
        if count > best_count:
            best, best_count = separator, count
    return best


def read_csv(data: bytes, name: str, *, encoding: str | None = None, separator: str | None = None,
             path: Path | None = None) -> Table:
    text, used_encoding = decode(data, encoding)
    text = text.lstrip("\ufeff")
    end = text.find("\n")
    first_line = (text if end < 0 else text[:end]).rstrip("\r")
    if not first_line.strip():
        raise ImportFileError("import.no_header", name=name)
    if separator in ("tab", "\\t", "tabulador"):
        separator = "\t"
    separator = separator or sniff_separator(first_line)

    # The header is parsed from the start of the text: a StringIO of a whole large file
    # costs a copy of it, which the DuckDB reader below does not need.
    head = text[:max(_HEADER_SPAN, end + 1)]
    header = next(csv.reader(io.StringIO(head, newline=""), delimiter=separator))
    header_repaired = False
    unwrapped = _unwrap(header, separator, None)
    if unwrapped:
        header, header_repaired = unwrapped, True
    elif path is not None and used_encoding in ("utf-8", "utf-8-sig"):
        table = _read_csv_duckdb(path, data, name, header, encoding=used_encoding, separator=separator)
        if table is not None:
            return table

    records = iter(csv.reader(io.StringIO(text, newline=""), delimiter=separator))
    next(records)  # the header, parsed above
    return _build(name, "csv", header, _numbered(records), encoding=used_encoding, separator=separator,
                  header_repaired=header_repaired, damage_separator=separator)


# Every character Python's str.strip() removes, as an RE2 class: a cell made only of
# these is blank, as in _clean_cell.
_BLANK_SQL = (r"^[\t\n\x0b\x0c\r\x1c-\x1f \x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}"
              r"\x{202f}\x{205f}\x{3000}]*$")


def _read_csv_duckdb(path: Path, data: bytes, name: str, header: list[str], *, encoding: str,
                     separator: str) -> Table | None:
    """Return a Table whose rows DuckDB's read_csv parses on first use, or None for an unusual file.

    The Python reader stays in charge of anything unusual: XLSX-style `_xHHHH_` escapes,
    lone carriage returns, and (found when the rows are read, see `load_raw`) blank lines
    or line breaks inside cells, rows with the wrong number of fields and rows wrapped in
    one quoted cell.
    """
    # `data` is UTF-8, whose multi-byte characters contain no ASCII byte, so counting bytes
    # gives the text's counts without scanning the decoded text again.
    if b"_x" in data or (b"\r" in data and data.count(b"\r") != data.count(b"\r\n")):
        return None
    lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1) - 1
    headers = _unique_headers(header)
    source = CsvSource(path, separator, len(headers), lines)
    return Table(name, "csv", headers, encoding=encoding, separator=separator, source=source)


def load_raw(con, source: CsvSource, target: str) -> bool:
    """Read `source` into the temp view `target` (row_number, c0, c1, ...) as _build would; False if unusual.

    Cells made only of whitespace become NULL and fully blank rows are left out, as in
    the Python reader. `target` is a fixed identifier chosen by the caller, never user text.
    """
    import duckdb

    names = [f"c{position}" for position in range(source.width)]
    columns = "{" + ", ".join(f"'{column}': 'VARCHAR'" for column in names) + "}"
    # A cell starting with a visible ASCII character is not blank, so most cells skip the pattern.
    cells = ", ".join(f"CASE WHEN ascii({column}) BETWEEN 33 AND 126 THEN {column}"
                      f" WHEN regexp_matches({column}, ?) THEN NULL ELSE {column} END AS {column}"
                      for column in names)
    filled = " OR ".join(f"{column} IS NOT NULL" for column in names)
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {target}_all AS SELECT {cells}"
            " FROM read_csv(?, header = false, skip = 1, delim = ?, quote = '\"', escape = '\"',"
            f" columns = {columns}, strict_mode = true, null_padding = false, auto_detect = false)",
            [_BLANK_SQL] * len(names) + [str(source.path), source.separator],
        )
        usable = con.execute(f"SELECT count(*) FROM {target}_all").fetchone()[0] == source.lines
        if usable and len(names) > 1:
            others = " AND ".join(f"{column} IS NULL" for column in names[1:])
            usable = not con.execute(f"SELECT count(*) FROM {target}_all WHERE c0 IS NOT NULL AND {others}"
                                     " AND contains(c0, ?)", [source.separator]).fetchone()[0]
        if usable:
            # The table was filled in file order, so rowid counts the lines. Inside an open
            # transaction DuckDB starts the rowids of a new table at a large offset, not 0.
            # A view numbers the rows without copying them.
            first = con.execute(f"SELECT min(rowid) FROM {target}_all").fetchone()[0] or 0
            con.execute(f"CREATE OR REPLACE TEMP VIEW {target} AS SELECT rowid - {int(first)} + 2 AS row_number, *"
                        f" FROM {target}_all WHERE {filled}")
        else:
            con.execute(f"DROP TABLE {target}_all")
    except duckdb.Error:
        return False
    return usable


def _load_csv_source(name: str, headers: list[str], source: CsvSource, encoding: str) -> Table:
    import duckdb

    con = duckdb.connect()
    try:
        frame = con.execute("SELECT * FROM raw ORDER BY row_number").df() \
            if load_raw(con, source, "raw") else None
    finally:
        con.close()
    if frame is None:
        return read_csv(source.path.read_bytes(), name, encoding=encoding, separator=source.separator)
    numbers = frame.pop("row_number").tolist()
    names = [f"c{position}" for position in range(source.width)]
    data = {header: frame[column].to_numpy(dtype=object, na_value=None) for header, column in zip(headers, names)}
    frame = pd.DataFrame(data, columns=headers, dtype=object)
    return Table(name, "csv", headers, frame, numbers, encoding, source.separator, source=source)


def _numbered(records: Iterable[list[str]]) -> Iterable[tuple[int, list]]:
    # Row 1 is the header, as in the spreadsheet.
    for index, record in enumerate(records, start=2):
        yield index, record


def _build(name: str, kind: str, header: list, records: Iterable[tuple[int, list]], *, encoding=None, separator=None,
           header_repaired=False, damage_separator: str | None = ",") -> Table:
    headers = _unique_headers(header)
    width = len(headers)
    rows: list[list] = []
    numbers: list[int] = []
    repairs: list[int] = []
    damaged: list[tuple[int, int, str]] = []
    for number, record in records:
        record = list(record)
        while record and (record[-1] is None or record[-1] == "") and len(record) > width:
            record.pop()
        if not any(value not in (None, "") for value in record):
            continue  # a blank line or a row of blank cells is not a record
        filled = [value for value in record if value not in (None, "")]
        # Excel's round trip leaves the whole record in the first field (CSV) or cell (XLSX).
        wrapped = width > 1 and filled == [record[0]] and isinstance(record[0], str)
        if len(record) != width or wrapped:
            fixed = _unwrap([record[0]], damage_separator, width) if wrapped or len(record) == 1 else None
            if fixed is not None:
                record = fixed
                if not header_repaired:
                    repairs.append(number)
            elif len(record) != width:
                raw = (damage_separator or ",").join("" if value is None else str(value) for value in record)
                damaged.append((number, len(record), raw))
                continue
        rows.append([_clean_cell(value) for value in record])
        numbers.append(number)
    frame = pd.DataFrame(rows, columns=headers, dtype=object) if rows else pd.DataFrame(columns=headers, dtype=object)
    return Table(name, kind, headers, frame, numbers, encoding, separator, header_repaired, repairs, damaged)


def _unique_headers(header: list) -> list[str]:
    seen: dict[str, int] = {}
    result = []
    for position, value in enumerate(header, start=1):
        text = _clean_cell(value) or f"Columna {position}"
        count = seen.get(text, 0) + 1
        seen[text] = count
        result.append(text if count == 1 else f"{text} ({count})")
    return result


def _clean_cell(value: object) -> str | None:
    if value is None:
        return None
    text = str(value)
    if "_x" in text:
        text = _XLSX_ESCAPE.sub(lambda match: chr(int(match.group(1), 16)), text)
    # Carriage returns come from Windows line ends inside cells (or _x000D_); they are
    # never meaningful in a single-line field.
    text = text.replace("\r\n", "\n").replace("\r", "")
    return text if text.strip() else None


def read_xlsx(data: bytes, name: str) -> Table:
    """Read the first sheet of a workbook; numbers and dates become their text form."""
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, OSError, KeyError, ValueError) as error:
        raise ImportFileError("import.xlsx_invalid", name=name, detail=str(error)) from error
    try:
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows()
        header_cells = next(rows, None)
        if header_cells is None:
            raise ImportFileError("import.no_header", name=name)
        header = [_xlsx_text(cell) for cell in header_cells]
        while header and header[-1] is None:
            header.pop()
        if not header:
            raise ImportFileError("import.no_header", name=name)
        width = len(header)

        def records():
            for cells in rows:
                if not cells or not hasattr(cells[0], "row"):
                    continue
                values = [_xlsx_text(cell) for cell in cells[:max(width, len(cells))]]
                values += [None] * (width - len(values))
                yield cells[0].row, values

        return _build(name, "xlsx", header, records(), damage_separator=",")
    finally:
        workbook.close()


def _xlsx_text(cell) -> str | None:
    value = getattr(cell, "value", None)
    if value is None:
        return None
    if isinstance(value, bool):
        return "VERDADERO" if value else "FALSO"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (int, float)):
        return number_text(value, getattr(cell, "number_format", "General"))
    return str(value)


def number_text(value: int | float, number_format: str = "General") -> str:
    """Return a numeric cell as the digits a user typed: no '.0', no exponent.

    A custom format of zeros ('00000') is how Excel shows leading zeros on a number,
    so the text is padded back to that width.
    """
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value) if isinstance(value, int) else format(Decimal(repr(value)), "f")
    if isinstance(value, int) and _ZERO_FORMAT.match(number_format or ""):
        text = text.zfill(len(number_format))
    return text
