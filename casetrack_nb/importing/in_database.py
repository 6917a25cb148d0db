"""Importing cases from a clean CSV without taking the rows out of DuckDB.

The file is read by `read_csv` into a temp table of the import's own transaction.
Each column is checked with SQL: printable ASCII text, plain amounts and keys take an
SQL form that gives what the reference parsers in `casetrack_nb.values` give, and only
the other DISTINCT values go to Python, whose results come back as a mapping table
joined to the rows. Errors and warnings are gathered with SQL and rendered with the
same message keys as the Python path in `rows.py` and `service.py`, in the same order.
"""

from __future__ import annotations

import pandas as pd

from .. import cases, permissions
from ..i18n import t
from .mapping import field_label
from .reading import Table, load_raw
from .report import ImportReport
from .rows import (AMOUNT_FIELDS, DATE_FIELDS, _CASE_TEXT_LIMITS, _amount_check, _single, choose_amount_style,
                   choose_date_format, date_outcomes, quick_search_key)
from ..values import case_number_key

# Printable ASCII with single inner spaces and no outer ones: `values.clean_text` keeps
# such text as it is, and `values.search_key` only lowers its case.
_PLAIN_ASCII = "[!-~]+( [!-~]+)*"
_PRINTABLE_ASCII = "[ -~]*"
_TYPES = {"opened_on": "DATE", "closed_on": "DATE", "amount": "DECIMAL(18, 2)"}


def can_import(table: Table, entity: str, mapping: dict) -> bool:
    """Return True when the SQL path applies: cases from a CSV that DuckDB reads as the Python reader does."""
    return entity == "causas" and table.source is not None and "case_number_prefix" not in mapping.values()


def import_cases(db, table: Table, plan, report: ImportReport, *, default_country: str, only_valid: bool,
                 dry_run: bool, progress) -> bool:
    """Validate, match and write the cases of `table` in one transaction; False if the file needs the Python path."""
    from .service import client_resolver, warn_case_changes, write_rows

    opener = db.read if dry_run else db.transaction
    with opener() as con:
        permissions.require(con, db.user, "import")
        if not load_raw(con, table.source, "import_raw"):
            return False
        report.rows = con.execute("SELECT count(*) FROM import_raw").fetchone()[0]
        columns = _source_table(con, table, plan)
        fields = [name for name in columns if name not in ("client_tax_id", "client_name")]

        bar = progress(total=len(fields), desc="Validando", unit="col") if progress else None
        selects, joins, inner = ["s.row_number"], [], ["*"]
        for name in fields:
            select, join, computed = _validate_field(con, name, columns[name], plan, report)
            selects += select
            joins += join
            inner += computed
            if bar is not None:
                bar.update(1)
        if bar is not None:
            bar.close()
        con.execute(f"CREATE OR REPLACE TEMP TABLE import_valid AS SELECT {', '.join(selects)}"
                    f" FROM (SELECT {', '.join(inner)} FROM import_src) s {' '.join(joins)}")
        for name in fields:
            _report_errors(con, name, columns[name], report)
        _cross_checks(con, fields, columns, report)
        linked = _link(con, columns, report, client_resolver(con, columns, default_country))

        _deduplicate(con, report, columns)
        _match(con, report, columns)
        errors = report.error_rows
        report.skipped = len(errors)
        _register(con, "import_errors", pd.DataFrame({"row_number": sorted(errors)}, dtype="int64"))
        client = "l.client_id" if linked else "CAST(NULL AS INTEGER)"
        status = "v.status" if "status" in fields else "CAST(NULL AS VARCHAR)"
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE import_matched AS SELECT v.row_number, v.case_number, f.id AS match_id,"
            f" {client} AS client_id, {status} AS status FROM import_valid v"
            " JOIN import_found f ON f.row_number = v.row_number AND f.n = 1"
            f"{' LEFT JOIN import_linked l ON l.row_number = v.row_number' if linked else ''}"
            " ANTI JOIN import_superseded r ON r.row_number = v.row_number"
            " ANTI JOIN import_errors e ON e.row_number = v.row_number")
        warn_case_changes(con, report, columns)
        row_joins = (" LEFT JOIN import_found f ON f.row_number = v.row_number AND f.n = 1"
                " ANTI JOIN import_superseded r ON r.row_number = v.row_number"
                " ANTI JOIN import_errors e ON e.row_number = v.row_number")
        if dry_run or (errors and not only_valid):
            report.inserted, report.updated = con.execute(
                "SELECT count(*) FILTER (f.id IS NULL), count(*) FILTER (f.id IS NOT NULL)"
                f" FROM import_valid v{row_joins}").fetchone()
            return True

        written = [name for name in cases.EDITABLE if name in fields or (name == "client_id" and linked)]
        _stage_rows(con, table.name, written, row_joins, has_title="title" in fields, linked=linked)
        write_rows(con, db.user, "causas", written, report, progress)
        report.imported = True
    return True


def _register(con, name: str, frame: pd.DataFrame) -> None:
    con.register(f"{name}_frame", frame)
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {name}_frame")
    finally:
        con.unregister(f"{name}_frame")


def _source_table(con, table: Table, plan) -> dict[str, str]:
    """Create the view import_src (row_number and one text column per field); return field -> column name shown."""
    columns: dict[str, str] = {}
    expressions: dict[str, str] = {}
    for position, header in enumerate(table.headers):
        target = plan.mapping.get(header)
        if target:
            columns[target], expressions[target] = header, f"r.c{position}"
    defaults = plan.defaults
    for target in defaults:
        if target not in columns:
            columns[target], expressions[target] = field_label("causas", target), "NULL"
        expressions[target] = f"COALESCE({expressions[target]}, d.{target})"
    if defaults:
        _register(con, "import_defaults", pd.DataFrame({name: [value] for name, value in defaults.items()},
                                                       dtype=object))
    joined = " CROSS JOIN import_defaults d" if defaults else ""
    select = ", ".join(f"CAST({expressions[name]} AS VARCHAR) AS {name}" for name in columns)
    # A view: copying the renamed columns into a table cost more than the scans reading through it.
    con.execute(f"CREATE OR REPLACE TEMP VIEW import_src AS SELECT r.row_number, {select}"
                f" FROM import_raw r{joined}")
    return columns


def _distinct(con, name: str, where: str = "") -> list:
    return [row[0] for row in con.execute(f"SELECT DISTINCT {name} FROM import_src"
                                          f" WHERE {name} IS NOT NULL {where}").fetchall()]


def _validate_field(con, name: str, column: str, plan, report: ImportReport) -> tuple[list[str], list[str], list[str]]:
    """Build the mapping table import_map_<name>; return the SELECT items and joins that apply it.

    Each field gives `<name>` (the stored value or NULL) and `<name>_error`. The case
    number also gives `case_number_key` and `case_number_search`, the title `title_search`.
    """
    kind = _TYPES.get(name, "VARCHAR")
    fast, fast_value, fast_key, fast_search, by_value = "false", "NULL", "NULL", "NULL", ""
    computed: list[str] = []
    outcomes: dict[str | None, tuple] = {}
    if name in DATE_FIELDS:
        present = pd.Series(_distinct(con, name), dtype=object)
        fmt = (plan.date_formats or {}).get(column) or choose_date_format(present)
        if fmt:
            outcomes = date_outcomes(present, fmt, column)
    elif name in AMOUNT_FIELDS:
        # choose_amount_style's patterns see any ASCII digit as \d, so amounts that differ only
        # in their digits count together: a few shapes instead of one value per row.
        counted = con.execute(f"SELECT translate({name}, '0123456789', '9999999999') AS shape, count(*)"
                              f" FROM import_src WHERE {name} IS NOT NULL GROUP BY shape").fetchall()
        style = choose_amount_style(pd.Series([value for value, _ in counted], dtype=object),
                                    weights=[count for _, count in counted])
        separator = "\\." if style == "dot" else ","
        plain = f"regexp_full_match({name}, '[0-9]{{1,16}}({separator}[0-9]{{1,2}})?')"
        # Digits with at most two decimals in the column's style: parse_amount_text and
        # parse_amount give exactly this number, because no rounding is needed.
        fast = plain
        fast_value = f"CAST(replace({name}, ',', '.') AS DECIMAL(18, 2))"
        check = _amount_check(style, column)
        outcomes = {raw: (*check(raw), None) for raw in _distinct(con, name, f"AND NOT {plain}")}
    elif name in _CASE_TEXT_LIMITS:
        limit = _CASE_TEXT_LIMITS[name]
        # Only text with a double space needs the regular expression.
        squeezed = (f"CASE WHEN contains({name}, '  ') THEN regexp_replace(trim({name}, ' '), ' {{2,}}', ' ', 'g')"
                    f" ELSE trim({name}, ' ') END")
        fast = f"(regexp_full_match({name}, '{_PRINTABLE_ASCII}') AND length({squeezed}) BETWEEN 1 AND {limit})"
        fast_value = squeezed
        if name == "case_number":
            fast_key = f"regexp_replace(upper({squeezed}), '[^0-9A-Z]', '', 'g')"
        if name in ("case_number", "title"):
            fast_search = f"lower({squeezed})"
        check = _single("causas", name, "")
        if name == "case_number":
            outcomes = {raw: check(raw) for raw in _distinct(con, name, f"AND NOT {fast}")}
            outcomes[None] = check(None)
            # Almost every case number is distinct, so its SQL form stays per row. The row
            # source computes the squeezed text and the test once for the value, key and search key.
            computed = [f"{squeezed} AS case_number_squeezed",
                        f"(regexp_full_match({name}, '{_PRINTABLE_ASCII}')"
                        f" AND length(case_number_squeezed) BETWEEN 1 AND {limit}) AS case_number_fast"]
            squeezed = "case_number_squeezed"
            fast = "case_number_fast"
            fast_value = squeezed
            fast_key = f"regexp_replace(upper({squeezed}), '[^0-9A-Z]', '', 'g')"
            fast_search = f"lower({squeezed})"
        else:
            # Courts, titles and parties repeat across rows, so the SQL form is computed once
            # per distinct value and joined like the Python results, not once per row.
            con.execute(f"CREATE OR REPLACE TEMP TABLE import_values_{name} AS SELECT DISTINCT {name}"
                        f" FROM import_src WHERE {name} IS NOT NULL")
            outcomes = {row[0]: check(row[0]) for row in con.execute(
                f"SELECT {name} FROM import_values_{name} WHERE NOT {fast}").fetchall()}
            by_value = f"SELECT {name}, {fast_value}, NULL, NULL, {fast_search} FROM import_values_{name} WHERE {fast}"
            fast = "false"
    else:
        check = _single("causas", name, "")
        outcomes = {raw: check(raw) for raw in _distinct(con, name)}

    rows = []
    for raw, (value, error, _warning) in outcomes.items():
        if value is None:
            text = None
        elif hasattr(value, "isoformat"):
            text = value.isoformat()
        else:
            text = str(value)
        key = case_number_key(value) if name == "case_number" and value else None
        search = quick_search_key(value) if name in ("case_number", "title") and value else None
        rows.append((raw, text, error, key, search))
    _register(con, f"import_python_{name}", pd.DataFrame(rows or [(None, None, None, None, None)],
                                                        columns=["raw", "value", "error", "number_key", "search"],
                                                        dtype=object))
    con.execute(f"CREATE OR REPLACE TEMP TABLE import_map_{name} AS SELECT CAST(raw AS VARCHAR) AS raw,"
                " CAST(value AS VARCHAR) AS value, CAST(error AS VARCHAR) AS error,"
                " CAST(number_key AS VARCHAR) AS number_key, CAST(search AS VARCHAR) AS search"
                f" FROM import_python_{name}{' UNION ALL ' + by_value if by_value else ''}")
    alias = f"m_{name}"
    condition = f"{alias}.raw = s.{name}" if name != "case_number" else \
        f"{alias}.raw IS NOT DISTINCT FROM s.{name}"
    joins = [f"LEFT JOIN import_map_{name} {alias} ON {condition}"]
    value = f"CASE WHEN {fast} THEN {fast_value} ELSE CAST({alias}.value AS {kind}) END"
    selects = [f"{value} AS {name}"]
    if name == "case_number":
        selects.append(f"CASE WHEN {fast} THEN {fast_key} ELSE {alias}.number_key END AS case_number_key")
    if name in ("case_number", "title"):
        selects.append(f"CASE WHEN {fast} THEN {fast_search} ELSE {alias}.search END AS {name}_search")
    return selects, joins, computed


def _report_errors(con, name: str, column: str, report: ImportReport) -> None:
    """Report the rows whose value import_map_<name> gives an error for.

    The errors are read from the small mapping table, so a column without any costs no
    scan of the rows, and import_valid carries no raw text or error columns.
    """
    if not con.execute(f"SELECT count(*) FROM import_map_{name} WHERE error IS NOT NULL").fetchone()[0]:
        return
    condition = f"m.raw = s.{name}" if name != "case_number" else f"m.raw IS NOT DISTINCT FROM s.{name}"
    for number, raw, error in con.execute(
            f"SELECT s.row_number, s.{name}, m.error FROM import_src s JOIN import_map_{name} m ON {condition}"
            " WHERE m.error IS NOT NULL ORDER BY s.row_number").fetchall():
        report.add(number, column, raw, error)


def _cross_checks(con, fields: list[str], columns: dict, report: ImportReport) -> None:
    """Report a closing date before the opening date and a currency without an amount, as rows.py does."""
    if "opened_on" in fields and "closed_on" in fields:
        for number, opened, closed in con.execute(
                "SELECT row_number, strftime(opened_on, '%d-%m-%Y'), strftime(closed_on, '%d-%m-%Y')"
                " FROM import_valid WHERE closed_on < opened_on ORDER BY row_number").fetchall():
            report.add(number, columns["closed_on"], closed, t("val.date_order", opened=opened, closed=closed))
    if "currency" in fields:
        amount = "amount" if "amount" in fields else "NULL"
        for number, currency in con.execute(
                f"SELECT row_number, currency FROM import_valid WHERE currency IS NOT NULL AND {amount} IS NULL"
                " ORDER BY row_number").fetchall():
            report.add(number, columns["currency"], currency, t("val.currency_without_amount", value=currency))


def _link(con, columns: dict, report: ImportReport, resolve) -> bool:
    """Add client_id to import_valid from the client's tax id or name; False when no column names the client."""
    parts = [name for name in ("client_tax_id", "client_name") if name in columns]
    if not parts:
        return False
    tax = "s.client_tax_id" if "client_tax_id" in columns else "NULL"
    name = "s.client_name" if "client_name" in columns else "NULL"
    pairs = con.execute(f"SELECT DISTINCT {tax}, {name} FROM import_src s").fetchall()
    rows = []
    for raw_tax, raw_name in pairs:
        # rows.prepare joins the whitespace runs of both columns before linking.
        client_tax = None if raw_tax is None else " ".join(raw_tax.split())
        client_name = None if raw_name is None else " ".join(raw_name.split())
        client_id, column, shown, message = resolve(client_tax, client_name)
        rows.append((raw_tax, raw_name, client_id, column, shown, message))
    frame = pd.DataFrame(rows, columns=["tax", "name", "client_id", "column_name", "shown", "message"], dtype=object)
    frame["client_id"] = pd.array(frame["client_id"].tolist(), dtype="Int64")
    _register(con, "import_links", frame)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE import_linked AS SELECT s.row_number, l.client_id, l.column_name, l.shown,"
        f" l.message FROM import_src s JOIN import_links l ON l.tax IS NOT DISTINCT FROM {tax}"
        f" AND l.name IS NOT DISTINCT FROM {name}")
    for number, column, shown, message in con.execute(
            "SELECT row_number, column_name, shown, message FROM import_linked WHERE message IS NOT NULL"
            " ORDER BY row_number").fetchall():
        report.add(number, column, shown, message)
    return True


def _deduplicate(con, report: ImportReport, columns: dict) -> None:
    """Create import_superseded: the valid rows that a later row with the same case number and court replaces.

    The rows are numbered within each (case number key, court) group of rows without
    errors. Each repeat gets a warning naming the row it repeats, and the last row of a
    group stands for them all.
    """
    _register(con, "import_errors", pd.DataFrame({"row_number": sorted(report.error_rows)}, dtype="int64"))
    court = "v.court" if "court" in columns else "NULL"
    con.execute(
        "CREATE OR REPLACE TEMP TABLE import_repeats AS SELECT v.row_number, v.case_number,"
        " lag(v.row_number) OVER w AS earlier, lead(v.row_number) OVER w AS later FROM import_valid v"
        " ANTI JOIN import_errors e ON e.row_number = v.row_number WHERE coalesce(v.case_number_key, '') <> ''"
        f" WINDOW w AS (PARTITION BY v.case_number_key, {court} ORDER BY v.row_number)")
    for number, value, earlier in con.execute(
            "SELECT row_number, case_number, earlier FROM import_repeats WHERE earlier IS NOT NULL"
            " ORDER BY row_number").fetchall():
        report.add(number, columns["case_number"], value, t("import.duplicate_case", value=value, row=earlier),
                   "warning")
    con.execute("CREATE OR REPLACE TEMP TABLE import_superseded AS SELECT row_number FROM import_repeats"
                " WHERE later IS NOT NULL")


def _match(con, report: ImportReport, columns: dict) -> None:
    """Create import_found: for each row left, the stored cases with its number key (and court, when it gives one).

    A row with one such case updates it (`n` = 1). A row with several is an error, and
    none of them changes.
    """
    court = "v.court" if "court" in columns else "NULL"
    con.execute(
        "CREATE OR REPLACE TEMP TABLE import_found AS SELECT v.row_number, count(k.id) AS n, min(k.id) AS id"
        " FROM import_valid v JOIN cases k ON k.case_number_key = v.case_number_key"
        f" AND ({court} IS NULL OR k.court = {court})"
        " ANTI JOIN import_superseded r ON r.row_number = v.row_number GROUP BY v.row_number")
    for number, count, value in con.execute(
            "SELECT f.row_number, f.n, v.case_number FROM import_found f JOIN import_valid v USING (row_number)"
            " WHERE f.n > 1 ORDER BY f.row_number").fetchall():
        report.add(number, columns["case_number"], value, t("import.case_ambiguous", count=count, value=value))


def _stage_rows(con, file_name: str, written: list[str], row_joins: str, *, has_title: bool, linked: bool) -> None:
    """Create import_rows for `write_rows` from the rows of import_valid that `row_joins` keeps.

    search_text joins the search keys of the case number and the title, the file's title
    over the stored one. A matched case whose row leaves the title blank keeps its stored
    title, whose key SQL computes for plain ASCII and Python (`quick_search_key`) for the rest.
    """
    blank_title = "v.title_search IS NULL AND " if has_title else ""
    stored = [row[0] for row in con.execute(
        f"SELECT DISTINCT k.title FROM import_valid v{row_joins} JOIN cases k ON k.id = f.id"
        f" WHERE {blank_title}k.title IS NOT NULL AND NOT regexp_full_match(k.title, '{_PLAIN_ASCII}')").fetchall()]
    _register(con, "import_title_keys", pd.DataFrame({"title": stored, "search": [quick_search_key(v) for v in stored]},
                                                     dtype=object))

    title = "v.title_search" if has_title else "NULL"
    values = ", ".join("l.client_id" if name == "client_id" else f"v.{name}" for name in written)
    client = " LEFT JOIN import_linked l ON l.row_number = v.row_number" if linked else ""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE import_rows AS SELECT v.row_number AS pos, v.row_number AS source_row,"
        " f.id AS match_id, ? || ':fila ' || v.row_number AS source,"
        f" concat_ws(' | ', v.case_number_search, coalesce({title}, CASE WHEN regexp_full_match(k.title,"
        f" '{_PLAIN_ASCII}') THEN lower(k.title) ELSE tk.search END)) AS search_text,"
        f" v.case_number_key, {values}"
        f" FROM import_valid v{row_joins}{client} LEFT JOIN cases k ON k.id = f.id"
        " LEFT JOIN import_title_keys tk ON tk.title = k.title",
        [file_name])
