"""Taxpayer ids per country, normalised and validated with python-stdnum.

Ids are stored compact (`76123456K`) and shown formatted (`76.123.456-K`). A failed
check digit is an error where the registry enforces it: CL RUT, CO NIT, AR CUIT, PE RUC,
and every other kind listed with `strict=True`. It is only a warning for the MX and EC
kinds, because real, registered ids there fail stdnum's check.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from types import ModuleType

from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength, ValidationError
from stdnum.ar import cuit as ar_cuit, dni as ar_dni
from stdnum.br import cnpj as br_cnpj, cpf as br_cpf
from stdnum.cl import rut as cl_rut
from stdnum.co import nit as co_nit
from stdnum.ec import ci as ec_ci, ruc as ec_ruc
from stdnum.mx import curp as mx_curp, rfc as mx_rfc
from stdnum.pe import cui as pe_cui, ruc as pe_ruc
from stdnum.uy import rut as uy_rut
from stdnum.py import ruc as py_ruc
from stdnum.ve import rif as ve_rif

from .i18n import t


@dataclass(frozen=True)
class IdKind:
    """One kind of id in one country and how strictly its check digit is enforced."""

    country: str
    kind: str
    module: ModuleType
    strict: bool = True


KINDS: dict[str, dict[str, IdKind]] = {}

for _kind in (
    IdKind("CL", "RUT", cl_rut),
    IdKind("CO", "NIT", co_nit),
    IdKind("AR", "CUIT", ar_cuit),
    IdKind("AR", "DNI", ar_dni),
    IdKind("PE", "RUC", pe_ruc),
    IdKind("PE", "DNI", pe_cui),
    IdKind("MX", "RFC", mx_rfc, strict=False),
    IdKind("MX", "CURP", mx_curp, strict=False),
    IdKind("EC", "RUC", ec_ruc, strict=False),
    IdKind("EC", "CI", ec_ci, strict=False),
    IdKind("UY", "RUT", uy_rut),
    IdKind("PY", "RUC", py_ruc),
    IdKind("VE", "RIF", ve_rif),
    IdKind("BR", "CNPJ", br_cnpj),
    IdKind("BR", "CPF", br_cpf),
):
    KINDS.setdefault(_kind.country, {})[_kind.kind] = _kind

COUNTRIES = tuple(KINDS)

# Every Unicode dash-like character (hyphen, minus, en and em dashes, ...) becomes '-'.
_DASHES = re.compile(r"[\u2010-\u2015\u2212\u2043\ufe58\ufe63\uff0d\u00ad]")
_SPACES = re.compile(r"[\s\u00a0\u202f\u2007]+")


@dataclass(frozen=True)
class TaxId:
    """A validated tax id; `warning` is set when only the check digit failed and that is tolerated."""

    country: str
    kind: str
    compact: str
    warning: str | None = None

    @property
    def formatted(self) -> str:
        return format_tax_id(self.country, self.kind, self.compact)


def normalise(value: str) -> str:
    """Unify what people type: NFKC, any dash to '-', no spaces, upper case ('k' -> 'K')."""
    text = unicodedata.normalize("NFKC", value)
    text = _DASHES.sub("-", text)
    text = _SPACES.sub("", text)
    return text.upper()


def default_kind(country: str) -> str:
    return next(iter(KINDS[country]))


# Ids that a tax authority gives to many taxpayers at once, so they identify no single
# client: the SAT's RFC for the general public and for foreign residents without an RFC.
GENERIC_IDS = {("MX", "RFC"): frozenset({"XAXX010101000", "XEXX010101000"})}


def is_generic(country: str | None, kind: str | None, compact: str | None) -> bool:
    """Return True for a shared id such as XEXX010101000, which many clients may hold."""
    return compact in GENERIC_IDS.get((country, kind), ())


def parse_tax_id(value: str, *, country: str, kind: str | None = None) -> TaxId:
    """Normalise and validate `value` as an id of `country`.

    Raises ValueError with a rendered message when the id is malformed, or when its
    check digit fails for a strict kind.
    """
    country = (country or "").strip().upper()
    if country not in KINDS:
        raise ValueError(t("taxid.country_unknown", country=country, choices=", ".join(COUNTRIES)))
    kinds = KINDS[country]
    kind = (kind or default_kind(country)).strip().upper()
    if kind not in kinds:
        raise ValueError(t("taxid.kind_unknown", kind=kind, country=country, choices=", ".join(kinds)))
    spec = kinds[kind]

    typed = value.strip()
    number = normalise(typed)
    try:
        compact = spec.module.compact(number)
    except ValidationError as error:
        raise ValueError(_malformed(kind, typed, error)) from error

    if is_generic(country, kind, compact):
        # Their homoclave 000 fails the RFC's check, yet the SAT accepts them on invoices.
        return TaxId(country, kind, compact)
    try:
        if spec.module is mx_rfc:
            mx_rfc.validate(compact, validate_check_digits=True)
        else:
            spec.module.validate(compact)
    except InvalidChecksum as error:
        if spec.strict:
            raise ValueError(t("taxid.checksum", kind=kind, value=typed)) from error
        _validate_shape(spec, compact, typed)
        return TaxId(country, kind, compact, t("taxid.checksum_warning", kind=kind, value=typed))
    except ValidationError as error:
        raise ValueError(_malformed(kind, typed, error)) from error
    return TaxId(country, kind, compact)


def _validate_shape(spec: IdKind, compact: str, typed: str) -> None:
    """Check everything but the check digit for the tolerant kinds."""
    if spec.module is mx_rfc:
        try:
            mx_rfc.validate(compact, validate_check_digits=False)
        except ValidationError as error:
            raise ValueError(_malformed(spec.kind, typed, error)) from error
    elif not compact.isalnum():
        raise ValueError(t("taxid.malformed", kind=spec.kind, value=typed, reason=t("taxid.reason.format")))


def _malformed(kind: str, typed: str, error: Exception) -> str:
    if isinstance(error, InvalidLength):
        reason = t("taxid.reason.length")
    elif isinstance(error, InvalidComponent):
        reason = t("taxid.reason.component")
    elif isinstance(error, InvalidFormat):
        reason = t("taxid.reason.format")
    else:
        reason = t("taxid.reason.format")
    return t("taxid.malformed", kind=kind, value=typed, reason=reason)


def format_tax_id(country: str | None, kind: str | None, compact: str | None) -> str:
    """Return the id in its country's usual display form, or as stored if unknown."""
    if not compact:
        return ""
    spec = KINDS.get(country or "", {}).get(kind or "")
    if spec is None or not hasattr(spec.module, "format"):
        return compact
    try:
        return spec.module.format(compact)
    except Exception:  # stdnum's format functions assume a valid id; show it raw otherwise
        return compact
