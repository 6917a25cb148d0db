"""Numbers, percentages, money and dates formatted for the firm's locale with Babel.

Raw values stay numeric in DataFrames; these functions only produce display text.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

from babel import Locale
from babel.dates import format_date as _babel_date
from babel.numbers import format_currency, format_decimal, format_percent

DEFAULT_LOCALE = "es_CL"

# Currencies whose amounts are shown without decimals in everyday legal practice.
_NO_DECIMALS = {"CLP", "COP", "PYG", "ARS"}


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or str(value) in ("NaT", "<NA>")


def number(value: object, locale: str = DEFAULT_LOCALE, *, decimals: int = 0) -> str:
    """1234567 -> '1.234.567' in es_CL."""
    if _missing(value):
        return ""
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, format=pattern, locale=locale)


def percent(value: object, locale: str = DEFAULT_LOCALE, *, decimals: int = 1) -> str:
    """0.125 -> '12,5 %' in es_CL."""
    if _missing(value):
        return ""
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "") + " %"
    return format_percent(value, format=pattern, locale=locale)


def money(value: object, currency: str | None, locale: str = DEFAULT_LOCALE) -> str:
    """1250000, 'CLP' -> '$ 1.250.000'; other currencies keep their code or symbol."""
    if _missing(value):
        return ""
    if not currency:
        return number(value, locale, decimals=0 if Decimal(str(value)) == int(Decimal(str(value))) else 2)
    decimals = 0 if currency in _NO_DECIMALS else 2
    pattern = "¤ #,##0" + ("." + "0" * decimals if decimals else "")
    return format_currency(value, currency, format=pattern, locale=locale, currency_digits=False)


def date(value: object, locale: str = DEFAULT_LOCALE) -> str:
    """Format a date in the locale's short numeric form: '31-12-2025' in es_CL, '31/12/2025' in es_CO."""
    if _missing(value):
        return ""
    if hasattr(value, "to_pydatetime"):
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    return _babel_date(value, format=_numeric_date_pattern(locale), locale=locale)


def _numeric_date_pattern(locale: str) -> str:
    """Return the locale's short date pattern with a four-digit year ('dd-MM-yy' -> 'dd-MM-yyyy')."""
    pattern = Locale.parse(locale).date_formats["short"].pattern
    if "yyyy" not in pattern:
        pattern = pattern.replace("yy", "yyyy") if "yy" in pattern else pattern.replace("y", "yyyy")
    return pattern


def datetime(value: object, locale: str = DEFAULT_LOCALE) -> str:
    if _missing(value):
        return ""
    if hasattr(value, "to_pydatetime"):
        value = value.to_pydatetime()
    return f"{date(value, locale)} {value.strftime('%H:%M')}"


def country_name(code: str, language: str = "es") -> str:
    """Return the country's name in `language` from Babel's CLDR data ('CL' -> 'Chile'), else the code."""
    return Locale.parse(language).territories.get(code, code)
