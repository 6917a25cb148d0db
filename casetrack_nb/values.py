"""Parsing and normalising the values users type: text, keys, dates, amounts, currencies.

Each parser takes the field's label (for the message) and raises `FieldError` with a
rendered Spanish or English message naming the value and what to do.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from babel.numbers import list_currencies

from .i18n import t


class FieldError(ValueError):
    """A single field's value is invalid; `field` is its name, `message` the rendered text."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(message)


# Bidirectional overrides and isolates can make a name display differently from what it
# stores (a classic spoofing trick), so they are rejected along with control characters.
_BIDI_CONTROLS = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))}
_ZERO_WIDTH = {"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"}

_SPACE_RUN = re.compile(r"\s+")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

# Legal-form spellings folded together for duplicate detection. The keys are the token
# sequences left after punctuation is removed and single letters are joined
# ("S. A." -> "sa", "S.p.A." -> "spa").
_LEGAL_FORMS = {
    ("sociedad", "anonima"): "sa",
    ("sociedad", "anonima", "cerrada"): "sac",
    ("sociedad", "anonima", "abierta"): "saa",
    ("sociedad", "por", "acciones"): "spa",
    ("sociedad", "por", "acciones", "simplificada"): "sas",
    ("sociedad", "de", "responsabilidad", "limitada"): "srl",
    ("limitada",): "ltda",
    ("limitado",): "ltda",
    ("limited",): "ltda",
    ("ltd",): "ltda",
    ("ltda",): "ltda",
    ("sa",): "sa",
    ("sau",): "sa",
    ("spa",): "spa",
    ("sas",): "sas",
    ("srl",): "srl",
    ("sac",): "sac",
    ("saa",): "saa",
    ("eirl",): "eirl",
    ("sa", "de", "cv"): "sa",
    ("sapi", "de", "cv"): "sa",
    ("s", "de", "rl", "de", "cv"): "srl",
    ("cia",): "cia",
    ("compania",): "cia",
    ("y", "cia"): "cia",
    ("inc",): "inc",
    ("llc",): "llc",
}
_MAX_FORM_TOKENS = max(len(key) for key in _LEGAL_FORMS)

CURRENCIES = frozenset(list_currencies())


def is_missing(value: object) -> bool:
    """Return True for None and the missing-value markers of floats and pandas (NaN, NA, NaT)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return True
    # pandas.NA and pandas.NaT, checked by type name so this module does not import pandas.
    return type(value).__name__ in ("NAType", "NaTType")


def strip_accents(text: str) -> str:
    """Remove combining marks: 'Peñalolén' -> 'Penalolen'."""
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def search_key(text: str | None) -> str:
    """Return the lowercase, accent-free, single-spaced form used for searching."""
    if not text:
        return ""
    return _SPACE_RUN.sub(" ", strip_accents(text).lower()).strip()


def name_key(name: str) -> str:
    """Return the key under which two client names count as the same.

    Folds case, accents, punctuation, spacing and the spelling of a trailing legal
    form, and then drops that form: 'Minera Ñuble S.A.', 'MINERA NUBLE SA' and
    'Minera Ñuble Sociedad Anónima' share one key.
    """
    plain = search_key(name)
    plain = re.sub(r"[^\w\s]", " ", plain).replace("_", " ")
    tokens = plain.split()

    # Join runs of single letters: "s a" -> "sa", "s p a" -> "spa".
    merged: list[str] = []
    run: list[str] = []
    for token in tokens:
        if len(token) == 1 and token.isalpha():
            run.append(token)
            continue
        if run:
            merged.append("".join(run))
            run = []
        merged.append(token)
    if run:
        merged.append("".join(run))

    # Drop trailing legal forms (possibly several: "Cia Ltda").
    changed = True
    while changed and len(merged) > 1:
        changed = False
        for size in range(min(_MAX_FORM_TOKENS, len(merged) - 1), 0, -1):
            if tuple(merged[-size:]) in _LEGAL_FORMS:
                merged = merged[:-size]
                changed = True
                break
    return " ".join(merged)


def case_number_key(number: str) -> str:
    """Return the case number without separators or case: 'C-1234-2024' -> 'C12342024'."""
    return re.sub(r"[^0-9A-Z]", "", strip_accents(number).upper())


def clean_text(
    value: object,
    *,
    field: str,
    label: str,
    max_length: int = 500,
    required: bool = False,
    multiline: bool = False,
) -> str | None:
    """Validate free text: NFC, trimmed, length-checked, free of control characters.

    Returns None for a blank optional value. pandas' NaN counts as blank, never as 'nan'.
    """
    if is_missing(value):
        value = ""
    if not isinstance(value, str):
        if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
            value = str(value)
        else:
            raise FieldError(field, t("val.type", field=label, type=type(value).__name__))

    text = unicodedata.normalize("NFC", value).strip()
    if not text:
        if required:
            raise FieldError(field, t("val.required", field=label))
        return None

    allowed = {"\n", "\t"} if multiline else set()
    bad = sorted(
        {
            c
            for c in text
            if c not in allowed
            and (unicodedata.category(c) in ("Cc", "Cs", "Co") or c in _BIDI_CONTROLS or c in _ZERO_WIDTH)
        }
    )
    if bad:
        shown = ", ".join(f"U+{ord(c):04X}" for c in bad)
        raise FieldError(field, t("val.control_chars", field=label, chars=shown))

    if not multiline:
        text = _SPACE_RUN.sub(" ", text)
    if len(text) > max_length:
        raise FieldError(field, t("val.too_long", field=label, length=len(text), max=max_length))
    return text


def parse_choice(value: object, *, field: str, label: str, choices: tuple[str, ...],
                 aliases: Mapping[str, str] | None = None) -> str | None:
    """Return the one of `choices` that `value` names (blank gives None), ignoring case and accents.

    `aliases` maps other words, in that folded form with '_' for spaces, to a choice.
    """
    text = clean_text(value, field=field, label=label, max_length=100)
    if text is None:
        return None
    folded = search_key(text).replace(" ", "_")
    for choice in choices:
        if folded == search_key(choice).replace(" ", "_"):
            return choice
    if aliases and folded in aliases:
        return aliases[folded]
    raise FieldError(field, t("val.choice", field=label, value=text, choices=", ".join(choices)))


_DATE_FORMATS = ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y", "%d.%m.%Y")
_DATE_SHAPES = {"%d": r"\d{1,2}", "%m": r"\d{1,2}", "%Y": r"\d{4}"}


def fits_date_shape(text: str, fmt: str) -> bool:
    """Return True when `text` has the digits and separators of `fmt`, such as 31-02-2024 for %d-%m-%Y.

    Only formats made of %d, %m, %Y and separators have a shape; any other gives False.
    """
    pattern = ""
    for part in re.split(r"(%[a-zA-Z])", fmt):
        if part.startswith("%"):
            if part not in _DATE_SHAPES:
                return False
            pattern += _DATE_SHAPES[part]
        else:
            pattern += re.escape(part)
    return re.fullmatch(pattern, text) is not None


def parse_date(value: object, *, field: str, label: str) -> dt.date | None:
    """Accept a date, a datetime, an ISO date or a day-first date ('31-12-2025', '31/12/2025')."""
    if is_missing(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if hasattr(value, "to_pydatetime"):  # pandas Timestamp; NaT is caught by isnull below
        try:
            return value.to_pydatetime().date()
        except ValueError:
            return None
    if not isinstance(value, str):
        raise FieldError(field, t("val.type", field=label, type=type(value).__name__))
    text = value.strip()
    if not text:
        return None
    for fmt in _DATE_FORMATS:
        try:
            parsed = dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
        if 1800 <= parsed.year <= 2200:
            return parsed
    if any(fits_date_shape(text, fmt) for fmt in _DATE_FORMATS):
        raise FieldError(field, t("val.date_nonexistent", field=label, value=text))
    raise FieldError(field, t("val.date", field=label, value=text))


def parse_amount(value: object, *, field: str, label: str) -> Decimal | None:
    """Parse a non-negative amount: a number, '1.234.567,89' or '1,234,567.89'."""
    if is_missing(value):
        return None
    if isinstance(value, bool):
        raise FieldError(field, t("val.type", field=label, type="bool"))
    if isinstance(value, (int, float, Decimal)):
        amount = Decimal(str(value))
        shown = str(value)
    elif isinstance(value, str):
        shown = value.strip()
        if not shown:
            return None
        amount = _parse_amount_text(shown, field=field, label=label)
    else:
        raise FieldError(field, t("val.type", field=label, type=type(value).__name__))

    if not amount.is_finite() or abs(amount) >= Decimal("1e16"):
        raise FieldError(field, t("val.amount", field=label, value=shown))
    if amount < 0:
        raise FieldError(field, t("val.amount_negative", field=label, value=shown))
    return amount.quantize(Decimal("0.01"))


def _parse_amount_text(text: str, *, field: str, label: str) -> Decimal:
    cleaned = re.sub(r"[\s\u00a0$]", "", text)
    for code in CURRENCIES:
        if cleaned.upper().startswith(code) and len(code) == 3:
            cleaned = cleaned[3:]
            break
    if not re.fullmatch(r"-?[\d.,]+", cleaned) or not re.search(r"\d", cleaned):
        raise FieldError(field, t("val.amount", field=label, value=text))

    last_comma, last_dot = cleaned.rfind(","), cleaned.rfind(".")
    if last_comma > last_dot:
        # "1.234,56": dots group thousands, the comma is decimal.
        cleaned = cleaned.replace(".", "").replace(",", ".")
    elif last_dot > last_comma and last_comma != -1:
        # "1,234.56": commas group thousands.
        cleaned = cleaned.replace(",", "")
    elif last_dot != -1 and cleaned.count(".") > 1:
        cleaned = cleaned.replace(".", "")  # "1.234.567"
    elif last_dot != -1 and re.fullmatch(r"-?\d{1,3}\.\d{3}", cleaned):
        # "1.500" is fifteen hundred in Spanish-speaking countries, not one and a half.
        cleaned = cleaned.replace(".", "")
    try:
        return Decimal(cleaned)
    except InvalidOperation:
        raise FieldError(field, t("val.amount", field=label, value=text)) from None


def parse_currency(value: object, *, field: str, label: str) -> str | None:
    """Return an upper-case ISO 4217 code, or None for blank."""
    text = clean_text(value, field=field, label=label, max_length=10)
    if text is None:
        return None
    code = text.upper()
    if code not in CURRENCIES:
        raise FieldError(field, t("val.currency", value=text))
    return code


def parse_email(value: object, *, field: str, label: str) -> str | None:
    text = clean_text(value, field=field, label=label, max_length=254)
    if text is None:
        return None
    if not _EMAIL.match(text):
        raise FieldError(field, t("val.email", field=label, value=text))
    return text
