"""Client importance: who carries the firm's active portfolio, computed in DuckDB.

Every function runs its aggregation in DuckDB and returns one row per client, group,
currency or month, never one row per case. The definitions, which docs/importancia.md
explains for users:

- Shares are of the active cases linked to a live client. Active cases without a client
  are reported apart (`unassigned_active_cases`) and are in no share.
- Ranking and ABC classes come from `portfolio.RANKED_CTE`: clients ordered by active
  cases (ties by name, then id). A client is A while the cumulative share of the clients
  before it is below 80 %, B while it is below 95 %, else C, so the client that crosses
  80 % is still A. A client without active cases is always C.
- Intake windows end at `as_of` (today by default): the last 12 months are the opening
  dates in (as_of - 12 months, as_of], the 12 months before are (as_of - 24 months,
  as_of - 12 months]. Cases without an opening date fall in neither window.
- Amounts in dispute are sums of `amount` over active cases, per currency, never across
  currencies. An amount stored without a currency counts in the firm's default currency.
- The filters restrict the cases (matter, court, responsible lawyer, opening-date range)
  before anything is counted. A date range leaves out cases without an opening date.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from typing import Iterable, Sequence

import openpyxl
import pandas as pd

from . import exporting, settings
from .cases import CaseFilter
from .errors import ValidationError
from .i18n import add_messages, get_language, t
from .portfolio import A_LIMIT, B_LIMIT, RANKED_COLUMNS, RANKED_CTE

add_messages({
    "imp.date_order": {
        "es": "La fecha «desde» ({start}) es posterior a la fecha «hasta» ({end}). Corrija una de las dos.",
        "en": "The 'from' date ({start}) is after the 'to' date ({end}). Correct one of them.",
    },
    "imp.sheet": {"es": "Importancia", "en": "Importance"},
    "imp.months": {
        "es": "El número de meses «{value}» no es válido. Use un entero entre 1 y 120.",
        "en": "The number of months '{value}' is not valid. Use a whole number from 1 to 120.",
    },
})

# Number of months in each intake window.
WINDOW_MONTHS = 12

# Spanish and English column headers for display and exports, by DataFrame column. The
# firm's case label may be masculine or feminine ("Procesos", "Causas"), so the Spanish
# headers name the status («en estado Activa») and never an adjective that agrees with it.
COLUMN_LABELS: dict[str, tuple[str, str]] = {
    "client_id": ("ID cliente", "Client id"),
    "group_key": ("Clave de grupo", "Group key"),
    "is_group": ("Es grupo", "Is a group"),
    "rank": ("N.º", "No."),
    "name": ("Cliente", "Client"),
    "group_name": ("Grupo o cliente", "Group or client"),
    "client_group": ("Grupo (holding)", "Group (holding)"),
    "clients": ("Clientes", "Clients"),
    "active_cases": ("En estado Activa", "Active"),
    "inactive_cases": ("En estado Inactiva", "Inactive"),
    "total_cases": ("Total", "Total"),
    "active_share": ("Participación", "Share"),
    "cumulative_share": ("Participación acumulada", "Cumulative share"),
    "abc_class": ("Clase ABC", "ABC class"),
    "opened_last_12m": ("Ingresos últimos 12 meses", "Opened last 12 months"),
    "opened_prior_12m": ("Ingresos 12 meses anteriores", "Opened prior 12 months"),
    "intake_change": ("Variación de ingresos", "Intake change"),
    "intake_change_ratio": ("Variación de ingresos (%)", "Intake change (%)"),
    "first_opened_on": ("Primera fecha de inicio", "First opened on"),
    "last_opened_on": ("Última fecha de inicio", "Last opened on"),
    "active_without_amount": ("En estado Activa sin cuantía", "Active without amount"),
    "score": ("Puntaje", "Score"),
    "active_cases_points": ("Puntos por cantidad en estado Activa", "Points for active cases"),
    "amount_points": ("Puntos por cuantía", "Points for amount"),
    "recent_intake_points": ("Puntos por ingresos recientes", "Points for recent intake"),
    "seniority_points": ("Puntos por antigüedad", "Points for seniority"),
}

AMOUNT_PREFIX = "active_amount_"


def column_label(column: str) -> str:
    """Return the header for a DataFrame column in the current language ('active_amount_CLP' -> 'Cuantía CLP')."""
    if column.startswith(AMOUNT_PREFIX):
        word = "Amount" if get_language() == "en" else "Cuantía"
        return f"{word} {column[len(AMOUNT_PREFIX):]}"
    labels = COLUMN_LABELS.get(column)
    if labels is None:
        return column
    return labels[1] if get_language() == "en" else labels[0]


@dataclass
class ImportanceFilter:
    """Which cases the importance figures count; every field is optional and they combine with AND.

    `as_of` is the end of the 12-month intake windows (today when None); it does not
    change which cases count as active, since the status is today's.
    """

    matters: Sequence[str] = ()
    courts: Sequence[str] = ()
    lawyers: Sequence[str] = ()
    opened_from: dt.date | None = None
    opened_to: dt.date | None = None
    as_of: dt.date | None = None

    def __post_init__(self) -> None:
        if self.opened_from and self.opened_to and self.opened_from > self.opened_to:
            raise ValidationError({"opened_to": t("imp.date_order", start=self.opened_from.strftime("%d-%m-%Y"),
                                                  end=self.opened_to.strftime("%d-%m-%Y"))})

    @property
    def reference_date(self) -> dt.date:
        return self.as_of or dt.date.today()

    def where(self) -> tuple[str, list]:
        """Return the SQL condition on cases `k` and its parameters, built by `CaseFilter`."""
        case_filter = CaseFilter(status=None, matters=list(self.matters), courts=list(self.courts),
                                 lawyers=list(self.lawyers), opened_from=self.opened_from,
                                 opened_to=self.opened_to)
        return case_filter.where()

    def windows(self) -> tuple[dt.date, dt.date, dt.date]:
        """Return (prior_start, window_start, as_of): the bounds of the two intake windows."""
        as_of = pd.Timestamp(self.reference_date)
        window_start = (as_of - pd.DateOffset(months=WINDOW_MONTHS)).date()
        prior_start = (as_of - pd.DateOffset(months=2 * WINDOW_MONTHS)).date()
        return prior_start, window_start, as_of.date()


def filtered_cases_sql(filters: ImportanceFilter, default_currency: str) -> tuple[str, list]:
    """Return the `filtered` CTE (the cases that pass the filters) and its parameters."""
    where, params = filters.where()
    sql = (
        "filtered AS (SELECT k.id, k.client_id, k.status, k.opened_on, k.amount,"
        " coalesce(k.currency, ?) AS currency FROM cases k WHERE " + where + ")"
    )
    return sql, [default_currency, *params]


# Per-client counts over `filtered`; parameters: the three window bounds, as in `windows()`.
# The intake and date columns that the client and the group rankings both select from `ranked`.
INTAKE_COLUMNS = """opened_last_12m, opened_prior_12m, opened_last_12m - opened_prior_12m AS intake_change,
    CASE WHEN opened_prior_12m > 0
         THEN (opened_last_12m - opened_prior_12m) / opened_prior_12m END AS intake_change_ratio,
    first_opened_on, last_opened_on, active_without_amount"""

PER_CLIENT_CTE = """per_client AS (
    SELECT c.id AS client_id, c.name, c.client_group, c.client_since,
           count(f.id) FILTER (f.status = 'activa') AS active_cases,
           count(f.id) FILTER (f.status = 'inactiva') AS inactive_cases,
           count(f.id) AS total_cases,
           count(f.id) FILTER (f.opened_on > $window_start AND f.opened_on <= $as_of) AS opened_last_12m,
           count(f.id) FILTER (f.opened_on > $prior_start AND f.opened_on <= $window_start) AS opened_prior_12m,
           count(f.id) FILTER (f.status = 'activa' AND f.amount IS NULL) AS active_without_amount,
           min(f.opened_on) AS first_opened_on,
           max(f.opened_on) AS last_opened_on
    FROM clients c LEFT JOIN filtered f ON f.client_id = c.id
    WHERE c.deleted_at IS NULL
    GROUP BY c.id, c.name, c.client_group, c.client_since
)"""


def _window_sql(sql: str, filters: ImportanceFilter) -> tuple[str, list]:
    """Replace the window placeholders of `sql` with positional markers and return their values."""
    prior_start, window_start, as_of = filters.windows()
    values = {"$prior_start": prior_start, "$window_start": window_start, "$as_of": as_of}
    params = []
    pieces = []
    rest = sql
    while True:
        found = [(rest.find(name), name) for name in values if rest.find(name) >= 0]
        if not found:
            pieces.append(rest)
            break
        position, name = min(found)
        pieces.append(rest[:position] + "CAST(? AS DATE)")
        params.append(values[name])
        rest = rest[position + len(name):]
    return "".join(pieces), params


def _default_currency(con) -> str:
    return settings.load(con)["default_currency"]


CLIENT_COLUMNS = (
    "rank", "name", "client_group", "active_cases", "inactive_cases", "total_cases", "active_share",
    "cumulative_share", "abc_class", "opened_last_12m", "opened_prior_12m", "intake_change",
    "intake_change_ratio", "first_opened_on", "last_opened_on", "active_without_amount",
)
_INT_COLUMNS = ("rank", "clients", "active_cases", "inactive_cases", "total_cases", "opened_last_12m",
                "opened_prior_12m", "intake_change", "active_without_amount")
_FLOAT_COLUMNS = ("active_share", "cumulative_share", "intake_change_ratio")
_DATE_COLUMNS = ("first_opened_on", "last_opened_on")


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    """Give the columns fixed dtypes, so an empty result has the same types as a full one."""
    for column in frame.columns:
        if column in _INT_COLUMNS:
            frame[column] = frame[column].astype("int64")
        elif column in _FLOAT_COLUMNS:
            frame[column] = frame[column].astype("float64")
        elif column in _DATE_COLUMNS:
            frame[column] = pd.to_datetime(frame[column]).astype("datetime64[us]")
    return frame


def client_importance(db, filters: ImportanceFilter | None = None) -> pd.DataFrame:
    """Return one row per live client, ranked: cases, shares, ABC class, intake and case dates.

    Indexed by client_id and ordered by rank. Amounts are in `amounts_by_client`, and
    `importance_table` joins everything with the score.
    """
    filters = filters or ImportanceFilter()
    with db.read() as con:
        filtered, params = filtered_cases_sql(filters, _default_currency(con))
        per_client, window_params = _window_sql(PER_CLIENT_CTE, filters)
        sql = f"""
            WITH {filtered}, {per_client}, {RANKED_CTE}
            SELECT client_id, name, client_group, active_cases, inactive_cases, total_cases,
                   {RANKED_COLUMNS},
                   {INTAKE_COLUMNS}
            FROM ranked
            ORDER BY rank
        """
        frame = con.execute(sql, [*params, *window_params, A_LIMIT, B_LIMIT]).df()
    frame = frame.set_index("client_id")[list(CLIENT_COLUMNS)]
    return _clean_text(_typed(frame), ("client_group",))


def _clean_text(frame: pd.DataFrame, nullable: Iterable[str]) -> pd.DataFrame:
    for column in nullable:
        frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    return frame


def amounts_by_client(db, filters: ImportanceFilter | None = None) -> pd.DataFrame:
    """Return the amount in dispute of active cases: one row per client and currency (tidy).

    Columns: client_id, name, currency, amount, cases (active cases with an amount in
    that currency). Pivot with `frame.pivot(index="client_id", columns="currency", values="amount")`.
    """
    filters = filters or ImportanceFilter()
    with db.read() as con:
        filtered, params = filtered_cases_sql(filters, _default_currency(con))
        frame = con.execute(
            f"""
            WITH {filtered}
            SELECT c.id AS client_id, c.name, f.currency, sum(f.amount) AS amount, count(*) AS cases
            FROM filtered f JOIN clients c ON c.id = f.client_id AND c.deleted_at IS NULL
            WHERE f.status = 'activa' AND f.amount IS NOT NULL
            GROUP BY c.id, c.name, f.currency
            ORDER BY f.currency, amount DESC, c.id
            """,
            params,
        ).df()
    frame["client_id"] = frame["client_id"].astype("int64")
    frame["amount"] = frame["amount"].astype("float64")
    frame["cases"] = frame["cases"].astype("int64")
    return frame


def _wide_amounts(amounts: pd.DataFrame, key: str, index: pd.Index) -> pd.DataFrame:
    """Pivot the tidy amounts to one `active_amount_<currency>` column per currency, 0 where none."""
    if amounts.empty:
        return pd.DataFrame(index=index)
    wide = amounts.pivot_table(index=key, columns="currency", values="amount", aggfunc="sum")
    wide.columns = [f"{AMOUNT_PREFIX}{currency}" for currency in wide.columns]
    return wide.reindex(index).fillna(0.0).astype("float64")


def importance_table(db, filters: ImportanceFilter | None = None, weights=None) -> pd.DataFrame:
    """Return the ranking: `client_importance`, one amount column per currency and the score.

    The score columns (`score` and the four `*_points`) come from `importance_score`
    with `weights` (the firm's saved weights, setting `score_weights`, when None).
    """
    from .scoring import importance_score

    filters = filters or ImportanceFilter()
    clients = client_importance(db, filters)
    amounts = _wide_amounts(amounts_by_client(db, filters), "client_id", clients.index)
    score = importance_score(db, filters, weights)
    points = ["score", *(column for column in score.columns if column.endswith("_points"))]
    return clients.join(amounts).join(score[points])


# Clients roll up by their `client_group` ignoring case, accents and spacing, so "Grupo
# Andino" and "grupo  andino" are one holding, shown under the smallest of its spellings
# in byte order (capitalised spellings first). A client without a group is its own row (group_key 'cliente:<id>'),
# because lumping every ungrouped client under one "Sin grupo" row would invent a large
# holding and distort the shares, ABC and HHI.
CANONICAL_GROUP_CTE = """
canonical_group AS (
    SELECT id,
           min(client_group) OVER (
               PARTITION BY lower(strip_accents(regexp_replace(trim(client_group), '\\s+', ' ', 'g')))
           ) AS client_group
    FROM clients
    WHERE deleted_at IS NULL AND client_group IS NOT NULL AND trim(client_group) <> ''
)"""


def group_importance(db, filters: ImportanceFilter | None = None) -> pd.DataFrame:
    """Return the ranking rolled up by client group (holding), with one amount column per currency.

    Indexed by group_key: 'grupo:<name>' for a group, 'cliente:<id>' for a client without
    a group, which stands as its own row. Same columns and ABC rule as the client ranking,
    plus `clients` (how many clients the row holds) and `is_group`.
    """
    filters = filters or ImportanceFilter()
    with db.read() as con:
        filtered, params = filtered_cases_sql(filters, _default_currency(con))
        per_client, window_params = _window_sql(PER_CLIENT_CTE, filters)
        ranked = RANKED_CTE.replace("FROM per_client", "FROM groups_as_rows")
        sql = f"""
            WITH {filtered}, {per_client}, {CANONICAL_GROUP_CTE},
            per_group AS (
                SELECT CASE WHEN g.client_group IS NULL THEN 'cliente:' || p.client_id
                            ELSE 'grupo:' || g.client_group END AS group_key,
                       any_value(coalesce(g.client_group, p.name)) AS group_name,
                       bool_or(g.client_group IS NOT NULL) AS is_group,
                       count(*) AS clients,
                       min(client_id) AS first_client_id,
                       sum(active_cases) AS active_cases,
                       sum(inactive_cases) AS inactive_cases,
                       sum(total_cases) AS total_cases,
                       sum(opened_last_12m) AS opened_last_12m,
                       sum(opened_prior_12m) AS opened_prior_12m,
                       sum(active_without_amount) AS active_without_amount,
                       min(first_opened_on) AS first_opened_on,
                       max(last_opened_on) AS last_opened_on
                FROM per_client p LEFT JOIN canonical_group g ON g.id = p.client_id
                GROUP BY 1
            ),
            -- The shared ranking expects client_id and name: the group's first client breaks ties.
            groups_as_rows AS (SELECT *, first_client_id AS client_id, group_name AS name FROM per_group),
            {ranked}
            SELECT group_key, group_name, is_group, clients, active_cases, inactive_cases, total_cases,
                   {RANKED_COLUMNS},
                   {INTAKE_COLUMNS}
            FROM ranked
            ORDER BY rank
        """
        frame = con.execute(sql, [*params, *window_params, A_LIMIT, B_LIMIT]).df()

        amounts = con.execute(
            f"""
            WITH {filtered}, {CANONICAL_GROUP_CTE}
            SELECT CASE WHEN g.client_group IS NULL THEN 'cliente:' || c.id
                        ELSE 'grupo:' || g.client_group END AS group_key,
                   f.currency, sum(f.amount) AS amount
            FROM filtered f JOIN clients c ON c.id = f.client_id AND c.deleted_at IS NULL
            LEFT JOIN canonical_group g ON g.id = c.id
            WHERE f.status = 'activa' AND f.amount IS NOT NULL
            GROUP BY 1, 2
            """,
            params,
        ).df()

    frame["is_group"] = frame["is_group"].astype("bool")
    frame = _typed(frame.set_index("group_key"))
    amounts["amount"] = amounts["amount"].astype("float64")
    return frame.join(_wide_amounts(amounts, "group_key", frame.index))


def portfolio_concentration(db, filters: ImportanceFilter | None = None) -> pd.Series:
    """Return the portfolio's concentration figures as a Series indexed by figure name.

    - clients_with_active_cases, active_cases (linked to a live client), unassigned_active_cases;
    - top1_share, top5_share, top10_share: share of the active cases held by the 1, 5 and
      10 clients with most active cases (0 when there are none);
    - hhi: Herfindahl-Hirschman index of the clients' shares in percent, on the 0-10,000
      scale competition authorities use (10,000 = one client holds everything); hhi_unit
      is the same on 0-1; effective_clients is 1 / hhi_unit. All three are NaN when no
      client has active cases.
    """
    filters = filters or ImportanceFilter()
    with db.read() as con:
        filtered, params = filtered_cases_sql(filters, _default_currency(con))
        row = con.execute(
            f"""
            WITH {filtered},
            per_client AS (
                SELECT f.client_id, count(*) AS active_cases
                FROM filtered f JOIN clients c ON c.id = f.client_id AND c.deleted_at IS NULL
                WHERE f.status = 'activa'
                GROUP BY f.client_id
            ),
            ranked AS (
                SELECT active_cases, sum(active_cases) OVER () AS total,
                       row_number() OVER (ORDER BY active_cases DESC, client_id) AS rank
                FROM per_client
            )
            SELECT count(*) AS clients_with_active_cases,
                   coalesce(sum(active_cases), 0) AS active_cases,
                   (SELECT count(*) FROM filtered WHERE status = 'activa' AND client_id IS NULL)
                       AS unassigned_active_cases,
                   coalesce(sum(active_cases / total) FILTER (rank <= 1), 0) AS top1_share,
                   coalesce(sum(active_cases / total) FILTER (rank <= 5), 0) AS top5_share,
                   coalesce(sum(active_cases / total) FILTER (rank <= 10), 0) AS top10_share,
                   sum(power(100.0 * active_cases / total, 2)) AS hhi
            FROM ranked
            """,
            params,
        ).fetchone()

    names = ("clients_with_active_cases", "active_cases", "unassigned_active_cases",
             "top1_share", "top5_share", "top10_share", "hhi")
    figures = dict(zip(names, row))
    hhi = float(figures["hhi"]) if figures["hhi"] is not None else float("nan")
    result = {
        "clients_with_active_cases": int(figures["clients_with_active_cases"]),
        "active_cases": int(figures["active_cases"]),
        "unassigned_active_cases": int(figures["unassigned_active_cases"]),
        "top1_share": float(figures["top1_share"]),
        "top5_share": float(figures["top5_share"]),
        "top10_share": float(figures["top10_share"]),
        "hhi": hhi,
        "hhi_unit": hhi / 10_000,
        "effective_clients": 10_000 / hhi if hhi > 0 else float("nan"),
    }
    return pd.Series(result, dtype=object, name="valor")


def monthly_intake(db, client_ids: Iterable[int], filters: ImportanceFilter | None = None, *,
                   months: int = 24) -> pd.DataFrame:
    """Return cases opened per month for the given clients: one row per client and month, zeros included.

    The months are the `months` calendar months ending with the month of `as_of`.
    Columns: month (first day, datetime64), client_id, name, cases_opened.
    """
    filters = filters or ImportanceFilter()
    if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= 120:
        raise ValidationError({"months": t("imp.months", value=months)})
    ids = [int(client_id) for client_id in client_ids]
    last_month = filters.reference_date.replace(day=1)
    first_month = (pd.Timestamp(last_month) - pd.DateOffset(months=months - 1)).date()
    with db.read() as con:
        filtered, params = filtered_cases_sql(filters, _default_currency(con))
        frame = con.execute(
            f"""
            WITH {filtered},
            months AS (
                SELECT CAST(unnest(generate_series(CAST(? AS DATE), CAST(? AS DATE), INTERVAL 1 MONTH)) AS DATE) AS month
            ),
            picked AS (
                SELECT id AS client_id, name FROM clients
                WHERE deleted_at IS NULL AND id IN (SELECT unnest(CAST(? AS INTEGER[])))
            ),
            opened AS (
                SELECT f.client_id, CAST(date_trunc('month', f.opened_on) AS DATE) AS month, count(*) AS cases_opened
                FROM filtered f
                WHERE f.client_id IN (SELECT client_id FROM picked)
                  AND f.opened_on >= CAST(? AS DATE) AND f.opened_on <= CAST(? AS DATE)
                GROUP BY ALL
            )
            SELECT m.month, p.client_id, p.name, coalesce(o.cases_opened, 0) AS cases_opened
            FROM picked p CROSS JOIN months m
            LEFT JOIN opened o ON o.client_id = p.client_id AND o.month = m.month
            ORDER BY p.client_id, m.month
            """,
            [*params, first_month, last_month, ids, first_month, filters.reference_date],
        ).df()
    frame["month"] = pd.to_datetime(frame["month"]).astype("datetime64[us]")
    frame["client_id"] = frame["client_id"].astype("int64")
    frame["cases_opened"] = frame["cases_opened"].astype("int64")
    return frame


# Excel number formats of the ranking export, by DataFrame column. Excel shows them with
# the reader's own separators, so "#,##0" reads 1.234.567 in a Spanish Excel.
SHARE_FORMAT = "0.0 %"
SCORE_FORMAT = "0.0"
AMOUNT_FORMAT = "#,##0"
DATE_FORMAT = "dd-mm-yyyy"


def _xlsx_format(column: str) -> str | None:
    """Return the Excel number format for a ranking column, or None to keep 'General'."""
    if column in _FLOAT_COLUMNS:
        return SHARE_FORMAT
    if column == "score" or column.endswith("_points"):
        return SCORE_FORMAT
    if column.startswith(AMOUNT_PREFIX) or (column in _INT_COLUMNS and column != "rank"):
        # Amounts show whole units; the cell keeps the exact value, cents included.
        return AMOUNT_FORMAT
    if column in _DATE_COLUMNS:
        return DATE_FORMAT
    return None


def ranking_xlsx(ranking: pd.DataFrame) -> bytes:
    """Return the ranking as XLSX: headers in the current language, shares as percentages,
    scores with one decimal, amounts and counts with thousands separators, dates as dates.

    Text cells are neutralised by `exporting.to_xlsx_bytes`, so they cannot run as formulas.
    """
    frame = ranking.reset_index()
    formats = [_xlsx_format(column) for column in frame.columns]
    content = exporting.to_xlsx_bytes(frame.rename(columns=column_label), sheet_name=t("imp.sheet"))

    workbook = openpyxl.load_workbook(io.BytesIO(content))
    sheet = workbook.worksheets[0]
    for number, number_format in enumerate(formats, start=1):
        if number_format is None:
            continue
        for (cell,) in sheet.iter_rows(min_row=2, min_col=number, max_col=number):
            cell.number_format = number_format
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
