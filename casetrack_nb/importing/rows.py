"""Turning the text columns of a Table into validated field values, one column at a time.

Dates and amounts get one format per column, chosen from all its values (or given by
the user), never a guess per row. Every other field goes through `clients.validate` /
`cases.validate`, called once per distinct value so that a million rows with a few
hundred courts validate a few hundred courts.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Callable, Mapping

import numpy as np
import pandas as pd

from .. import cases, clients
from ..errors import ValidationError
from ..i18n import t
from ..values import FieldError, case_number_key, fits_date_shape, name_key, parse_amount, search_key
from .mapping import field_label, tax_kind_for_header
from .reading import Table
from .report import ImportReport

# Tried in this order; the first format that reads every value of the column wins.
DATE_FORMATS = (
    "%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y/%m/%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d-%H:%M",
    "%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%Y %b %d %I:%M:%S %p", "%d/%m/%y", "%d-%m-%y",
)
DATE_FIELDS = {"client_since", "opened_on", "closed_on"}
AMOUNT_FIELDS = {"amount"}

_FORMAT_NAMES = {"%Y": "aaaa", "%m": "mm", "%d": "dd", "%y": "aa", "%H": "hh", "%M": "mi", "%S": "ss",
                 "%b": "mes", "%I": "hh", "%p": "AM/PM"}
# Case fields that are plain one-line text, with their maximum length.
_CASE_TEXT_LIMITS = {name: limit for name, _es, _en, kind, limit in cases.FIELDS if kind in ("required", "text")}
_HASH_BETWEEN_LETTERS = re.compile(r"[A-Za-zÁÉÍÓÚáéíóú]#[A-Za-zÁÉÍÓÚáéíóú]")


def format_name(fmt: str) -> str:
    """Return a strftime format the way a Spanish user writes it: '%d/%m/%Y' -> 'dd/mm/aaaa'."""
    for code, name in _FORMAT_NAMES.items():
        fmt = fmt.replace(code, name)
    return fmt


@dataclass
class Prepared:
    """Validated values per field (None where blank), aligned with the table's rows."""

    entity: str
    values: pd.DataFrame
    row_numbers: list[int]
    columns: dict[str, str]
    sources: list[str] = field(default_factory=list)


def _raw_columns(table: Table, entity: str, mapping: Mapping[str, str | None],
                 defaults: Mapping[str, str]) -> tuple[dict, dict]:
    raw: dict[str, pd.Series] = {}
    columns: dict[str, str] = {}
    for header, target in mapping.items():
        if target:
            raw[target] = table.frame[header]
            columns[target] = header
    for target, value in defaults.items():
        if target in raw:
            raw[target] = raw[target].where(raw[target].notna(), value)
        else:
            raw[target] = pd.Series([value] * len(table), index=table.frame.index, dtype=object)
            columns[target] = field_label(entity, target)
    return raw, columns


def choose_date_format(values: pd.Series) -> str | None:
    """Return the first known format that reads every non-blank value, else the one reading most."""
    present = values.dropna()
    if present.empty:
        return None
    sample = present.drop_duplicates()
    best, best_count = None, -1
    for fmt in DATE_FORMATS:
        parsed = pd.to_datetime(sample.str.strip(), format=fmt, errors="coerce")
        count = int(parsed.notna().sum())
        if count == len(sample):
            return fmt
        if count > best_count:
            best, best_count = fmt, count
    return best


def parse_date_column(values: pd.Series, fmt: str, *, column: str, numbers: list[int],
                      report: ImportReport) -> tuple[list, set[int]]:
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    outcomes = date_outcomes(pd.Series(uniques, dtype=object), fmt, column)
    return _validate_distinct(values, outcomes.__getitem__, column=column, numbers=numbers, report=report,
                              required=False)


def date_outcomes(uniques: pd.Series, fmt: str, column: str) -> dict:
    """Return raw text -> (date or None, error or None, None) for distinct non-blank dates in `fmt`."""
    parsed = pd.to_datetime(uniques.str.strip(), format=fmt, errors="coerce")

    def outcome(raw: str, stamp) -> tuple[object, str | None, None]:
        if (stamp is None or pd.isna(stamp)) and fits_date_shape(raw.strip(), fmt):
            return None, t("import.date_nonexistent", value=raw, column=column, format=format_name(fmt)), None
        if stamp is None or pd.isna(stamp):
            return None, t("import.date_format", value=raw, format=format_name(fmt), column=column), None
        if not 1800 <= stamp.year <= 2200:
            return None, t("import.date_range", value=raw), None
        return stamp.date(), None, None

    return {raw: outcome(raw, stamp) for raw, stamp in zip(uniques.tolist(), parsed.tolist())}


_AMOUNT_CLEAN = re.compile(r"[\s\u00a0$]|[A-Z]{3}")


def choose_amount_style(values: pd.Series, weights: list[int] | None = None) -> str | None:
    """Return 'comma' (1.234,56), 'dot' (1,234.56) or None when the values do not tell.

    Each value counts once, or `weights[i]` times when given (distinct values with the
    number of rows that hold them give the same answer as all the rows).
    """
    present = values.dropna()
    text = present.astype(str).str.upper().str.replace(_AMOUNT_CLEAN, "", regex=True)
    weight = pd.Series(weights, index=values.index, dtype="int64")[present.index] if weights is not None \
        else pd.Series(1, index=present.index, dtype="int64")
    comma = weight[text.str.contains(r",\d{1,2}$|\.\d{3},", regex=True)].sum()
    dot = weight[text.str.contains(r"\.\d{1,2}$|,\d{3}\.", regex=True)].sum()
    if comma > dot:
        return "comma"
    if dot > comma:
        return "dot"
    if text.str.contains(r"^\d{1,3}(?:,\d{3})+$", regex=True).any():
        return "dot"
    return "comma" if text.str.contains(",", regex=False).any() or text.str.contains(".", regex=False).any() else None


def parse_amount_text(text: str, style: str | None) -> Decimal | None:
    """Parse an amount written in the column's style; None if it does not follow it."""
    cleaned = _AMOUNT_CLEAN.sub("", text.upper())
    if not re.fullmatch(r"-?\d[\d.,]*", cleaned):
        return None
    thousands, decimal = (".", ",") if style in ("comma", None) else (",", ".")
    if thousands in cleaned and not re.fullmatch(r"-?\d{1,3}(\%s\d{3})+(\%s\d+)?" % (thousands, decimal), cleaned):
        return None
    if cleaned.count(decimal) > 1:
        return None
    try:
        return Decimal(cleaned.replace(thousands, "").replace(decimal, "."))
    except InvalidOperation:
        return None


def _validate_distinct(series: pd.Series, validate: Callable[[object], tuple[object, str | None, str | None]],
                       *, column: str, numbers: list[int], report: ImportReport, required: bool) -> tuple[list, set[int]]:
    """Validate each distinct value once; report errors and warnings on every row that has it."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    outcomes = [validate(raw) for raw in uniques]
    blank = validate(None) if required and (codes < 0).any() else (None, None, None)
    values = np.array([value for value, _, _ in outcomes] + [blank[0]], dtype=object)
    result = values[codes].tolist()  # code -1 (a blank cell) takes the last entry

    bad: set[int] = set()
    flagged = [code for code, (_, error, warning) in enumerate(outcomes) if error or warning]
    if blank[1] or blank[2]:
        flagged.append(-1)
    if flagged:
        raws = series.tolist()
        for position in np.flatnonzero(np.isin(codes, flagged)).tolist():
            _, error, warning = outcomes[codes[position]] if codes[position] >= 0 else blank
            if error:
                report.add(numbers[position], column, raws[position], error)
                bad.add(position)
            else:
                report.add(numbers[position], column, raws[position], warning, "warning")
    return result, bad


def quick_text(value: str, max_length: int) -> str | None | bool:
    """Clean `value` as `values.clean_text` does when that takes no Unicode work, else return False.

    A printable string in NFC has no control, format or separator characters but the
    ASCII space, so trimming and joining its space runs is all `clean_text` does to it.
    Returns None for a blank and False when the reference parser must decide (other
    characters, or too long, whose message it renders).
    """
    if not (value.isprintable() and unicodedata.is_normalized("NFC", value)):
        return False
    text = " ".join(value.split())
    if len(text) > max_length:
        return False
    return text or None


def _with_codes(check: Callable, codes: Mapping[str, str], column: str) -> Callable:
    """Return `check` for a column written as codes: each code becomes its value, and an error names the codes."""
    def coded(raw: object):
        value, error, warning = check(codes.get(raw.strip().upper(), raw) if isinstance(raw, str) else raw)
        if error is not None:
            error = t("import.code_unknown", value=raw, column=column, codes=", ".join(codes))
        return value, error, warning

    return coded


def _single(entity: str, name: str, default_country: str) -> Callable:
    limit = _CASE_TEXT_LIMITS.get(name) if entity == "causas" else None

    def check(raw: object):
        if limit is not None and isinstance(raw, str):
            quick = quick_text(raw, limit)
            if quick is not False and (quick is not None or name != "case_number"):
                return quick, None, None
        try:
            if entity == "clientes":
                values, warnings = clients.validate({name: raw}, default_country=default_country, partial=True)
                return values.get(name), None, warnings.get(name)
            return cases.validate({name: raw}, partial=True).get(name), None, None
        except ValidationError as error:
            return None, error.errors.get(name) or error.message, None
    return check


def prepare(table: Table, entity: str, mapping: Mapping[str, str | None], report: ImportReport, *,
            default_country: str, defaults: Mapping[str, str] | None = None,
            codes: Mapping[str, Mapping[str, str]] | None = None, date_formats: Mapping[str, str] | None = None,
            progress=None) -> Prepared:
    """Validate every mapped column; errors and warnings go to `report` by spreadsheet row.

    `codes` translates a field's codes (field -> {code: value}) before the checks.
    """
    numbers = table.row_numbers
    raw, columns = _raw_columns(table, entity, mapping, defaults or {})
    codes = codes or {}
    date_formats = dict(date_formats or {})
    parsed: dict[str, list] = {}
    steps = [name for name in raw if name not in ("tax_country", "tax_kind", "case_number_prefix")]
    bar = progress(total=len(steps), desc="Validando", unit="col") if progress else None

    if "case_number_prefix" in raw and "case_number" in raw:
        prefix, number = raw.pop("case_number_prefix"), raw["case_number"]
        joined = [f"{p.strip()}-{n.strip()}" if p is not None and n is not None else n
                  for p, n in zip(prefix.tolist(), number.tolist())]
        raw["case_number"] = pd.Series(joined, index=number.index, dtype=object)
    raw.pop("case_number_prefix", None)

    for name in list(raw):
        if name in ("tax_country", "tax_kind"):
            continue
        column = columns[name]
        series = raw[name]
        if name in DATE_FIELDS:
            fmt = date_formats.get(column) or choose_date_format(series)
            parsed[name], _ = parse_date_column(series, fmt, column=column, numbers=numbers, report=report) \
                if fmt else ([None] * len(series), set())
        elif name in AMOUNT_FIELDS:
            parsed[name] = _amount_column(series, column=column, numbers=numbers, report=report)
        elif name == "tax_id":
            parsed.update(_tax_columns(raw, columns, default_country, numbers, report))
        elif name in ("client_tax_id", "client_name"):
            parsed[name] = [None if value is None else " ".join(str(value).split()) for value in series.tolist()]
        else:
            required = name in ("name", "case_number")
            check = _single(entity, name, default_country)
            if name in codes:
                check = _with_codes(check, codes[name], column)
            parsed[name], _ = _validate_distinct(series, check, column=column, numbers=numbers, report=report,
                                                 required=required)
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()

    for name in ("tax_country", "tax_kind"):
        if name in raw and name not in parsed:
            parsed[name], _ = _validate_distinct(raw[name], _single(entity, name, default_country),
                                                 column=columns[name], numbers=numbers, report=report, required=False)

    values = pd.DataFrame(parsed, dtype=object)
    _cross_checks(entity, values, columns, numbers, report)
    return Prepared(entity, values, numbers, columns)


def _amount_column(series: pd.Series, *, column: str, numbers: list[int], report: ImportReport) -> list:
    check = _amount_check(choose_amount_style(series), column)
    result, _ = _validate_distinct(series, lambda raw: (*check(raw), None), column=column, numbers=numbers,
                                   report=report, required=False)
    return result


def _amount_check(style: str | None, column: str) -> Callable[[str], tuple[object, str | None]]:
    """Return check(raw) -> (amount or None, error or None) for amounts written in `style`."""
    def check(raw: str) -> tuple[object, str | None]:
        amount = parse_amount_text(str(raw), style)
        if amount is None:
            return None, t("import.amount_style", value=raw, column=column, style=t(f"import.style.{style or 'comma'}"))
        try:
            # What cases.validate does with an amount, without its per-call field loop.
            return parse_amount(amount, field="amount", label=cases.label("amount")), None
        except FieldError as error:
            return None, error.message
    return check


def _tax_columns(raw: dict, columns: dict, default_country: str, numbers: list[int], report: ImportReport) -> dict:
    """Validate (country, kind, id) triples; a 'CUIT' or 'NIT' header sets the country and kind."""
    implied = tax_kind_for_header(columns["tax_id"])
    ids = raw["tax_id"].tolist()
    countries = raw["tax_country"].tolist() if "tax_country" in raw else [None] * len(ids)
    kinds = raw["tax_kind"].tolist() if "tax_kind" in raw else [None] * len(ids)
    out = {"tax_id": [], "tax_country": [], "tax_kind": []}
    cache: dict[tuple, tuple] = {}
    for position, (typed, country, kind) in enumerate(zip(ids, countries, kinds)):
        if typed is None:
            for key in out:
                out[key].append(None)
            continue
        if country is None and kind is None and implied:
            country, kind = implied
        key = (typed, country, kind)
        if key not in cache:
            data = {"tax_id": typed, "tax_country": country, "tax_kind": kind}
            try:
                values, warnings = clients.validate({k: v for k, v in data.items() if v is not None},
                                                    default_country=default_country, partial=True)
                cache[key] = (values, None, warnings.get("tax_id"))
            except ValidationError as error:
                cache[key] = (None, " ".join(error.errors.values()), None)
        values, error, warning = cache[key]
        if error:
            report.add(numbers[position], columns["tax_id"], typed, error)
            values = {}
        elif warning:
            report.add(numbers[position], columns["tax_id"], typed, warning, "warning")
        for name in out:
            out[name].append(values.get(name))
    return out


def _cross_checks(entity: str, values: pd.DataFrame, columns: dict, numbers: list[int], report: ImportReport) -> None:
    if entity == "causas":
        if "opened_on" in values and "closed_on" in values:
            for position, (opened, closed) in enumerate(zip(values["opened_on"], values["closed_on"])):
                if opened and closed and closed < opened:
                    report.add(numbers[position], columns["closed_on"], closed.strftime("%d-%m-%Y"),
                               t("val.date_order", opened=opened.strftime("%d-%m-%Y"), closed=closed.strftime("%d-%m-%Y")))
        if "currency" in values:
            amounts = values["amount"] if "amount" in values else [None] * len(values)
            for position, (amount, currency) in enumerate(zip(amounts, values["currency"])):
                if currency and amount is None:
                    report.add(numbers[position], columns["currency"], currency,
                               t("val.currency_without_amount", value=currency))
    elif "name" in values:
        column = columns["name"]
        for position, name in enumerate(values["name"]):
            if name and _HASH_BETWEEN_LETTERS.search(name):
                report.add(numbers[position], column, name, t("import.hash_for_enye", value=name), "warning")


def derived_keys(entity: str, values: pd.DataFrame) -> pd.DataFrame:
    """Add name_key (clients) or case_number_key (cases) for matching."""
    values = values.copy()
    if entity == "clientes":
        values["name_key"] = [name_key(name) if name else None for name in values["name"]]
    else:
        values["case_number_key"] = [quick_case_number_key(number) if number else None
                                     for number in values["case_number"]]
    return values


_NOT_KEY_CHARACTER = re.compile(r"[^0-9A-Z]")


def quick_case_number_key(number: str) -> str:
    """Return `values.case_number_key(number)`, skipping the accent folding for ASCII text."""
    if number.isascii():
        return _NOT_KEY_CHARACTER.sub("", number.upper())
    return case_number_key(number)


def quick_search_key(text: str | None) -> str:
    """Return `values.search_key(text)`, skipping the accent folding for ASCII text."""
    if text and text.isascii():
        return " ".join(text.lower().split())
    return search_key(text)
