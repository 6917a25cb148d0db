"""The append-only audit log: who changed what, when, with the values before and after.

The package only ever inserts into audit_log; there is no function that edits or
deletes an entry.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import duckdb
import pandas as pd

from . import permissions


def _json_default(value: object) -> str:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot store {type(value).__name__} in the audit log")


def record(
    con: duckdb.DuckDBPyConnection,
    *,
    actor: str,
    action: str,
    entity: str,
    entity_id: object,
    before: dict | None,
    after: dict | None,
    source: str | None = None,
    at: dt.datetime | None = None,
) -> None:
    """Append one entry, inside the caller's transaction."""
    con.execute(
        "INSERT INTO audit_log (logged_at, actor, action, entity, entity_id, before, after, source)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            at or now(),
            actor,
            action,
            entity,
            None if entity_id is None else str(entity_id),
            None if before is None else json.dumps(before, default=_json_default, ensure_ascii=False),
            None if after is None else json.dumps(after, default=_json_default, ensure_ascii=False),
            source,
        ],
    )


def now() -> dt.datetime:
    """Return the local time, to the microsecond, used for created/updated/audit stamps."""
    return dt.datetime.now()


def history(db, *, entity: str, entity_id: object | None = None, limit: int = 200) -> pd.DataFrame:
    """Return audit entries, newest first, for one record or for a whole entity type.

    Restricted to `admin` and `superadmin`.
    """
    with db.read() as con:
        permissions.require(con, db.user, "audit.read")
        where, params = "entity = ?", [entity]
        if entity_id is not None:
            where += " AND entity_id = ?"
            params.append(str(entity_id))
        return con.execute(
            f"SELECT id, logged_at, actor, action, entity, entity_id, before, after, source"
            f" FROM audit_log WHERE {where} ORDER BY id DESC LIMIT ?",
            [*params, int(limit)],
        ).df()


def changes(before: dict | None, after: dict | None) -> list[tuple[str, object, object]]:
    """List (field, old, new) for the fields whose value differs between two JSON snapshots."""
    before, after = before or {}, after or {}
    fields = [key for key in dict.fromkeys([*before, *after]) if before.get(key) != after.get(key)]
    return [(key, before.get(key), after.get(key)) for key in fields]
