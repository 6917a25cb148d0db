"""Clients: the writes (add, update, delete, restore) and the reads (get, list, pick).

Every write checks the acting user's role, validates, checks duplicates and writes
the audit entry inside one transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Mapping

import duckdb
import pandas as pd

from . import audit, case_counts, permissions, settings
from .errors import ClientHasCases, ClientNotFound, Conflict, ConfirmationRequired, DuplicateTaxId, InvalidOperation, ValidationError
from .i18n import get_language, t
from .identifiers import format_tax_id, is_generic, parse_tax_id
from .values import FieldError, clean_text, name_key, parse_choice, parse_date, parse_email, search_key


@dataclass(frozen=True)
class Field:
    """An editable client field: its column, labels, parser kind and form group."""

    name: str
    label_es: str
    label_en: str
    kind: str = "text"
    group: str = "general"
    max_length: int = 200
    choices: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return self.label_en if get_language() == "en" else self.label_es


FIELDS: tuple[Field, ...] = (
    Field("name", "Nombre", "Name", max_length=200),
    Field("person_type", "Tipo de persona", "Person type", "choice", choices=("natural", "juridica")),
    Field("legal_name", "Razón social", "Legal name", max_length=300),
    Field("status", "Estado", "Status", "choice", choices=("vigente", "no_vigente")),
    Field("tax_country", "País del identificador", "Tax id country", "country", "tax"),
    Field("tax_kind", "Tipo de identificador", "Tax id kind", "tax_kind", "tax"),
    Field("tax_id", "Identificador tributario", "Tax id", "tax_id", "tax", max_length=40),
    Field("email", "Correo", "E-mail", "email", "contact"),
    Field("phone", "Teléfono", "Phone", "text", "contact", max_length=40),
    Field("address", "Dirección", "Address", "text", "contact", max_length=300),
    Field("city", "Ciudad / comuna", "City", "text", "contact", max_length=100),
    Field("region", "Región / provincia", "Region", "text", "contact", max_length=100),
    Field("country", "País", "Country", "text", "contact", max_length=60),
    Field("contact_name", "Contacto principal", "Main contact", "text", "contact"),
    Field("contact_role", "Cargo del contacto", "Contact's role", "text", "contact", max_length=100),
    Field("contact_email", "Correo del contacto", "Contact's e-mail", "email", "contact"),
    Field("contact_phone", "Teléfono del contacto", "Contact's phone", "text", "contact", max_length=40),
    Field("client_group", "Grupo (holding)", "Group (holding)", "text", "commercial"),
    Field("industry", "Rubro / giro", "Industry", "text", "commercial", max_length=100),
    Field("segment", "Segmento / clasificación", "Segment", "text", "commercial", max_length=100),
    Field("internal_code", "Código interno", "Internal code", "text", "commercial", max_length=60),
    Field("tags", "Etiquetas", "Tags", "text", "commercial", max_length=300),
    Field("client_since", "Cliente desde", "Client since", "date", "commercial"),
    Field("responsible_partner", "Socio responsable", "Responsible partner", "text", "responsible"),
    Field("notes", "Notas", "Notes", "notes", "notes", max_length=5000),
)
FIELD_BY_NAME = {field.name: field for field in FIELDS}
EDITABLE = tuple(FIELD_BY_NAME)

# Columns returned for a client; helper columns (name_key, search_text) stay internal.
COLUMNS = ("id", *EDITABLE, "created_at", "created_by", "updated_at", "updated_by", "version", "deleted_at", "deleted_by")
_SELECT = ", ".join(f"c.{column}" for column in COLUMNS)

# Sort keys the list accepts, mapped to fixed SQL; user input never reaches the SQL text.
SORTS = {
    "name": "c.name COLLATE es",
    "tax_id": "c.tax_id",
    "client_group": "c.client_group COLLATE es",
    "industry": "c.industry COLLATE es",
    "responsible_partner": "c.responsible_partner COLLATE es",
    "status": "c.status",
    "total_cases": "k.total_cases",
    "active_cases": "k.active_cases",
    "updated_at": "c.updated_at",
}


@dataclass
class ClientPage:
    """One page of the client list and the total number of matching clients."""

    rows: pd.DataFrame
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def validate(data: Mapping[str, Any], *, default_country: str, partial: bool = False) -> tuple[dict, dict[str, str]]:
    """Parse and normalise client fields; return (values, warnings).

    Raises ValidationError listing every invalid field. With `partial=True` only the
    given fields are checked (for updates).
    """
    unknown = [key for key in data if key not in FIELD_BY_NAME]
    if unknown:
        raise ValidationError({key: t("val.unknown_field", field=key, choices=", ".join(EDITABLE)) for key in unknown})

    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    warnings: dict[str, str] = {}
    for field in FIELDS:
        if field.name not in data and (partial or field.name != "name"):
            continue
        raw = data.get(field.name)
        try:
            values[field.name] = _parse_field(field, raw)
        except FieldError as error:
            errors[field.name] = error.message

    if "tax_id" in values and "tax_id" not in errors:
        typed = values["tax_id"]
        if typed is None:
            values["tax_country"] = values["tax_kind"] = None
        else:
            country = values.get("tax_country") or default_country
            try:
                parsed = parse_tax_id(typed, country=country, kind=values.get("tax_kind"))
            except ValueError as error:
                errors["tax_id"] = str(error)
            else:
                values.update(tax_country=parsed.country, tax_kind=parsed.kind, tax_id=parsed.compact)
                if parsed.warning:
                    warnings["tax_id"] = parsed.warning
    elif "tax_id" not in data and ("tax_country" in values or "tax_kind" in values) and partial:
        # Country or kind alone cannot change without the id they describe.
        values.pop("tax_country", None)
        values.pop("tax_kind", None)

    if errors:
        raise ValidationError(errors)
    if values.get("status") is None and "status" in values:
        values["status"] = "vigente"
    return values, warnings


def _parse_field(field: Field, raw: Any) -> Any:
    label = field.label
    if field.kind == "choice":
        return parse_choice(raw, field=field.name, label=label, choices=field.choices)
    if field.kind == "date":
        return parse_date(raw, field=field.name, label=label)
    if field.kind == "email":
        return parse_email(raw, field=field.name, label=label)
    if field.kind in ("country", "tax_kind"):
        text = clean_text(raw, field=field.name, label=label, max_length=10)
        return text.upper() if text else None
    return clean_text(
        raw,
        field=field.name,
        label=label,
        max_length=field.max_length,
        required=field.name == "name",
        multiline=field.kind == "notes",
    )


def _search_text(values: Mapping[str, Any]) -> str:
    parts = [
        values.get("name"),
        values.get("legal_name"),
        values.get("tax_id"),
        format_tax_id(values.get("tax_country"), values.get("tax_kind"), values.get("tax_id")),
        values.get("internal_code"),
        values.get("client_group"),
    ]
    return " | ".join(search_key(part) for part in parts if part)


def _row(con: duckdb.DuckDBPyConnection, client_id: int) -> dict | None:
    cursor = con.execute(f"SELECT {_SELECT} FROM clients c WHERE c.id = ?", [client_id])
    row = cursor.fetchone()
    if row is None:
        return None
    record = dict(zip(COLUMNS, row))
    record["tax_id_formatted"] = format_tax_id(record["tax_country"], record["tax_kind"], record["tax_id"])
    return record


def _snapshot(record: Mapping[str, Any]) -> dict:
    return {key: record.get(key) for key in (*EDITABLE, "version", "deleted_at")}


def _check_duplicates(
    con: duckdb.DuckDBPyConnection,
    values: Mapping[str, Any],
    *,
    exclude_id: int | None,
    check_name: bool,
) -> dict[str, str]:
    """Raise DuplicateTaxId for a tax id taken by a live client; return warnings to confirm.

    The warnings are a name equivalent to a live client's, and a tax id that belongs to a
    deleted client (which a superadmin could restore instead of creating a new one). A
    generic id (`identifiers.is_generic`) may be shared.
    """
    warnings = {}
    if values.get("tax_id") and not is_generic(values["tax_country"], values["tax_kind"], values["tax_id"]):
        other = con.execute(
            "SELECT id, name FROM clients WHERE deleted_at IS NULL AND tax_country = ? AND tax_kind = ?"
            " AND tax_id = ? AND id IS DISTINCT FROM ? LIMIT 1",
            [values["tax_country"], values["tax_kind"], values["tax_id"], exclude_id],
        ).fetchone()
        if other:
            shown = format_tax_id(values["tax_country"], values["tax_kind"], values["tax_id"])
            message = t("client.tax_id_taken", tax_id=shown, other=other[1], other_id=other[0])
            raise DuplicateTaxId(message, other_id=other[0])

        deleted = con.execute(
            "SELECT id, name FROM clients WHERE deleted_at IS NOT NULL AND tax_country = ? AND tax_kind = ?"
            " AND tax_id = ? AND id IS DISTINCT FROM ? ORDER BY deleted_at DESC LIMIT 1",
            [values["tax_country"], values["tax_kind"], values["tax_id"], exclude_id],
        ).fetchone()
        if deleted:
            shown = format_tax_id(values["tax_country"], values["tax_kind"], values["tax_id"])
            warnings["tax_id"] = t("client.tax_id_deleted", tax_id=shown, other=deleted[1], other_id=deleted[0])

    if check_name:
        other = con.execute(
            "SELECT id, name FROM clients WHERE deleted_at IS NULL AND name_key = ? AND id IS DISTINCT FROM ?"
            " ORDER BY id LIMIT 1",
            [name_key(values["name"]), exclude_id],
        ).fetchone()
        if other:
            warnings["name"] = t("client.possible_duplicate", other=other[1], other_id=other[0])
    return warnings


def _merge_warnings(first: Mapping[str, str], second: Mapping[str, str]) -> dict[str, str]:
    """Join two field -> warning maps, keeping both texts when a field has a warning in each."""
    merged = dict(first)
    for field, message in second.items():
        merged[field] = f"{merged[field]} {message}" if field in merged else message
    return merged


def add_client(db, data: Mapping[str, Any] | None = None, *, confirm: bool = False, source: str | None = None, **fields: Any) -> dict:
    """Create a client from `data` and/or keyword fields; only `name` is required.

    Raises ValidationError, DuplicateTaxId, PermissionDenied, or ConfirmationRequired
    when there are warnings (a similar name, a tolerated check-digit failure) and
    `confirm` is false. Returns the stored client.
    """
    payload = {**(data or {}), **fields}
    with db.transaction() as con:
        permissions.require(con, db.user, "client.write")
        firm = settings.load(con)
        values, warnings = validate(payload, default_country=firm["default_country"])
        return _insert(con, db.user, values, warnings, confirm=confirm, source=source)


def _insert(con, actor: str, values: dict, warnings: dict, *, confirm: bool, source: str | None) -> dict:
    warnings = _merge_warnings(warnings, _check_duplicates(con, values, exclude_id=None, check_name=True))
    if warnings and not confirm:
        raise ConfirmationRequired(warnings)

    now = audit.now()
    columns = [field for field in EDITABLE if field in values]
    row = [values[field] for field in columns]
    placeholders = ", ".join("?" for _ in range(len(columns) + 6))
    client_id = con.execute(
        f"INSERT INTO clients ({', '.join(columns)}, name_key, search_text, created_at, created_by, updated_at, updated_by)"
        f" VALUES ({placeholders}) RETURNING id",
        [*row, name_key(values["name"]), _search_text(values), now, actor, now, actor],
    ).fetchone()[0]
    stored = _row(con, client_id)
    audit.record(con, actor=actor, action="create", entity="client", entity_id=client_id,
                 before=None, after=_snapshot(stored), source=source, at=now)
    return stored


def get_client(db, client_id: int, *, include_deleted: bool = False) -> dict:
    """Return the client as a dict (with `tax_id_formatted`), or raise ClientNotFound."""
    with db.read() as con:
        record = _row(con, int(client_id))
    if record is None or (record["deleted_at"] is not None and not include_deleted):
        raise ClientNotFound(client_id=client_id)
    return record


def update_client(
    db,
    client_id: int,
    changes: Mapping[str, Any] | None = None,
    *,
    expected_version: int,
    confirm: bool = False,
    source: str | None = None,
    **fields: Any,
) -> dict:
    """Apply `changes` to a client unless someone saved it after `expected_version`.

    Raises Conflict (naming who saved and when) when the stored version differs.
    """
    payload = {**(changes or {}), **fields}
    with db.transaction() as con:
        permissions.require(con, db.user, "client.write")
        firm = settings.load(con)
        current = _row(con, int(client_id))
        if current is None or current["deleted_at"] is not None:
            raise ClientNotFound(client_id=client_id)
        if current["version"] != expected_version:
            raise Conflict(
                "client.conflict",
                name=current["name"],
                user=current["updated_by"] or "?",
                when=current["updated_at"].strftime("%d-%m-%Y %H:%M:%S"),
            )
        values, warnings = validate(payload, default_country=firm["default_country"], partial=True)
        return _apply_update(con, db.user, current, values, warnings, confirm=confirm, source=source)


def _apply_update(con, actor: str, current: dict, values: dict, warnings: dict, *, confirm: bool, source: str | None) -> dict:
    merged = {**current, **values}
    tax_changed = any(values.get(k, current[k]) != current[k] for k in ("tax_country", "tax_kind", "tax_id"))
    if not tax_changed:
        warnings.pop("tax_id", None)
    name_changed = name_key(merged["name"]) != name_key(current["name"])
    warnings = _merge_warnings(warnings, _check_duplicates(
        con, merged if tax_changed else {**merged, "tax_id": None}, exclude_id=current["id"], check_name=name_changed
    ))
    if warnings and not confirm:
        raise ConfirmationRequired(warnings)

    changed = [key for key in values if values[key] != current[key]]
    if not changed:
        return current
    now = audit.now()
    assignments = ", ".join(f"{key} = ?" for key in changed)
    con.execute(
        f"UPDATE clients SET {assignments}, name_key = ?, search_text = ?, updated_at = ?, updated_by = ?,"
        " version = version + 1 WHERE id = ?",
        [*(values[key] for key in changed), name_key(merged["name"]), _search_text(merged), now, actor, current["id"]],
    )
    stored = _row(con, current["id"])
    audit.record(con, actor=actor, action="update", entity="client", entity_id=current["id"],
                 before=_snapshot(current), after=_snapshot(stored), source=source, at=now)
    return stored


def delete_client(db, client_id: int, *, expected_version: int | None = None) -> dict:
    """Soft-delete a client without cases; refuse (ClientHasCases) one that has any."""
    with db.transaction() as con:
        permissions.require(con, db.user, "client.write")
        current = _row(con, int(client_id))
        if current is None or current["deleted_at"] is not None:
            raise ClientNotFound(client_id=client_id)
        if expected_version is not None and current["version"] != expected_version:
            raise Conflict("client.conflict", name=current["name"], user=current["updated_by"] or "?",
                           when=current["updated_at"].strftime("%d-%m-%Y %H:%M:%S"))
        count = con.execute("SELECT count(*) FROM cases WHERE client_id = ?", [current["id"]]).fetchone()[0]
        if count:
            label = settings.load(con)["case_label"]
            raise ClientHasCases(name=current["name"], count=count, label=label)

        now = audit.now()
        con.execute(
            "UPDATE clients SET deleted_at = ?, deleted_by = ?, version = version + 1 WHERE id = ?",
            [now, db.user, current["id"]],
        )
        stored = _row(con, current["id"])
        audit.record(con, actor=db.user, action="delete", entity="client", entity_id=current["id"],
                     before=_snapshot(current), after=_snapshot(stored), at=now)
        return stored


def restore_client(db, client_id: int) -> dict:
    """Bring back a soft-deleted client (superadmin only), unless its tax id is now taken."""
    with db.transaction() as con:
        permissions.require(con, db.user, "client.restore")
        current = _row(con, int(client_id))
        if current is None:
            raise ClientNotFound(client_id=client_id)
        if current["deleted_at"] is None:
            raise InvalidOperation("client.not_deleted", name=current["name"])
        _check_duplicates(con, current, exclude_id=current["id"], check_name=False)

        now = audit.now()
        con.execute(
            "UPDATE clients SET deleted_at = NULL, deleted_by = NULL, updated_at = ?, updated_by = ?,"
            " version = version + 1 WHERE id = ?",
            [now, db.user, current["id"]],
        )
        stored = _row(con, current["id"])
        audit.record(con, actor=db.user, action="restore", entity="client", entity_id=current["id"],
                     before=_snapshot(current), after=_snapshot(stored), at=now)
        return stored


def _like_pattern(text: str) -> str:
    escaped = search_key(text).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def list_clients(
    db,
    *,
    search: str = "",
    status: str | None = None,
    page: int = 1,
    page_size: int = 25,
    sort: str = "name",
    descending: bool = False,
    deleted: bool = False,
) -> ClientPage:
    """Return one page of clients with their active, inactive and total case counts.

    `search` ignores case and accents and matches name, legal name, tax id, internal
    code and group. Sorting uses Spanish collation; `sort` must be a key of SORTS.
    `deleted=True` lists the deleted clients instead (the trash).
    """
    if sort not in SORTS:
        raise ValueError(f"sort must be one of {sorted(SORTS)}, not {sort!r}")
    page = max(1, int(page))
    page_size = max(1, min(int(page_size), 500))

    where = ["c.deleted_at IS NOT NULL" if deleted else "c.deleted_at IS NULL"]
    params: list[Any] = []
    if search and search.strip():
        where.append("c.search_text LIKE ? ESCAPE '\\'")
        params.append(_like_pattern(search))
    if status:
        where.append("c.status = ?")
        params.append(status)
    direction = "DESC" if descending else "ASC"

    # Two small queries on one connection: the page's ids with the total (a top-N sort
    # over the clients alone, which DuckDB does without ranking every client), then their
    # rows with case counts, in the page's order. The counts come from client_case_counts
    # (see `case_counts`), never from the cases table.
    by_count = sort in ("total_cases", "active_cases")
    counts_join = case_counts.JOIN if by_count else ""
    order = f"coalesce(k.{sort}, 0)" if by_count else SORTS[sort]
    condition = " AND ".join(where)
    page_sql = (
        f"SELECT c.id, count(*) OVER () AS total FROM clients c {counts_join} WHERE {condition}"
        f" ORDER BY {order} {direction} NULLS LAST, c.id LIMIT ? OFFSET ?"
    )
    rows_sql = f"""
        SELECT {_SELECT},
               coalesce(k.active_cases, 0) AS active_cases,
               coalesce(k.total_cases, 0) - coalesce(k.active_cases, 0) AS inactive_cases,
               coalesce(k.total_cases, 0) AS total_cases
        FROM clients c {case_counts.JOIN}
        WHERE c.id IN (SELECT unnest($ids))
        ORDER BY list_position($ids, c.id)
    """
    with db.read() as con:
        found = con.execute(page_sql, [*params, page_size, (page - 1) * page_size]).fetchall()
        ids = [row[0] for row in found]
        frame = con.execute(rows_sql, {"ids": ids}).df()
        if found:
            total = found[0][1]
        else:
            total = con.execute(f"SELECT count(*) FROM clients c WHERE {condition}", params).fetchone()[0]

    frame.insert(
        frame.columns.get_loc("tax_id") + 1,
        "tax_id_formatted",
        [format_tax_id(c, k, v) for c, k, v in zip(frame["tax_country"], frame["tax_kind"], frame["tax_id"])],
    )
    for column in ("active_cases", "inactive_cases", "total_cases"):
        frame[column] = frame[column].astype("int64")
    return ClientPage(frame, int(total), page, page_size)


def client_choices(db, search: str = "", *, limit: int = 20, ids: list[int] | None = None) -> list[tuple[str, int]]:
    """Return (label, id) pairs of live clients for pickers, matched like the list search."""
    with db.read() as con:
        if ids:
            rows = con.execute(
                "SELECT id, name, tax_country, tax_kind, tax_id FROM clients WHERE id IN (SELECT unnest(?))",
                [list(map(int, ids))],
            ).fetchall()
        else:
            rows = con.execute(
                "SELECT id, name, tax_country, tax_kind, tax_id FROM clients WHERE deleted_at IS NULL"
                " AND search_text LIKE ? ESCAPE '\\' ORDER BY name COLLATE es, id LIMIT ?",
                [_like_pattern(search or ""), int(limit)],
            ).fetchall()
    choices = []
    for client_id, name, country, kind, tax_id in rows:
        label = f"{name} ({format_tax_id(country, kind, tax_id)})" if tax_id else name
        choices.append((label, client_id))
    return choices


def client_counts(db, client_id: int) -> dict[str, int]:
    """Return the client's active, inactive and total case counts."""
    with db.read() as con:
        found = con.execute("SELECT active_cases, total_cases FROM client_case_counts WHERE client_id = ?",
                            [int(client_id)]).fetchone()
    active, total = found or (0, 0)
    return {"active": active, "inactive": total - active, "total": total}


def today() -> dt.date:
    return dt.date.today()
