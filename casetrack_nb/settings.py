"""Firm-level settings: case label, default country, language and locale."""

from __future__ import annotations

import duckdb

from . import audit, permissions
from .errors import CasetrackError, ValidationError
from .i18n import LANGUAGES, t

CASE_LABEL_PRESETS = {
    "default": "Causas/Procesos/Casos/Expediente",
    "CL": "Causas",
    "CO": "Procesos",
    "EC": "Procesos",
    "MX": "Expedientes",
    "PE": "Expedientes",
    "AR": "Expedientes",
    "casos": "Casos",
}

DEFAULTS = {
    "case_label": CASE_LABEL_PRESETS["default"],
    "default_country": "CL",
    "language": "es",
    # Babel locale for numbers and dates: es_CL gives 1.234.567 and 31-12-2025.
    "locale": "es_CL",
    "default_currency": "CLP",
    # Importance score weights, in the order active cases, amount in dispute, recent
    # intake, seniority; any non-negative numbers, rescaled to add up to 100 %.
    "score_weights": "40,30,20,10",
}

SCORE_COMPONENTS = ("active_cases", "amount", "recent_intake", "seniority")


def parse_score_weights(text: str) -> dict[str, float]:
    """Parse '40,30,20,10' (or ';'-separated) into the four weights as shares that add up to 1."""
    parts = [part.strip() for part in str(text).replace(";", ",").split(",")]
    try:
        values = [float(part) for part in parts]
    except ValueError:
        values = []
    if len(values) != len(SCORE_COMPONENTS) or any(not value >= 0 for value in values) or sum(values) <= 0:
        raise ValidationError({"score_weights": t("val.score_weights", value=text)})
    total = sum(values)
    return {name: value / total for name, value in zip(SCORE_COMPONENTS, values)}


def rounded_percentages(shares: dict[str, float]) -> list[str]:
    """Round shares to hundredths of a percent that add up to 100 (largest remainder first): ['45.71', '54.29'].

    The Importancia dashboard shows each weight's share to a tenth, and hundredths keep
    that tenth when the saved weights are loaded again. Whole numbers stay whole ('40').
    """
    exact = [share * 10_000 for share in shares.values()]
    rounded = [int(value) for value in exact]
    by_remainder = sorted(range(len(exact)), key=lambda i: exact[i] - rounded[i], reverse=True)
    for index in by_remainder[: 10_000 - sum(rounded)]:
        rounded[index] += 1
    return [f"{hundredths / 100:g}" for hundredths in rounded]


def load(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Return all settings, defaults filled in."""
    stored = dict(con.execute("SELECT key, value FROM settings").fetchall())
    return {**DEFAULTS, **{k: v for k, v in stored.items() if k in DEFAULTS}}


def get_settings(db) -> dict[str, str]:
    with db.read() as con:
        return load(con)


def set_setting(db, key: str, value: str) -> dict[str, str]:
    """Change one setting (superadmin only); a case-label preset name is expanded."""
    from babel import Locale, UnknownLocaleError

    if key not in DEFAULTS:
        raise CasetrackError("setting.unknown", key=key, choices=", ".join(DEFAULTS))
    value = (value or "").strip()
    if key == "case_label":
        value = CASE_LABEL_PRESETS.get(value, value)
        if not value or len(value) > 60:
            raise ValidationError({key: t("val.required", field="case_label")})
    elif key == "language" and value not in LANGUAGES:
        raise ValidationError({key: t("val.choice", field=key, value=value, choices=", ".join(LANGUAGES))})
    elif key == "locale":
        try:
            Locale.parse(value)
        except (ValueError, UnknownLocaleError):
            raise ValidationError({key: t("val.choice", field=key, value=value, choices="es_CL, es_CO, es_MX, es_PE, es_AR, es_EC, en_US")}) from None
    elif key == "default_country":
        from .identifiers import COUNTRIES

        value = value.upper()
        if value not in COUNTRIES:
            raise ValidationError({key: t("val.choice", field=key, value=value, choices=", ".join(COUNTRIES))})
    elif key == "score_weights":
        # Whole percentages, so the dashboard's sliders (steps of 1 %) show exactly what is stored.
        value = ",".join(rounded_percentages(parse_score_weights(value)))
    elif key == "default_currency":
        from .values import parse_currency

        value = parse_currency(value, field=key, label=key) or DEFAULTS[key]

    with db.transaction() as con:
        permissions.require(con, db.user, "settings.write")
        before = load(con)
        con.execute(
            "INSERT INTO settings VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [key, value],
        )
        audit.record(con, actor=db.user, action="update", entity="setting", entity_id=key,
                     before={key: before[key]}, after={key: value})
        return load(con)
