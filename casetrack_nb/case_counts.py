"""Each client's active and total case counts, kept in the table client_case_counts.

The client list shows the counts on every page and can sort by them, and the portfolio
summary ranks every client by them. Counting the cases table for each page costs a scan of
every case's client, so every write that adds cases or changes a case's client or status
calls `refresh` inside that write's transaction. `refresh` recounts the cases of the clients it
is given instead of adding and subtracting, so a count is always the result of one
GROUP BY, never of a running sum.

A client without cases has no row; readers use `coalesce(..., 0)`. A program that writes
cases without the package leaves the table behind; `recount` (`casetrack recount`) repairs it.
"""

from __future__ import annotations

from collections.abc import Iterable

import duckdb

from . import audit, permissions

# Joins the counts of client `c` as `k` (columns active_cases, total_cases).
JOIN = "LEFT JOIN client_case_counts k ON k.client_id = c.id"

_COUNT = ("SELECT client_id, count(*) FILTER (status = 'activa'), count(*) FROM cases"
          " WHERE client_id IS NOT NULL")


def refresh(con: duckdb.DuckDBPyConnection, client_ids: Iterable[int | None] | None = None) -> None:
    """Recount the cases of `client_ids` (None: of every client), inside the caller's transaction."""
    if client_ids is None:
        con.execute("DELETE FROM client_case_counts")
        con.execute(f"INSERT INTO client_case_counts {_COUNT} GROUP BY client_id")
        return
    ids = sorted({int(client_id) for client_id in client_ids if client_id is not None})
    if not ids:
        return
    con.execute("DELETE FROM client_case_counts WHERE client_id IN (SELECT unnest(?))", [ids])
    con.execute(f"INSERT INTO client_case_counts {_COUNT} AND client_id IN (SELECT unnest(?)) GROUP BY client_id",
                [ids])


def mismatches(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """Return (client_id, stored active, stored total, counted active, counted total) where the table is wrong."""
    return con.execute(
        f"SELECT coalesce(s.client_id, n.client_id), s.active_cases, s.total_cases, n.active_cases, n.total_cases"
        f" FROM client_case_counts s FULL JOIN ({_COUNT} GROUP BY client_id) n(client_id, active_cases, total_cases)"
        " ON n.client_id = s.client_id"
        " WHERE s.client_id IS NULL OR n.client_id IS NULL OR s.active_cases <> n.active_cases"
        " OR s.total_cases <> n.total_cases OR s.client_id IN"
        " (SELECT client_id FROM client_case_counts GROUP BY client_id HAVING count(*) > 1)"
        " ORDER BY 1").fetchall()


def recount(db) -> int:
    """Recount every client's cases in one transaction; return how many clients had wrong counts.

    Restricted to `admin` and `superadmin`. A repair is logged in the audit log.
    """
    with db.transaction() as con:
        permissions.require(con, db.user, "case.write")
        wrong = [row[0] for row in mismatches(con)]
        if wrong:
            refresh(con)
            audit.record(con, actor=db.user, action="recount", entity="database", entity_id=None, before=None,
                         after={"clients": wrong})
    return len(wrong)
