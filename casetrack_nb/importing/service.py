"""The import itself: match rows to stored records, then write them all in one transaction.

Rows are validated in Python, then staged as a DataFrame that DuckDB reads directly;
inserts, updates and their audit entries are `INSERT ... SELECT` / `UPDATE ... FROM`
statements over that frame, in chunks inside a single transaction. A process killed
before the COMMIT leaves the database as it was.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import pandas as pd

from .. import audit, case_counts, cases, clients, permissions, settings
from ..identifiers import COUNTRIES, format_tax_id, is_generic, normalise, parse_tax_id
from ..i18n import t
from . import in_database
from .mapping import PRESETS, MappingError, Preset, apply_overrides, check_required, detect_preset, suggest_mapping
from .reading import Table, read_path, read_table
from .report import ImportReport
from .rows import Prepared, derived_keys, prepare, quick_search_key

log = logging.getLogger(__name__)

_TAX_SEPARATORS = re.compile(r"[^0-9A-ZÑ&]")

_TYPES = {"client_since": "DATE", "opened_on": "DATE", "closed_on": "DATE", "amount": "DECIMAL(18, 2)",
          "client_id": "INTEGER"}


@dataclass
class Plan:
    """The choices for one table: entity, column mapping, preset (fixed values) and date formats."""

    entity: str
    mapping: dict[str, str | None]
    preset: Preset | None = None
    date_formats: dict[str, str] | None = None

    @property
    def defaults(self) -> dict[str, str]:
        return dict(self.preset.defaults) if self.preset else {}

    @property
    def codes(self) -> dict[str, dict[str, str]]:
        return {name: dict(codes) for name, codes in self.preset.codes.items()} if self.preset else {}


def plan_for(table: Table, entity: str, *, overrides: Mapping[str, str | None] | None = None,
             date_formats: Mapping[str, str] | None = None, preset: str | None = "auto") -> Plan:
    """Build the mapping: a known layout's preset (auto-detected or named), else the header synonyms."""
    chosen = None
    if preset == "auto":
        chosen = detect_preset(entity, table.headers)
    elif preset:
        if preset not in PRESETS:
            raise MappingError("import.preset_unknown", preset=preset, choices=", ".join(PRESETS))
        chosen = PRESETS[preset]
    mapping = suggest_mapping(entity, table.headers, chosen)
    if overrides:
        mapping = apply_overrides(entity, mapping, overrides)
    formats = dict(chosen.date_formats) if chosen else {}
    by_normal = {header.strip().lower(): header for header in table.headers}
    for column, fmt in (date_formats or {}).items():
        header = column if column in table.headers else by_normal.get(column.strip().lower())
        if header is None:
            raise MappingError("import.date_format_column", column=column, columns=", ".join(table.headers))
        formats[header] = fmt
    return Plan(entity, mapping, chosen, formats)


def import_file(db, entity: str, path: str | Path, **options) -> ImportReport:
    """Read a CSV or XLSX file and import it; see `import_table` for the options."""
    reading = {key: options.pop(key) for key in ("encoding", "separator") if key in options}
    return import_table(db, read_path(path, **reading), entity, **options)


def import_bytes(db, entity: str, data: bytes, name: str, **options) -> ImportReport:
    reading = {key: options.pop(key) for key in ("encoding", "separator") if key in options}
    return import_table(db, read_table(data, name, **reading), entity, **options)


def import_table(db, table: Table, entity: str, *, overrides: Mapping[str, str | None] | None = None,
                 date_formats: Mapping[str, str] | None = None, preset: str | None = "auto",
                 plan: Plan | None = None, only_valid: bool = False, dry_run: bool = False,
                 progress=None) -> ImportReport:
    """Validate `table` as clients or cases and write it, all or nothing.

    With errors, nothing is written unless `only_valid` is true, in which case the rows
    with errors are skipped. `dry_run` validates and matches without writing.
    `progress` is a tqdm-like factory (`progress(total=, desc=, unit=)`).
    Raises PermissionDenied for a user without the "import" permission, and MappingError
    when no column fills the required field.
    """
    with db.read() as con:
        permissions.require(con, db.user, "import")
        firm = settings.load(con)

    plan = plan or plan_for(table, entity, overrides=overrides, date_formats=date_formats, preset=preset)
    check_required(entity, plan.mapping)
    report = ImportReport(entity, table.name, encoding=table.encoding_label, separator=table.separator_label,
                          preset=plan.preset.title if plan.preset else None, dry_run=dry_run,
                          unmapped=[header for header, target in plan.mapping.items() if not target])
    # The SQL path does not translate a preset's codes, so such files take the Python path.
    if not plan.codes and in_database.can_import(table, entity, plan.mapping) and in_database.import_cases(
            db, table, plan, report, default_country=firm["default_country"], only_valid=only_valid,
            dry_run=dry_run, progress=progress):
        _log_outcome(entity, table, report)
        return report

    report.rows = len(table) + len(table.damaged)
    _report_reading(table, report)
    prepared = prepare(table, entity, plan.mapping, report, default_country=firm["default_country"],
                       defaults=plan.defaults, codes=plan.codes, date_formats=plan.date_formats,
                       progress=progress)
    prepared.values = derived_keys(entity, prepared.values)
    prepared.sources = [f"{table.name}:fila {number}" for number in table.row_numbers]

    opener = db.read if dry_run else db.transaction
    with opener() as con:
        permissions.require(con, db.user, "import")
        if entity == "clientes":
            staged = _match_clients(con, prepared, report)
        else:
            staged = _match_cases(con, prepared, report, firm["default_country"])
            _stage_matched(con, staged[staged["match_id"].notna() & ~staged["row"].isin(report.error_rows)])
            warn_case_changes(con, report, prepared.columns)
        errors = report.error_rows
        report.skipped = len(errors)
        if dry_run or (errors and not only_valid):
            _count_only(con, entity, staged, report)
            return report
        staged = staged[~staged["row"].isin(errors)].reset_index(drop=True)
        _write(con, db.user, entity, staged, report, progress)
        report.imported = True
    _log_outcome(entity, table, report)
    return report


def _log_outcome(entity: str, table: Table, report: ImportReport) -> None:
    if report.imported:
        log.info("imported %s from %s: %d new, %d updated, %d unchanged, %d skipped", entity, table.name,
                 report.inserted, report.updated, report.unchanged, report.skipped)


def _report_reading(table: Table, report: ImportReport) -> None:
    width = len(table.headers)
    if table.header_repaired:
        report.add(None, "", "", t("import.file_repaired", count=width), "warning")
    for number in table.repairs:
        report.add(number, "", "", t("import.row_repaired", count=width), "warning")
    for number, found, raw in table.damaged:
        report.add(number, "", raw[:200], t("import.row_damaged", found=found, expected=width))


def _rows_by(values: pd.DataFrame, numbers: list[int], key_columns: list[str], valid: set[int]) -> dict:
    groups: dict[tuple, list[int]] = defaultdict(list)
    for position, key in enumerate(zip(*(values[column] for column in key_columns))):
        if numbers[position] in valid and all(part is not None for part in key[-1:]):
            groups[key].append(position)
    return groups


def _match_clients(con, prepared: Prepared, report: ImportReport) -> pd.DataFrame:
    values, numbers, columns = prepared.values, prepared.row_numbers, prepared.columns
    valid = set(numbers) - report.error_rows

    if "tax_id" in values:
        for (country, kind, tax_id), positions in _rows_by(values, numbers, ["tax_country", "tax_kind", "tax_id"], valid).items():
            if len(positions) > 1 and not is_generic(country, kind, tax_id):
                shown = format_tax_id(country, kind, tax_id)
                rows = ", ".join(str(numbers[p]) for p in positions)
                for position in positions:
                    report.add(numbers[position], columns["tax_id"], shown, t("import.duplicate_tax_id", value=shown, rows=rows))
    if "internal_code" in values:
        for (code,), positions in _rows_by(values, numbers, ["internal_code"], valid).items():
            if len(positions) > 1:
                rows = ", ".join(str(numbers[p]) for p in positions)
                for position in positions:
                    report.add(numbers[position], columns["internal_code"], code, t("import.duplicate_code", value=code, rows=rows))

    stored = con.execute(
        "SELECT id, name, tax_country, tax_kind, tax_id, internal_code, name_key FROM clients WHERE deleted_at IS NULL"
    ).fetchall()
    # A generic id identifies no single client, so such rows match by code or name instead.
    by_tax = {(row[2], row[3], row[4]): row for row in stored if row[4] and not is_generic(*row[2:5])}
    by_code: dict[str, list] = defaultdict(list)
    by_name: dict[str, list] = defaultdict(list)
    for row in stored:
        if row[5]:
            by_code[row[5]].append(row)
        by_name[row[6]].append(row)

    valid = set(numbers) - report.error_rows
    match_ids: list[int | None] = []
    claimed: dict[int, int] = {}
    first_with_name: dict[str, int] = {}
    for position, number in enumerate(numbers):
        record = values.iloc[position]
        match = None
        if number in valid:
            tax = (record.get("tax_country"), record.get("tax_kind"), record.get("tax_id"))
            if is_generic(*tax):
                tax = (None, None, None)
            code = record.get("internal_code")
            if tax[2] and tax in by_tax:
                match = by_tax[tax]
            elif code and len(by_code.get(code, [])) == 1:
                match = by_code[code][0]
            elif not tax[2] and not code:
                # A row without tax id or code matches only a client with the very same name.
                # A merely similar name gets the possible-duplicate warning below.
                same = [row for row in by_name.get(record["name_key"], []) if row[1] == record["name"]]
                match = same[0] if len(same) == 1 else None
            if match is not None and match[0] in claimed:
                report.add(number, columns["name"], record["name"],
                           t("import.same_client_twice", row=claimed[match[0]], other=match[1], other_id=match[0]))
            elif match is not None:
                claimed[match[0]] = number
            elif by_name.get(record["name_key"]):
                other = by_name[record["name_key"]][0]
                report.add(number, columns["name"], record["name"],
                           t("import.duplicate_name_db", other=other[1], other_id=other[0]), "warning")
            if record["name_key"] in first_with_name:
                report.add(number, columns["name"], record["name"],
                           t("import.duplicate_name_file", value=record["name"], row=first_with_name[record["name_key"]]),
                           "warning")
            else:
                first_with_name[record["name_key"]] = number
        match_ids.append(match[0] if match is not None else None)

    staged = values.copy()
    staged["row"] = numbers
    staged["match_id"] = pd.array(match_ids, dtype="Int64")
    staged["source"] = prepared.sources
    return staged


def _stage_matched(con, matched: pd.DataFrame) -> None:
    """Create the temp table import_matched that `warn_case_changes` reads, from staged rows with a match."""
    frame = pd.DataFrame({
        "row_number": matched["row"].astype("int64"),
        "case_number": matched["case_number"].astype(object),
        "match_id": matched["match_id"].astype("int64"),
        "client_id": matched["client_id"].astype("Int64") if "client_id" in matched else None,
        "status": matched["status"].astype(object) if "status" in matched else None,
    })
    con.register("import_matched_frame", frame)
    try:
        _run(con, "CREATE OR REPLACE TEMP TABLE import_matched AS SELECT row_number, case_number, match_id,"
                  " CAST(client_id AS INTEGER) AS client_id, CAST(status AS VARCHAR) AS status"
                  " FROM import_matched_frame", [])
    finally:
        con.unregister("import_matched_frame")


def warn_case_changes(con, report: ImportReport, columns: dict) -> None:
    """Warn about matched cases that the import moves to another client or makes active again.

    Reads the temp table import_matched (row_number, case_number, match_id, client_id,
    status) of the rows without errors that update a stored case. Both are legitimate
    changes, but easy to make by mistake with a wrong tax id or an old spreadsheet.
    """
    client_column = columns.get("client_tax_id") or columns.get("client_name") or ""
    for number, value, old, new, old_status, new_status in con.execute(
            "SELECT m.row_number, m.case_number, co.name, cn.name, k.status, m.status FROM import_matched m"
            " JOIN cases k ON k.id = m.match_id LEFT JOIN clients co ON co.id = k.client_id"
            " LEFT JOIN clients cn ON cn.id = m.client_id"
            " WHERE (m.client_id IS NOT NULL AND k.client_id IS NOT NULL AND m.client_id <> k.client_id)"
            " OR (m.status = 'activa' AND k.status = 'inactiva') ORDER BY m.row_number").fetchall():
        if old is not None and new is not None and old != new:
            report.add(number, client_column, value, t("import.case_moved", value=value, old=old, new=new), "warning")
        if new_status == "activa" and old_status == "inactiva":
            report.add(number, columns.get("status", ""), value, t("import.case_reopened", value=value), "warning")


def _tax_key(value: str) -> str:
    """Return a tax id in the compact form it is stored in, whatever its country.

    `identifiers.normalise` unifies dashes, spaces and case; dropping the remaining
    separators gives every supported kind's compact form. 'Ñ' and '&' stay because Mexican
    RFCs contain them.
    """
    return _TAX_SEPARATORS.sub("", normalise(value))


def _match_cases(con, prepared: Prepared, report: ImportReport, default_country: str) -> pd.DataFrame:
    values, numbers, columns = prepared.values, prepared.row_numbers, prepared.columns
    staged = values.copy()

    if "client_tax_id" in values or "client_name" in values:
        staged["client_id"] = pd.array(_link_clients(con, values, numbers, columns, report, default_country),
                                       dtype="Int64")
    staged = staged.drop(columns=[c for c in ("client_tax_id", "client_name") if c in staged])
    staged["row"] = numbers
    staged["source"] = prepared.sources

    # Two rows with the same number (and court) are one case: the last row's values win.
    valid = set(numbers) - report.error_rows
    courts = staged["court"] if "court" in staged else pd.Series([None] * len(staged), dtype=object)
    seen: dict[tuple, int] = {}
    superseded: set[int] = set()
    for position, (key, court) in enumerate(zip(staged["case_number_key"], courts)):
        if numbers[position] not in valid or not key:
            continue
        marker = (key, court)
        if marker in seen:
            earlier = seen[marker]
            superseded.add(earlier)
            report.add(numbers[position], columns["case_number"], staged["case_number"].iloc[position],
                       t("import.duplicate_case", value=staged["case_number"].iloc[position], row=numbers[earlier]),
                       "warning")
        seen[marker] = position
    staged = staged.drop(index=list(superseded)).reset_index(drop=True)

    keys = pd.DataFrame({"pos": range(len(staged)), "k": staged["case_number_key"].astype(object),
                         "court": (staged["court"] if "court" in staged else pd.Series([None] * len(staged))).astype(object)})
    con.register("import_keys", keys)
    try:
        found = con.execute(
            "SELECT s.pos, count(k.id) AS n, min(k.id) AS id FROM import_keys s"
            " JOIN cases k ON k.case_number_key = s.k AND (s.court IS NULL OR k.court = s.court)"
            " GROUP BY s.pos"
        ).fetchall()
    finally:
        con.unregister("import_keys")
    match_ids: list[int | None] = [None] * len(staged)
    for position, count, case_id in found:
        if count > 1:
            number = staged["case_number"].iloc[position]
            report.add(int(staged["row"].iloc[position]), columns["case_number"], number,
                       t("import.case_ambiguous", count=count, value=number))
        else:
            match_ids[position] = case_id
    staged["match_id"] = pd.array(match_ids, dtype="Int64")
    return staged


def _link_clients(con, values: pd.DataFrame, numbers: list[int], columns: dict, report: ImportReport,
                  default_country: str) -> list:
    """Return each row's client id, found by tax id (any country) or else by name."""
    resolve = client_resolver(con, columns, default_country)
    cache: dict[tuple, tuple] = {}
    linked: list[int | None] = []
    taxes = values["client_tax_id"].tolist() if "client_tax_id" in values else [None] * len(values)
    names = values["client_name"].tolist() if "client_name" in values else [None] * len(values)
    for position, (tax, name) in enumerate(zip(taxes, names)):
        outcome = cache.get((tax, name))
        if outcome is None:
            outcome = cache[(tax, name)] = resolve(tax, name)
        client_id, column, shown, message = outcome
        if message:
            report.add(numbers[position], column, shown, message)
        linked.append(client_id)
    return linked


def client_resolver(con, columns: dict, default_country: str):
    """Return resolve(tax id, name) -> (client id, column, shown value, error message or None).

    A tax id column names no country, so a Mexican RFC finds its client in a Chilean firm.
    When the same compact id belongs to clients of several countries, the one of the
    firm's default country wins if it is the only one there. Without a tax id the name
    decides, compared by `values.name_key`.
    """
    from ..values import name_key

    stored = con.execute("SELECT id, tax_id, tax_country, name_key FROM clients WHERE deleted_at IS NULL").fetchall()
    by_tax: dict[str, list[tuple[int, str]]] = defaultdict(list)
    by_name: dict[str, list[int]] = defaultdict(list)
    for client_id, tax_id, country, key in stored:
        if tax_id:
            by_tax[_tax_key(tax_id)].append((client_id, country))
        by_name[key].append(client_id)

    def tax_candidates(tax: str) -> list[int]:
        found = by_tax.get(_tax_key(tax), [])
        local = [client_id for client_id, country in found if country == default_country]
        return local if len(found) > 1 and len(local) == 1 else [client_id for client_id, _ in found]

    def resolve(tax: str | None, name: str | None) -> tuple:
        if not tax and not name:
            return None, None, None, None
        if tax:
            candidates, column, shown = tax_candidates(tax), columns["client_tax_id"], tax
        else:
            candidates, column, shown = by_name.get(name_key(name), []), columns["client_name"], name
        if len(candidates) == 1:
            return candidates[0], column, shown, None
        if candidates:
            return None, column, shown, t("import.client_ambiguous", value=shown, count=len(candidates))
        if tax and not any(_valid_tax_id(tax, country) for country in COUNTRIES):
            # A typing error is likelier than a missing client when no country's check accepts the id.
            try:
                parse_tax_id(tax, country=default_country)
            except ValueError as error:
                return None, column, shown, t("import.client_tax_invalid", value=shown, detail=str(error))
        return None, column, shown, t("import.client_not_found", value=shown)

    return resolve


def _valid_tax_id(value: str, country: str) -> bool:
    try:
        parse_tax_id(value, country=country)
    except ValueError:
        return False
    return True


def _count_only(con, entity: str, staged: pd.DataFrame, report: ImportReport) -> None:
    """Fill the would-be totals of a check or a rejected import (the changed rows are not compared)."""
    valid = staged[~staged["row"].isin(report.error_rows)]
    report.inserted = int(valid["match_id"].isna().sum())
    report.updated = int(valid["match_id"].notna().sum())


def _snapshot_sql(entity: str, alias: str) -> str:
    if entity == "clientes":
        keys = [*clients.EDITABLE, "version", "deleted_at"]
    else:
        keys = [*cases.EDITABLE, "version"]
    parts = []
    for key in keys:
        expression = f"CAST({alias}.{key} AS VARCHAR)" if key == "amount" else f"{alias}.{key}"
        parts.append(f"'{key}', {expression}")
    return f"json_object({', '.join(parts)})"


def _write(con, actor: str, entity: str, staged: pd.DataFrame, report: ImportReport, progress) -> None:
    """Stage the validated frame as the temp table import_rows, then write it set-based."""
    editable = clients.EDITABLE if entity == "clientes" else cases.EDITABLE
    fields = [name for name in editable if name in staged]

    staged = _with_search_text(con, entity, staged)
    frame = pd.DataFrame({"pos": range(len(staged))})
    frame["match_id"] = staged["match_id"]
    frame["source"] = staged["source"].astype(object)
    frame["source_row"] = pd.array(staged["row"].tolist(), dtype="Int64")
    frame["search_text"] = staged["search_text"].astype(object)
    key_column = "name_key" if entity == "clientes" else "case_number_key"
    frame[key_column] = staged[key_column].astype(object)
    for name in fields:
        frame[name] = [value if type(value) is str else _cell_text(value) for value in staged[name].tolist()]

    # A registered frame is converted again on every scan, so it is copied into DuckDB once.
    con.register("import_frame", frame)
    try:
        _run(con, "CREATE OR REPLACE TEMP TABLE import_rows AS SELECT * FROM import_frame ORDER BY pos", [])
    finally:
        con.unregister("import_frame")
    write_rows(con, actor, entity, fields, report, progress)


def write_rows(con, actor: str, entity: str, fields: list[str], report: ImportReport, progress) -> None:
    """Update matched and insert new records from the temp table import_rows, and audit them.

    Each update and each new client gets its own audit entry; the new cases share one
    (see `casetrack_nb.audit`). import_rows has pos (the write order), match_id (the
    stored record, or NULL for a new one), source, source_row (the file row), search_text,
    the key column and `fields` as text or typed values. Each
    step is one statement over all rows: a step per chunk would rescan the whole table
    and the growing target table for every chunk, which made large imports quadratic.
    """
    table = "clients" if entity == "clientes" else "cases"
    sequence = "client_id_seq" if entity == "clientes" else "case_id_seq"
    audit_entity = "client" if entity == "clientes" else "case"
    key_column = "name_key" if entity == "clientes" else "case_number_key"

    def typed(name: str) -> str:
        return f"CAST(s.{name} AS {_TYPES.get(name, 'VARCHAR')})"

    changed = " OR ".join(f"({typed(name)} IS NOT NULL AND {typed(name)} IS DISTINCT FROM c.{name})" for name in fields)
    assignments = ", ".join(f"{name} = COALESCE({typed(name)}, {table}.{name})" for name in fields)
    status_default = "'vigente'" if entity == "clientes" else "'activa'"
    insert_columns = [name for name in fields if name != "status"]
    insert_values = [typed(name) for name in insert_columns]
    now = audit.now()
    total = con.execute("SELECT count(*) FROM import_rows").fetchall()[0][0]

    bar = progress(total=total, desc="Guardando", unit="filas") if progress else None
    try:
        _run(con,
             f"CREATE OR REPLACE TEMP TABLE import_changed AS SELECT c.id, {_snapshot_sql(entity, 'c')} AS before"
             f" FROM {table} c JOIN import_rows s ON c.id = s.match_id WHERE {changed or 'false'}",
             [])
        _run(con,
             f"UPDATE {table} SET {assignments + ', ' if assignments else ''}{key_column} = s.{key_column},"
             f" search_text = s.search_text, updated_at = ?, updated_by = ?, version = {table}.version + 1"
             f" FROM import_rows s WHERE {table}.id = s.match_id AND {table}.id IN (SELECT id FROM import_changed)",
             [now, actor])
        _run(con,
             "INSERT INTO audit_log (logged_at, actor, action, entity, entity_id, before, after, source)"
             f" SELECT ?, ?, 'update', ?, CAST(c.id AS VARCHAR), b.before, {_snapshot_sql(entity, 'c')}, s.source"
             f" FROM {table} c JOIN import_changed b ON b.id = c.id JOIN import_rows s ON s.match_id = c.id"
             " ORDER BY s.pos",
             [now, actor, audit_entity])
        report.updated += con.execute("SELECT count(*) FROM import_changed").fetchall()[0][0]

        _run(con,
             f"CREATE OR REPLACE TEMP TABLE import_new AS SELECT nextval('{sequence}') AS id, pos"
             " FROM (SELECT pos FROM import_rows WHERE match_id IS NULL ORDER BY pos)",
             [])
        _run(con,
             f"INSERT INTO {table} (id, {''.join(c + ', ' for c in insert_columns)}status, {key_column}, search_text,"
             " created_at, created_by, updated_at, updated_by)"
             f" SELECT n.id, {''.join(v + ', ' for v in insert_values)}"
             f" COALESCE({typed('status') if 'status' in fields else 'NULL'}, {status_default}),"
             f" s.{key_column}, s.search_text, ?, ?, ?, ?"
             " FROM import_rows s JOIN import_new n ON n.pos = s.pos",
             [now, actor, now, actor])
        if entity == "causas":
            _audit_created_cases(con, now, actor, report.file)
        else:
            # New ids come from the sequence, so only the ids from the first new one up are read back.
            _run(con,
                 "INSERT INTO audit_log (logged_at, actor, action, entity, entity_id, before, after, source)"
                 f" SELECT ?, ?, 'create', ?, CAST(c.id AS VARCHAR), NULL, {_snapshot_sql(entity, 'c')}, s.source"
                 f" FROM {table} c JOIN import_new n ON n.id = c.id JOIN import_rows s ON s.pos = n.pos"
                 " WHERE c.id >= (SELECT min(id) FROM import_new) ORDER BY s.pos",
                 [now, actor, audit_entity])
        report.inserted += con.execute("SELECT count(*) FROM import_new").fetchall()[0][0]
        if entity == "causas":
            case_counts.refresh(con)
        if bar is not None:
            bar.update(total)
    finally:
        if bar is not None:
            bar.close()
    matched = con.execute("SELECT count(*) FROM import_rows WHERE match_id IS NOT NULL").fetchall()[0][0]
    report.unchanged = matched - report.updated


def _audit_created_cases(con, now, actor: str, file_name: str) -> None:
    """Log the new cases as one `import` entry whose runs map each id to its file row (see `audit`).

    A run is a stretch where the id and the row both go up by one. A row left out (an
    error, or a repeat that a later row replaced) starts a new run.
    """
    _run(con,
         "INSERT INTO audit_log (logged_at, actor, action, entity, entity_id, before, after, source)"
         " SELECT ?, ?, 'import', 'case', NULL, NULL, json_object('created', sum(length), 'first_id', min(first_id),"
         " 'last_id', max(first_id + length - 1), 'runs', list([first_id, first_row, length] ORDER BY first_id)), ?"
         " FROM (SELECT min(id) AS first_id, min(source_row) AS first_row, count(*) AS length"
         "       FROM (SELECT id, source_row, sum(CASE WHEN id = previous_id + 1 AND source_row = previous_row + 1"
         "                                             THEN 0 ELSE 1 END) OVER (ORDER BY id) AS run"
         "             FROM (SELECT n.id, s.source_row, lag(n.id) OVER (ORDER BY n.id) AS previous_id,"
         "                          lag(s.source_row) OVER (ORDER BY n.id) AS previous_row"
         "                   FROM import_new n JOIN import_rows s ON s.pos = n.pos))"
         "       GROUP BY run)"
         " HAVING count(*) > 0",
         [now, actor, file_name])


def _cell_text(value: object) -> str | None:
    """Return a validated value as the text DuckDB casts back to the column's type."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    return str(value)


def _run(con, sql: str, params: list) -> None:
    # DuckDB 2.0 refuses to unregister a frame while a statement's result is unread.
    con.execute(sql, params).fetchall()


def _with_search_text(con, entity: str, staged: pd.DataFrame) -> pd.DataFrame:
    """Compute search_text from the merged record: file values over the stored ones."""
    staged = staged.copy()
    matched = [int(value) for value in staged["match_id"].dropna()]
    stored: dict[int, dict] = {}
    if entity == "clientes":
        wanted = ["id", "name", "legal_name", "tax_id", "tax_country", "tax_kind", "internal_code", "client_group"]
    else:
        wanted = ["id", "case_number", "title"]
    if matched:
        table = "clients" if entity == "clientes" else "cases"
        con.register("import_ids", pd.DataFrame({"id": matched}))
        try:
            for row in con.execute(f"SELECT {', '.join('t.' + c for c in wanted)} FROM {table} t"
                                   " JOIN import_ids i ON i.id = t.id").fetchall():
                stored[row[0]] = dict(zip(wanted, row))
        finally:
            con.unregister("import_ids")

    texts = []
    present = [name for name in wanted[1:] if name in staged]
    columns = {name: staged[name].tolist() for name in present}
    for position, match in enumerate(staged["match_id"].tolist()):
        merged = dict(stored.get(int(match), {})) if match is not None and match is not pd.NA else {}
        for name in present:
            value = columns[name][position]
            if value is not None:
                merged[name] = value
        if entity == "clientes":
            texts.append(clients._search_text(merged))
        else:
            # cases._search_text, with the ASCII shortcut of quick_search_key.
            texts.append(" | ".join(quick_search_key(merged.get(part)) for part in ("case_number", "title")
                                    if merged.get(part)))
    staged["search_text"] = texts
    if entity == "clientes":
        from ..values import name_key

        staged["name_key"] = [name_key(n) for n in staged["name"]]
    return staged
