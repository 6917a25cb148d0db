"""Cases (causas, procesos, casos, expedientes): writes, a client's cases and the filtered search."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Mapping

import duckdb
import pandas as pd

from . import audit, case_counts, exporting, permissions
from .errors import CaseNotFound, ClientNotFound, Conflict, ValidationError
from .i18n import get_language, t
from .values import (
    FieldError,
    case_number_key,
    clean_text,
    is_missing,
    parse_amount,
    parse_choice,
    parse_currency,
    parse_date,
    search_key,
)

STATUSES = ("activa", "inactiva")
# Words firms write for the two statuses: the masculine forms (proceso activo, expediente
# inactivo) and the usual ways of saying a matter is open or closed.
STATUS_ALIASES = {
    **dict.fromkeys(("activo", "activos", "activas", "vigente", "vigentes", "en_tramite", "en_curso",
                     "abierta", "abierto", "active", "open"), "activa"),
    **dict.fromkeys(("inactivo", "inactivos", "inactivas", "no_vigente", "terminada", "terminado", "archivada",
                     "archivado", "cerrada", "cerrado", "concluida", "concluido", "finalizada", "finalizado",
                     "inactive", "closed"), "inactiva"),
}
CLIENT_SIDES = ("demandante", "demandado", "tercero", "solicitante")

# (column, Spanish label, English label, kind, max length)
FIELDS: tuple[tuple[str, str, str, str, int], ...] = (
    ("case_number", "Número (rol, radicado, expediente)", "Case number", "required", 100),
    ("title", "Carátula", "Title", "text", 500),
    ("client_id", "Cliente", "Client", "client", 0),
    ("court", "Tribunal", "Court", "text", 200),
    ("matter", "Materia", "Matter", "text", 100),
    ("stage", "Etapa", "Stage", "text", 100),
    ("status", "Estado", "Status", "status", 0),
    ("opened_on", "Fecha de inicio", "Opened on", "date", 0),
    ("closed_on", "Fecha de término", "Closed on", "date", 0),
    ("amount", "Cuantía", "Amount in dispute", "amount", 0),
    ("currency", "Moneda", "Currency", "currency", 0),
    ("responsible_lawyer", "Abogado responsable", "Responsible lawyer", "text", 200),
    ("counterparty", "Contraparte", "Counterparty", "text", 300),
    ("client_side", "Calidad del cliente", "Client's side", "side", 0),
)
EDITABLE = tuple(name for name, *_ in FIELDS)
COLUMNS = ("id", *EDITABLE, "created_at", "created_by", "updated_at", "updated_by", "version")

# Sort keys for the case search, mapped to fixed SQL.
SORTS = {
    "opened_on": "k.opened_on",
    "case_number": "k.case_number_key",
    "title": "k.title COLLATE es",
    "client": "c.name COLLATE es",
    "court": "k.court COLLATE es",
    "matter": "k.matter COLLATE es",
    "stage": "k.stage COLLATE es",
    "status": "k.status",
    "amount": "k.amount",
    "responsible_lawyer": "k.responsible_lawyer COLLATE es",
    "updated_at": "k.updated_at",
}

# Fields offered as pick lists in the filters (distinct values from the data).
FACETS = ("court", "matter", "stage", "responsible_lawyer", "currency")


def label(name: str) -> str:
    for column, es, en, *_ in FIELDS:
        if column == name:
            return en if get_language() == "en" else es
    return name


def validate(data: Mapping[str, Any], *, partial: bool = False) -> dict:
    """Parse case fields; raise ValidationError listing every invalid one."""
    unknown = [key for key in data if key not in EDITABLE]
    if unknown:
        raise ValidationError({key: t("val.unknown_field", field=key, choices=", ".join(EDITABLE)) for key in unknown})

    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, _es, _en, kind, max_length in FIELDS:
        if name not in data and (partial or kind != "required"):
            continue
        raw = data.get(name)
        try:
            values[name] = _parse(name, kind, max_length, raw)
        except FieldError as error:
            errors[name] = error.message

    if values.get("amount") is None and values.get("currency") and "amount" in values:
        errors.setdefault("currency", t("val.currency_without_amount", value=values["currency"]))
    if errors:
        raise ValidationError(errors)
    return values


def _parse(name: str, kind: str, max_length: int, raw: Any) -> Any:
    text_label = label(name)
    if kind == "required":
        return clean_text(raw, field=name, label=text_label, max_length=max_length, required=True)
    if kind == "text":
        return clean_text(raw, field=name, label=text_label, max_length=max_length)
    if kind == "client":
        if is_missing(raw) or raw == "":
            return None
        if isinstance(raw, bool) or not isinstance(raw, (int, str)):
            raise FieldError(name, t("val.type", field=text_label, type=type(raw).__name__))
        if not str(raw).strip().isdigit():
            raise FieldError(name, t("val.client_id", field=text_label, value=raw))
        return int(raw)
    if kind == "status":
        return parse_choice(raw, field=name, label=text_label, choices=STATUSES, aliases=STATUS_ALIASES) or "activa"
    if kind == "side":
        return parse_choice(raw, field=name, label=text_label, choices=CLIENT_SIDES)
    if kind == "date":
        return parse_date(raw, field=name, label=text_label)
    if kind == "amount":
        return parse_amount(raw, field=name, label=text_label)
    if kind == "currency":
        return parse_currency(raw, field=name, label=text_label)
    raise AssertionError(kind)


def _check_dates(record: Mapping[str, Any]) -> None:
    opened, closed = record.get("opened_on"), record.get("closed_on")
    if opened and closed and closed < opened:
        raise ValidationError({"closed_on": t("val.date_order", opened=opened.strftime("%d-%m-%Y"), closed=closed.strftime("%d-%m-%Y"))})


def _check_client(con: duckdb.DuckDBPyConnection, client_id: int | None) -> None:
    if client_id is None:
        return
    row = con.execute("SELECT deleted_at FROM clients WHERE id = ?", [client_id]).fetchone()
    if row is None or row[0] is not None:
        raise ClientNotFound(client_id=client_id)


def _search_text(record: Mapping[str, Any]) -> str:
    return " | ".join(search_key(part) for part in (record.get("case_number"), record.get("title")) if part)


def _row(con: duckdb.DuckDBPyConnection, case_id: int) -> dict | None:
    row = con.execute(f"SELECT {', '.join(COLUMNS)} FROM cases WHERE id = ?", [case_id]).fetchone()
    return dict(zip(COLUMNS, row)) if row else None


def _snapshot(record: Mapping[str, Any]) -> dict:
    return {key: record.get(key) for key in (*EDITABLE, "version")}


def add_case(db, data: Mapping[str, Any] | None = None, *, source: str | None = None, **fields: Any) -> dict:
    """Create a case; only the case number is required, the client may come later."""
    values = validate({**(data or {}), **fields})
    with db.transaction() as con:
        permissions.require(con, db.user, "case.write")
        return insert_case(con, db.user, values, source=source)


def insert_case(con: duckdb.DuckDBPyConnection, actor: str, values: dict, *, source: str | None = None) -> dict:
    """Insert validated `values` inside the caller's transaction (used by imports too)."""
    _check_dates(values)
    _check_client(con, values.get("client_id"))
    values = {"status": "activa", **values}
    now = audit.now()
    columns = list(values)
    case_id = con.execute(
        f"INSERT INTO cases ({', '.join(columns)}, case_number_key, search_text, created_at, created_by, updated_at, updated_by)"
        f" VALUES ({', '.join('?' for _ in range(len(columns) + 6))}) RETURNING id",
        [*values.values(), case_number_key(values["case_number"]), _search_text(values), now, actor, now, actor],
    ).fetchone()[0]
    case_counts.refresh(con, [values.get("client_id")])
    stored = _row(con, case_id)
    audit.record(con, actor=actor, action="create", entity="case", entity_id=case_id, before=None,
                 after=_snapshot(stored), source=source, at=now)
    return stored


def get_case(db, case_id: int) -> dict:
    with db.read() as con:
        record = _row(con, int(case_id))
    if record is None:
        raise CaseNotFound(case_id=case_id)
    return record


def update_case(db, case_id: int, changes: Mapping[str, Any] | None = None, *, expected_version: int | None = None,
                source: str | None = None, action: str = "update", **fields: Any) -> dict:
    """Change a case's fields; with `expected_version`, raise Conflict if it was saved since."""
    values = validate({**(changes or {}), **fields}, partial=True)
    with db.transaction() as con:
        permissions.require(con, db.user, "case.write")
        return apply_case_update(con, db.user, int(case_id), values, expected_version=expected_version,
                                 source=source, action=action)


def apply_case_update(con, actor: str, case_id: int, values: dict, *, expected_version: int | None = None,
                      source: str | None = None, action: str = "update") -> dict:
    current = _row(con, case_id)
    if current is None:
        raise CaseNotFound(case_id=case_id)
    if expected_version is not None and current["version"] != expected_version:
        raise Conflict("case.conflict", number=current["case_number"], user=current["updated_by"] or "?")
    merged = {**current, **values}
    _check_dates(merged)
    if "client_id" in values and values["client_id"] != current["client_id"]:
        _check_client(con, values["client_id"])

    changed = [key for key in values if values[key] != current[key]]
    if not changed:
        return current
    now = audit.now()
    con.execute(
        f"UPDATE cases SET {', '.join(f'{key} = ?' for key in changed)}, case_number_key = ?, search_text = ?,"
        " updated_at = ?, updated_by = ?, version = version + 1 WHERE id = ?",
        [*(values[key] for key in changed), case_number_key(merged["case_number"]), _search_text(merged), now, actor, case_id],
    )
    if "client_id" in changed or "status" in changed:
        case_counts.refresh(con, [current["client_id"], merged["client_id"]])
    stored = _row(con, case_id)
    audit.record(con, actor=actor, action=action, entity="case", entity_id=case_id,
                 before=_snapshot(current), after=_snapshot(stored), source=source, at=now)
    return stored


def set_case_status(db, case_id: int, status: str, *, closed_on: dt.date | None = None,
                    expected_version: int | None = None) -> dict:
    """Deactivate ('inactiva', closing today unless a date is given) or reactivate ('activa') a case."""
    changes: dict[str, Any] = {"status": status}
    if status == "inactiva":
        changes["closed_on"] = closed_on or dt.date.today()
    elif status == "activa":
        changes["closed_on"] = None
    action = "deactivate" if status == "inactiva" else "reactivate"
    return update_case(db, case_id, changes, expected_version=expected_version, action=action)


def link_case(db, case_id: int, client_id: int | None, *, expected_version: int | None = None) -> dict:
    """Link a case to a client, or unlink it with `client_id=None`."""
    action = "unlink" if client_id is None else "link"
    return update_case(db, case_id, {"client_id": client_id}, expected_version=expected_version, action=action)


@dataclass
class CaseFilter:
    """The advanced filters of the case list; every field is optional and they combine with AND."""

    text: str = ""
    client_ids: list[int] = field(default_factory=list)
    status: str | None = "activa"
    courts: list[str] = field(default_factory=list)
    matters: list[str] = field(default_factory=list)
    stages: list[str] = field(default_factory=list)
    lawyers: list[str] = field(default_factory=list)
    opened_from: dt.date | None = None
    opened_to: dt.date | None = None
    amount_min: Decimal | float | None = None
    amount_max: Decimal | float | None = None
    currency: str | None = None
    without_client: bool = False

    def where(self) -> tuple[str, list[Any]]:
        """Return the SQL condition on cases `k` and its bound parameters."""
        clauses: list[str] = []
        params: list[Any] = []
        if self.text and self.text.strip():
            needle = search_key(self.text)
            escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            number = case_number_key(self.text)
            # The separator-free key matters only for numbers typed without their
            # separators ('C12342024'); plain words are found in search_text alone.
            if any(ch.isdigit() for ch in number):
                clauses.append("(k.search_text LIKE ? ESCAPE '\\' OR k.case_number_key LIKE ?)")
                params += [f"%{escaped}%", f"%{number}%"]
            else:
                clauses.append("k.search_text LIKE ? ESCAPE '\\'")
                params.append(f"%{escaped}%")
        if self.status in STATUSES:
            clauses.append("k.status = ?")
            params.append(self.status)
        if self.without_client and self.client_ids:
            clauses.append("(k.client_id IS NULL OR k.client_id IN (SELECT unnest(?)))")
            params.append([int(i) for i in self.client_ids])
        elif self.without_client:
            clauses.append("k.client_id IS NULL")
        elif self.client_ids:
            clauses.append("k.client_id IN (SELECT unnest(?))")
            params.append([int(i) for i in self.client_ids])
        for column, chosen in (("court", self.courts), ("matter", self.matters), ("stage", self.stages),
                               ("responsible_lawyer", self.lawyers)):
            if chosen:
                clauses.append(f"k.{column} IN (SELECT unnest(?))")
                params.append(list(chosen))
        if self.opened_from:
            clauses.append("k.opened_on >= ?")
            params.append(self.opened_from)
        if self.opened_to:
            clauses.append("k.opened_on <= ?")
            params.append(self.opened_to)
        if self.amount_min is not None:
            clauses.append("k.amount >= ?")
            params.append(Decimal(str(self.amount_min)))
        if self.amount_max is not None:
            clauses.append("k.amount <= ?")
            params.append(Decimal(str(self.amount_max)))
        if self.currency:
            clauses.append("k.currency = ?")
            params.append(self.currency)
        return (" AND ".join(clauses) or "TRUE"), params


@dataclass
class CasePage:
    rows: pd.DataFrame
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


_RESULT_COLUMNS = (
    "k.id, k.case_number, k.title, k.client_id, c.name AS client_name, k.court, k.matter, k.stage, k.status,"
    " k.opened_on, k.closed_on, k.amount, k.currency, k.responsible_lawyer, k.counterparty, k.client_side, k.version"
)


def search_cases(db, filters: CaseFilter | None = None, *, page: int = 1, page_size: int = 25,
                 sort: str = "opened_on", descending: bool = True) -> CasePage:
    """Return one page of cases matching `filters` (active ones by default), sorted in DuckDB."""
    filters = filters or CaseFilter()
    if sort not in SORTS:
        raise ValueError(f"sort must be one of {sorted(SORTS)}, not {sort!r}")
    page = max(1, int(page))
    page_size = max(1, min(int(page_size), 500))
    where, params = filters.where()
    direction = "DESC" if descending else "ASC"
    key = SORTS[sort]
    order = f"{key} {direction} NULLS LAST, k.id {direction}"
    if "COLLATE" in key:
        # Keeping a collated key for every match was slower than filtering twice, so the
        # page is a top-N sort and the total a separate count.
        sql = (
            f"SELECT {_RESULT_COLUMNS} FROM cases k LEFT JOIN clients c ON c.id = k.client_id"
            f" WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?"
        )
    else:
        # The filter runs once: the matches are kept as (id, sort key) only, which gives
        # both the page's ids and the total, and only the page's rows are read whole.
        # A window count over the full rows would materialise every column of every match.
        join = "LEFT JOIN clients c ON c.id = k.client_id" if key.startswith("c.") else ""
        sql = f"""
            WITH matching AS MATERIALIZED (SELECT k.id, {key} AS sort_key FROM cases k {join} WHERE {where}),
                 page AS (SELECT id FROM matching
                          ORDER BY sort_key {direction} NULLS LAST, id {direction} LIMIT ? OFFSET ?)
            SELECT {_RESULT_COLUMNS}, (SELECT count(*) FROM matching) AS total
            FROM cases k LEFT JOIN clients c ON c.id = k.client_id
            WHERE k.id IN (SELECT id FROM page)
            ORDER BY {order}
        """
    with db.read() as con:
        frame = con.execute(sql, [*params, page_size, (page - 1) * page_size]).df()
        if "total" in frame.columns:
            counted = frame.pop("total")
            total = int(counted.iloc[0]) if len(frame) else None
        else:
            total = (page - 1) * page_size + len(frame) if len(frame) < page_size and (len(frame) or page == 1) else None
        if total is None:
            total = con.execute(f"SELECT count(*) FROM cases k WHERE {where}", params).fetchone()[0]
    return CasePage(frame, int(total), page, page_size)


def export_cases(db, filters: CaseFilter | None = None, *, sort: str = "opened_on", descending: bool = True,
                 limit: int = 1_000_000) -> pd.DataFrame:
    """Return every case matching `filters` (for exports), up to `limit` rows."""
    filters = filters or CaseFilter()
    if sort not in SORTS:
        raise ValueError(f"sort must be one of {sorted(SORTS)}, not {sort!r}")
    where, params = filters.where()
    direction = "DESC" if descending else "ASC"
    with db.read() as con:
        return con.execute(
            f"SELECT {_RESULT_COLUMNS} FROM cases k LEFT JOIN clients c ON c.id = k.client_id WHERE {where}"
            f" ORDER BY {SORTS[sort]} {direction} NULLS LAST, k.id {direction} LIMIT ?",
            [*params, int(limit)],
        ).df()


def client_cases(db, client_id: int, *, status: str | None = None, page: int = 1, page_size: int = 50) -> CasePage:
    """Return a client's cases: 'activa', 'inactiva' or both (None), newest first."""
    filters = CaseFilter(client_ids=[int(client_id)], status=status)
    return search_cases(db, filters, page=page, page_size=page_size)


def facet_values(db, column: str, *, limit: int = 500) -> list[str]:
    """Return the distinct values of a filterable column (courts, matters, ...), sorted the Spanish way."""
    if column not in FACETS:
        raise ValueError(f"column must be one of {FACETS}, not {column!r}")
    with db.read() as con:
        rows = con.execute(
            f"SELECT DISTINCT {column} FROM cases WHERE {column} IS NOT NULL ORDER BY {column} COLLATE es LIMIT ?",
            [int(limit)],
        ).fetchall()
    return [row[0] for row in rows]


# Columns of a case export, in order; `client_name` is the linked client's name.
EXPORT_COLUMNS = (
    "case_number", "title", "client_name", "court", "matter", "stage", "status", "opened_on", "closed_on",
    "amount", "currency", "responsible_lawyer", "counterparty", "client_side",
)

# Display labels of the stored codes: column -> code -> (Spanish, English).
VALUE_LABELS: dict[str, dict[str, tuple[str, str]]] = {
    "status": {"activa": ("Activa", "Active"), "inactiva": ("Inactiva", "Inactive")},
    "client_side": {
        "demandante": ("Demandante", "Plaintiff"),
        "demandado": ("Demandado", "Defendant"),
        "tercero": ("Tercero", "Third party"),
        "solicitante": ("Solicitante", "Applicant"),
    },
}


def value_label(column: str, value: Any) -> Any:
    """Return the display label of a stored code ('activa' -> 'Activa') in the current language.

    A missing value stays missing and a code without a label is returned unchanged.
    """
    labels = VALUE_LABELS.get(column, {}).get(value) if isinstance(value, str) else None
    if labels is None:
        return value
    return labels[1] if get_language() == "en" else labels[0]


def export_table(db, filters: CaseFilter | None = None, *, sort: str = "opened_on", descending: bool = True,
                 limit: int = 1_000_000) -> pd.DataFrame:
    """Return the filtered cases with the export's columns, headed and labelled in the current language.

    Status and client's side hold display labels ('Activa', 'Demandante'); amounts stay numbers.
    """
    frame = export_cases(db, filters, sort=sort, descending=descending, limit=limit)
    table = frame[list(EXPORT_COLUMNS)].copy()
    for column in VALUE_LABELS:
        table[column] = table[column].map(lambda value, column=column: value_label(column, value))
    table.columns = [label("client_id" if column == "client_name" else column) for column in EXPORT_COLUMNS]
    return table


def write_cases(db, path: str | Path, filters: CaseFilter | None = None, *, sort: str = "opened_on",
                descending: bool = True, limit: int = 1_000_000) -> Path:
    """Write the filtered cases to `path` as XLSX or CSV (by extension) for Spanish-language Excel."""
    return exporting.write(export_table(db, filters, sort=sort, descending=descending, limit=limit), path)
