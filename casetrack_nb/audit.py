"""The append-only audit log: who changed what, when, with the values before and after.

The package only ever inserts into audit_log; there is no function that edits or
deletes an entry.

An import that creates cases writes one `import` entry for all of them instead of one
`create` entry each: its `after` holds the number created, the id range, and `runs`, a
list of [first id, first file row, length] where both the ids and the rows go up by one.
The entry stores no copy of the initial values: the case row contains them until its first
change, and that change's entry contains them as `before`. `history` shows such a case's
creation as a `create` entry like any other.
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
        frame = con.execute(
            f"SELECT id, logged_at, actor, action, entity, entity_id, before, after, source"
            f" FROM audit_log WHERE {where} ORDER BY id DESC LIMIT ?",
            [*params, int(limit)],
        ).df()
        if entity != "case" or entity_id is None or not str(entity_id).isdigit():
            return frame
        imported = _imported_creation(con, int(entity_id))
    if imported is None:
        return frame
    return pd.concat([frame, pd.DataFrame([imported]).astype(frame.dtypes.to_dict())],
                     ignore_index=True).head(int(limit))


def _imported_creation(con, case_id: int) -> dict | None:
    """Return the `create` entry of a case that an import created, built from the import's entry."""
    found = con.execute(
        "SELECT id, logged_at, actor, after, source FROM audit_log WHERE entity = 'case' AND action = 'import'"
        " AND CAST(after->>'first_id' AS BIGINT) <= ? AND CAST(after->>'last_id' AS BIGINT) >= ?"
        " ORDER BY id DESC LIMIT 1",
        [case_id, case_id],
    ).fetchone()
    if found is None:
        return None
    entry_id, logged_at, actor, after, source = found
    row = next((first_row + case_id - first_id for first_id, first_row, length in json.loads(after)["runs"]
                if first_id <= case_id < first_id + length), None)
    if row is None:
        return None

    # The values it was created with: the oldest later entry's `before`, or the row as it is now.
    earlier = con.execute("SELECT before FROM audit_log WHERE entity = 'case' AND entity_id = ? AND before IS NOT NULL"
                          " AND id > ? ORDER BY id LIMIT 1", [str(case_id), entry_id]).fetchone()
    if earlier is not None:
        created = earlier[0]
    else:
        from . import cases

        stored = cases._row(con, case_id)
        created = None if stored is None else json.dumps(cases._snapshot(stored), default=_json_default,
                                                          ensure_ascii=False)
    return {"id": entry_id, "logged_at": logged_at, "actor": actor, "action": "create", "entity": "case",
            "entity_id": str(case_id), "before": None, "after": created, "source": f"{source}:fila {row}"}


def changes(before: dict | None, after: dict | None) -> list[tuple[str, object, object]]:
    """List (field, old, new) for the fields whose value differs between two JSON snapshots."""
    before, after = before or {}, after or {}
    fields = [key for key in dict.fromkeys([*before, *after]) if before.get(key) != after.get(key)]
    return [(key, before.get(key), after.get(key)) for key in fields]
