"""The importance score: four normalised components, weighted by the firm, summed to 0-100 points.

Each component is normalised to 0-1 over the clients that pass the filters:

- active_cases: the client's active cases divided by the largest count of any client;
- amount: without exchange rates, each currency is normalised on its own (the client's
  active amount in that currency divided by the largest client's amount in it) and the
  client keeps its best currency, so pesos and dollars are never added. With `rates`
  (units of one reference currency per unit of each currency), amounts are converted,
  summed per client and divided by the largest client's total;
- recent_intake: cases opened in the last 12 months divided by the largest such count;
- seniority: days from the client's start (the earlier of `client_since` and its first
  case's opening date) to `as_of`, divided by the longest such span.

A component whose maximum is 0 is 0 for everyone. The points of a component are
100 * weight / (sum of weights) * normalised value, and the score is the sum of the
four points columns, so the contributions always add up to the score.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Mapping

import pandas as pd

from .errors import ValidationError
from .i18n import add_messages, t
from .importance import PER_CLIENT_CTE, ImportanceFilter, _default_currency, _window_sql, filtered_cases_sql

add_messages({
    "score.weight": {
        "es": "El peso «{name}» = «{value}» no es válido. Use un número mayor o igual a 0.",
        "en": "The weight '{name}' = '{value}' is not valid. Use a number greater than or equal to 0.",
    },
    "score.weights_zero": {
        "es": "Todos los pesos del puntaje son 0. Dé un peso mayor que 0 a al menos un componente.",
        "en": "All score weights are 0. Give at least one component a weight above 0.",
    },
    "score.rate": {
        "es": "El tipo de cambio de {currency} = «{value}» no es válido. Use un número mayor que 0.",
        "en": "The exchange rate for {currency} = '{value}' is not valid. Use a number above 0.",
    },
    "score.rate_missing": {
        "es": "Faltan tipos de cambio para: {currencies}. Indíquelos o deje los tipos de cambio vacíos "
        "para comparar cada moneda por separado.",
        "en": "Exchange rates are missing for: {currencies}. Give them, or leave the rates empty to "
        "compare each currency on its own.",
    },
})

COMPONENTS = ("active_cases", "amount", "recent_intake", "seniority")


@dataclass(frozen=True)
class ScoreWeights:
    """The firm's weights for the score components (any non-negative numbers; they are rescaled to sum 1).

    `rates` maps an ISO currency code to its value in one reference currency (for example
    {"CLP": 1, "USD": 950}); without it each currency is compared on its own.
    """

    active_cases: float = 0.4
    amount: float = 0.3
    recent_intake: float = 0.2
    seniority: float = 0.1
    rates: Mapping[str, float] | None = field(default=None, compare=False)

    @classmethod
    def from_setting(cls, text: str, *, rates: Mapping[str, float] | None = None) -> "ScoreWeights":
        """Build the weights from the firm's `score_weights` setting ('40,30,20,10')."""
        from .settings import parse_score_weights

        return cls(**parse_score_weights(text), rates=rates)

    @classmethod
    def for_firm(cls, db) -> "ScoreWeights":
        """Return the weights the firm saved in its settings."""
        from .settings import get_settings

        return cls.from_setting(get_settings(db)["score_weights"])

    def __post_init__(self) -> None:
        errors = {}
        for name in COMPONENTS:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
                errors[name] = t("score.weight", name=name, value=value)
        if errors:
            raise ValidationError(errors)
        if sum(getattr(self, name) for name in COMPONENTS) <= 0:
            raise ValidationError({"weights": t("score.weights_zero")})
        for currency, rate in (self.rates or {}).items():
            if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not math.isfinite(rate) or rate <= 0:
                raise ValidationError({"rates": t("score.rate", currency=currency, value=rate)})

    def shares(self) -> dict[str, float]:
        """Return each component's weight divided by the sum of the weights."""
        total = sum(getattr(self, name) for name in COMPONENTS)
        return {name: getattr(self, name) / total for name in COMPONENTS}


_AMOUNT_BY_CURRENCY = """amount_value AS (
    SELECT client_id, max(CASE WHEN currency_max > 0 THEN amount / currency_max ELSE 0 END) AS amount_norm
    FROM (SELECT *, max(amount) OVER (PARTITION BY currency) AS currency_max FROM amounts)
    GROUP BY client_id
)"""

_AMOUNT_CONVERTED = """rates AS (
    SELECT unnest(CAST(? AS VARCHAR[])) AS currency, unnest(CAST(? AS DOUBLE[])) AS rate
),
converted AS (
    SELECT a.client_id, sum(a.amount * r.rate) AS value
    FROM amounts a JOIN rates r ON r.currency = a.currency
    GROUP BY a.client_id
),
amount_value AS (
    SELECT client_id, CASE WHEN max(value) OVER () > 0 THEN value / max(value) OVER () ELSE 0 END AS amount_norm
    FROM converted
)"""


def _norm(column: str) -> str:
    return f"CASE WHEN max({column}) OVER () > 0 THEN {column} / max({column}) OVER () ELSE 0 END"


def importance_score(db, filters: ImportanceFilter | None = None, weights: ScoreWeights | None = None) -> pd.DataFrame:
    """Return one row per live client with each component (0-1), its points and the score (0-100).

    `weights` defaults to the firm's saved weights (setting `score_weights`).

    Indexed by client_id, ordered by score (ties by name). Columns: name, score_rank,
    <component>_norm and <component>_points for the four components, and score, which
    equals the sum of the points columns.
    """
    filters = filters or ImportanceFilter()
    weights = weights or ScoreWeights.for_firm(db)
    shares = weights.shares()
    with db.read() as con:
        filtered, params = filtered_cases_sql(filters, _default_currency(con))
        per_client, window_params = _window_sql(PER_CLIENT_CTE, filters)
        amounts = f"""amounts AS (
            SELECT f.client_id, f.currency, sum(f.amount) AS amount
            FROM filtered f JOIN clients c ON c.id = f.client_id AND c.deleted_at IS NULL
            WHERE f.status = 'activa' AND f.amount IS NOT NULL
            GROUP BY f.client_id, f.currency
        )"""

        amount_params: list = []
        if weights.rates is None:
            amount_sql = _AMOUNT_BY_CURRENCY
        else:
            currencies = [row[0] for row in con.execute(
                f"WITH {filtered}, {amounts} SELECT DISTINCT currency FROM amounts ORDER BY 1", params).fetchall()]
            missing = [currency for currency in currencies if currency not in weights.rates]
            if missing:
                raise ValidationError({"rates": t("score.rate_missing", currencies=", ".join(missing))})
            amount_sql = _AMOUNT_CONVERTED
            amount_params = [list(weights.rates), [float(rate) for rate in weights.rates.values()]]

        as_of = filters.reference_date
        sql = f"""
            WITH {filtered}, {per_client}, {amounts}, {amount_sql},
            components AS (
                SELECT p.client_id, p.name, p.active_cases, p.opened_last_12m,
                       coalesce(a.amount_norm, 0) AS amount_norm,
                       coalesce(greatest(date_diff('day', least(p.client_since, p.first_opened_on),
                                                   CAST(? AS DATE)), 0), 0) AS seniority_days
                FROM per_client p LEFT JOIN amount_value a ON a.client_id = p.client_id
            ),
            normalised AS (
                SELECT client_id, name,
                       {_norm('active_cases')} AS active_cases_norm,
                       amount_norm,
                       {_norm('opened_last_12m')} AS recent_intake_norm,
                       {_norm('seniority_days')} AS seniority_norm
                FROM components
            ),
            points AS (
                SELECT *,
                       100 * ? * active_cases_norm AS active_cases_points,
                       100 * ? * amount_norm AS amount_points,
                       100 * ? * recent_intake_norm AS recent_intake_points,
                       100 * ? * seniority_norm AS seniority_points
                FROM normalised
            )
            SELECT *,
                   active_cases_points + amount_points + recent_intake_points + seniority_points AS score
            FROM points
            ORDER BY score DESC, name COLLATE es, client_id
        """
        frame = con.execute(sql, [*params, *window_params, *amount_params, as_of,
                                  *(shares[name] for name in COMPONENTS)]).df()

    for column in frame.columns:
        if column.endswith(("_norm", "_points")) or column == "score":
            frame[column] = frame[column].astype("float64")
    frame["client_id"] = frame["client_id"].astype("int64")
    frame.insert(2, "score_rank", pd.Series(range(1, len(frame) + 1), index=frame.index, dtype="int64"))
    return frame.set_index("client_id")
