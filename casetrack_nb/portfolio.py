"""The portfolio summary: one row per client with its cases and its share of the active portfolio.

ABC classes follow the Pareto convention on active cases. Clients are ranked by active
cases, ties by name. A client is class A while the cumulative share of the clients
ranked before it is below 80 %, B while that share is below 95 %, and C after that.
So the client that crosses 80 % is still A. A client without active cases is always C.
"""

from __future__ import annotations

import pandas as pd

A_LIMIT = 0.80
B_LIMIT = 0.95

# Ranks the rows of a CTE named `per_client` (columns client_id, name, active_cases) by
# active cases, ties by name and then id. Shared by portfolio_summary and the importance
# module so that both apply one ABC rule. Bind A_LIMIT and B_LIMIT, in that order, after
# the parameters of the CTE itself.
RANKED_CTE = """ranked AS (
    SELECT *,
           sum(active_cases) OVER () AS portfolio_active,
           row_number() OVER (ORDER BY active_cases DESC, name COLLATE es, client_id) AS rank,
           sum(active_cases) OVER (ORDER BY active_cases DESC, name COLLATE es, client_id
                                   ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cumulative_active
    FROM per_client
)"""

# The columns computed from `ranked`: rank, active_share, cumulative_share and abc_class.
RANKED_COLUMNS = """rank,
       CASE WHEN portfolio_active > 0 THEN active_cases / portfolio_active ELSE 0 END AS active_share,
       CASE WHEN portfolio_active > 0 THEN cumulative_active / portfolio_active ELSE 0 END AS cumulative_share,
       CASE
           WHEN active_cases = 0 THEN 'C'
           WHEN (cumulative_active - active_cases) / portfolio_active < ? THEN 'A'
           WHEN (cumulative_active - active_cases) / portfolio_active < ? THEN 'B'
           ELSE 'C'
       END AS abc_class"""

SUMMARY_SQL = f"""
WITH per_client AS (
    SELECT c.id AS client_id, c.name, c.client_group,
           coalesce(k.active_cases, 0) AS active_cases,
           coalesce(k.total_cases - k.active_cases, 0) AS inactive_cases,
           coalesce(k.total_cases, 0) AS total_cases
    FROM clients c LEFT JOIN client_case_counts k ON k.client_id = c.id
    WHERE c.deleted_at IS NULL
),
{RANKED_CTE}
SELECT client_id, name, client_group, active_cases, inactive_cases, total_cases,
       {RANKED_COLUMNS}
FROM ranked
ORDER BY rank
"""


def portfolio_summary(db) -> pd.DataFrame:
    """Return one row per live client: active, inactive and total cases, share, cumulative share, ABC class.

    Computed in DuckDB; the DataFrame holds one row per client, never per case.
    """
    with db.read() as con:
        frame = con.execute(SUMMARY_SQL, [A_LIMIT, B_LIMIT]).df()
    for column in ("active_cases", "inactive_cases", "total_cases", "rank"):
        frame[column] = frame[column].astype("int64")
    for column in ("active_share", "cumulative_share"):
        frame[column] = frame[column].astype("float64")
    return frame.set_index("client_id")
