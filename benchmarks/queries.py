"""The timed queries, each computed four ways: the package, raw DuckDB SQL twice and pandas.

`package` calls the public function as a dashboard does, so it pays the per-call attach
of the file. `raw` is the floor: the minimal SQL for the same result on one connection
kept open (to a byte copy of the file, because the package's attach and a kept
connection cannot hold the same file in one process). `raw_per_call` runs the same SQL,
but each call opens the file with a plain `duckdb.connect(path)` and closes it, as a
minimal program that must release the file between calls would. `pandas` is what an
analyst would otherwise do: read the tables into DataFrames with DuckDB's `.df()` on
every call, then filter, group and sort in pandas.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Callable

import duckdb
import pandas as pd

import casetrack_nb as ct
from casetrack_nb import importance, portfolio
from casetrack_nb.values import search_key

PAGE = 25
CASES_PAGE = 50
NAME_SEARCH = "nunez"
FREE_TEXT = "sunat"

# The columns the package returns, spelled out so that the floor computes the same result.
CLIENT_COLUMNS = ", ".join(ct.clients.COLUMNS)
CASE_COLUMNS = (
    "k.id, k.case_number, k.title, k.client_id, c.name AS client_name, k.court, k.matter, k.stage, k.status,"
    " k.opened_on, k.closed_on, k.amount, k.currency, k.responsible_lawyer, k.counterparty, k.client_side, k.version"
)


@dataclass
class Operation:
    """One user action and its four implementations (a missing one is None)."""

    name: str
    label: str
    package: Callable[[], object]
    raw: Callable[[], object] | None
    raw_per_call: Callable[[], object] | None
    pandas: Callable[[], object] | None


class KeptConnection:
    """A Database look-alike whose `read()` yields one connection kept open (no per-call attach)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, user: str = "socia"):
        self.con = con
        self.user = user
        self.path = None

    @contextlib.contextmanager
    def read(self):
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield self.con
        finally:
            self.con.execute("ROLLBACK")

    transaction = read


class PerCallConnection:
    """A Database look-alike whose `read()` opens the file with `duckdb.connect(path)` and closes it after."""

    def __init__(self, path: str, user: str = "socia"):
        self.path = path
        self.user = user

    @contextlib.contextmanager
    def read(self):
        con = duckdb.connect(self.path)
        try:
            con.execute("BEGIN TRANSACTION")
            try:
                yield con
            finally:
                con.execute("ROLLBACK")
        finally:
            con.close()

    transaction = read


def _load(path: str, *tables: str) -> list[pd.DataFrame]:
    """Read whole tables into DataFrames, as a notebook analyst would."""
    con = duckdb.connect(path, read_only=True)
    try:
        return [con.execute(f"SELECT * FROM {table}").df() for table in tables]
    finally:
        con.close()


def _counts(cases: pd.DataFrame) -> pd.DataFrame:
    """Return active and total cases per client id (int64 index)."""
    linked = cases[cases["client_id"].notna()]
    counts = linked.assign(active=linked["status"].eq("activa")).groupby("client_id").agg(
        active_cases=("active", "sum"), total_cases=("status", "size"))
    counts.index = counts.index.astype("int64")
    return counts


def _pandas_client_page(path: str, search: str = "") -> pd.DataFrame:
    clients, cases = _load(path, "clients", "cases")
    clients = clients[clients["deleted_at"].isna()]
    if search:
        clients = clients[clients["search_text"].str.contains(search_key(search), regex=False)]
    total = len(clients)
    page = clients.sort_values(["name", "id"]).head(PAGE)
    page = page.join(_counts(cases), on="id")
    page[["active_cases", "total_cases"]] = page[["active_cases", "total_cases"]].fillna(0).astype("int64")
    page.attrs["total"] = total
    return page


def _pandas_case_page(path: str, *, client_id=None, status=None, text="", size=PAGE) -> pd.DataFrame:
    cases, clients = _load(path, "cases", "clients")
    mask = pd.Series(True, index=cases.index)
    if client_id is not None:
        mask &= cases["client_id"].eq(client_id)
    if status:
        mask &= cases["status"].eq(status)
    if text:
        mask &= cases["search_text"].str.contains(search_key(text), regex=False)
    found = cases[mask]
    page = found.sort_values(["opened_on", "id"], ascending=False).head(size)
    page = page.merge(clients[["id", "name"]].rename(columns={"id": "client_id", "name": "client_name"}),
                      on="client_id", how="left")
    page.attrs["total"] = len(found)
    return page


def _pandas_summary(path: str) -> pd.DataFrame:
    clients, cases = _load(path, "clients", "cases")
    clients = clients[clients["deleted_at"].isna()][["id", "name", "client_group"]]
    frame = clients.join(_counts(cases), on="id").fillna({"active_cases": 0, "total_cases": 0})
    frame = frame.sort_values(["active_cases", "name", "id"], ascending=[False, True, True])
    portfolio_active = frame["active_cases"].sum()
    frame["rank"] = range(1, len(frame) + 1)
    frame["active_share"] = frame["active_cases"] / portfolio_active
    frame["cumulative_share"] = frame["active_cases"].cumsum() / portfolio_active
    before = frame["cumulative_share"] - frame["active_share"]
    frame["abc_class"] = "C"
    frame.loc[(before < portfolio.B_LIMIT), "abc_class"] = "B"
    frame.loc[(before < portfolio.A_LIMIT), "abc_class"] = "A"
    frame.loc[frame["active_cases"] == 0, "abc_class"] = "C"
    return frame


def _pandas_importance(path: str) -> pd.DataFrame:
    """Compute the ranking, 12-month intake windows and amounts per currency (no score)."""
    frame = _pandas_summary(path)
    (cases,) = _load(path, "cases")
    prior_start, window_start, as_of = (pd.Timestamp(d) for d in importance.ImportanceFilter().windows())
    opened = cases["opened_on"]
    cases = cases.assign(
        last=(opened > window_start) & (opened <= as_of),
        prior=(opened > prior_start) & (opened <= window_start),
    )
    intake = cases.groupby("client_id")[["last", "prior"]].sum()
    active = cases[cases["status"].eq("activa") & cases["amount"].notna()]
    amounts = active.pivot_table(index="client_id", columns=active["currency"].fillna("CLP"), values="amount",
                                 aggfunc="sum")
    return frame.join(intake, on="id").join(amounts, on="id")


def largest_client(path: str) -> int:
    con = duckdb.connect(path, read_only=True)
    try:
        return con.execute("SELECT client_id FROM cases WHERE client_id IS NOT NULL GROUP BY client_id"
                           " ORDER BY count(*) DESC LIMIT 1").fetchone()[0]
    finally:
        con.close()


def operations(db: ct.Database, raw: duckdb.DuckDBPyConnection, path: str, client_id: int) -> list[Operation]:
    """Return the benchmarked user actions on `db`.

    `raw` is the kept connection for the floor. The per-call floor opens `path`, the
    package's own file, which is free between calls because the package detaches it.
    """
    def raw_client_page(con: duckdb.DuckDBPyConnection, search: str = ""):
        where, params = "deleted_at IS NULL", []
        if search:
            where += " AND search_text LIKE ?"
            params.append(f"%{search_key(search)}%")
        return con.execute(
            f"""WITH page AS (SELECT {CLIENT_COLUMNS}, count(*) OVER () AS total FROM clients WHERE {where}
                              ORDER BY name COLLATE es, id LIMIT {PAGE})
                SELECT p.*, coalesce(k.active_cases, 0) AS active_cases,
                       coalesce(k.total_cases, 0) - coalesce(k.active_cases, 0) AS inactive_cases,
                       coalesce(k.total_cases, 0) AS total_cases
                FROM page p LEFT JOIN (
                    SELECT client_id, count(*) FILTER (status = 'activa') AS active_cases, count(*) AS total_cases
                    FROM cases WHERE client_id IN (SELECT id FROM page) GROUP BY client_id) k ON k.client_id = p.id
                ORDER BY p.name COLLATE es, p.id""",
            params,
        ).df()

    def raw_case_page(con: duckdb.DuckDBPyConnection, where: str, params: list, size: int = PAGE):
        # The fastest form found for a page and its total, as in cases.search_cases. The
        # filter runs once and keeps only (id, opened_on) per match. A window count over
        # the whole rows was about twice as slow at 1,000,000 cases, because it
        # materialises every column of every match.
        return con.execute(
            f"""WITH matching AS MATERIALIZED (SELECT k.id, k.opened_on FROM cases k WHERE {where}),
                     page AS (SELECT id FROM matching ORDER BY opened_on DESC NULLS LAST, id DESC LIMIT {size})
                SELECT {CASE_COLUMNS}, (SELECT count(*) FROM matching) AS total
                FROM cases k LEFT JOIN clients c ON c.id = k.client_id WHERE k.id IN (SELECT id FROM page)
                ORDER BY k.opened_on DESC NULLS LAST, k.id DESC""",
            params,
        ).df()

    def both_floors(query: Callable[[duckdb.DuckDBPyConnection], object]):
        """Return (kept, per call) callables that run `query(con)` for the two floors."""
        def kept_floor():
            return query(raw)

        def per_call_floor():
            # What a minimal program that must release the file between calls does.
            con = duckdb.connect(path)
            try:
                return query(con)
            finally:
                con.close()

        return kept_floor, per_call_floor

    text = f"%{search_key(FREE_TEXT)}%"
    kept = KeptConnection(raw)
    per_call = PerCallConnection(path)
    return [
        Operation("client_list", "Client list, first page with counts (list_clients)",
                  lambda: ct.list_clients(db, page_size=PAGE),
                  *both_floors(lambda con: raw_client_page(con)),
                  lambda: _pandas_client_page(path)),
        Operation("name_search", f"Client name search «{NAME_SEARCH}» (list_clients)",
                  lambda: ct.list_clients(db, search=NAME_SEARCH, page_size=PAGE),
                  *both_floors(lambda con: raw_client_page(con, NAME_SEARCH)),
                  lambda: _pandas_client_page(path, NAME_SEARCH)),
        Operation("client_cases", "Largest client's cases, first page (client_cases)",
                  lambda: ct.client_cases(db, client_id, page_size=CASES_PAGE),
                  *both_floors(lambda con: raw_case_page(con, "k.client_id = ?", [client_id], CASES_PAGE)),
                  lambda: _pandas_case_page(path, client_id=client_id, size=CASES_PAGE)),
        Operation("filter_client_status", "Portfolio filter: client and status (search_cases)",
                  lambda: ct.search_cases(db, ct.CaseFilter(client_ids=[client_id], status="activa")),
                  *both_floors(lambda con: raw_case_page(con, "k.client_id = ? AND k.status = 'activa'",
                                                            [client_id])),
                  lambda: _pandas_case_page(path, client_id=client_id, status="activa")),
        Operation("filter_text", f"Portfolio filter: free text «{FREE_TEXT}» (search_cases)",
                  lambda: ct.search_cases(db, ct.CaseFilter(text=FREE_TEXT)),
                  *both_floors(lambda con: raw_case_page(con, "k.search_text LIKE ? AND k.status = 'activa'",
                                                            [text])),
                  lambda: _pandas_case_page(path, status="activa", text=FREE_TEXT)),
        Operation("portfolio_summary", "Portfolio summary with ABC (portfolio_summary)",
                  lambda: ct.portfolio_summary(db),
                  *both_floors(lambda con: con.execute(portfolio.SUMMARY_SQL,
                                                       [portfolio.A_LIMIT, portfolio.B_LIMIT]).df()),
                  lambda: _pandas_summary(path)),
        Operation("importance_table", "Importance table with score (importance.importance_table)",
                  lambda: importance.importance_table(db),
                  # Both floors run the package's own SQL and pandas steps, on the kept
                  # connection or on a connection opened for the call.
                  lambda: importance.importance_table(kept),
                  lambda: importance.importance_table(per_call),
                  lambda: _pandas_importance(path)),
    ]


def _rows_and_total(result) -> tuple[pd.DataFrame, int | None]:
    """Split a result into its rows and its total: a page object, a floor frame with `total`, or a frame."""
    if hasattr(result, "rows") and hasattr(result, "total"):
        return result.rows.drop(columns=["tax_id_formatted"], errors="ignore"), int(result.total)
    if "total" in result.columns:
        total = int(result["total"].iloc[0]) if len(result) else 0
        return result.drop(columns=["total"]), total
    if result.index.name is not None:
        result = result.reset_index()
    return result, None


def check_floors(ops: list[Operation]) -> None:
    """Raise AssertionError unless both floors return the package's rows, columns and total for every operation.

    The package's formatted tax id is left out, because the floors do not format it.
    Numbers are compared by value, not by dtype (the floor's counts stay DuckDB's int64
    or float where the package casts them).
    """
    for op in ops:
        expected_rows, expected_total = _rows_and_total(op.package())
        for way in ("raw", "raw_per_call"):
            rows, total = _rows_and_total(getattr(op, way)())
            context = f"{op.name}: {way} floor differs from the package"
            assert list(rows.columns) == list(expected_rows.columns), (
                f"{context} in columns: {list(rows.columns)} != {list(expected_rows.columns)}")
            assert total == expected_total, f"{context} in total: {total} != {expected_total}"
            pd.testing.assert_frame_equal(rows.reset_index(drop=True), expected_rows.reset_index(drop=True),
                                          check_dtype=False, obj=context)
