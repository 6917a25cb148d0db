"""Which spreadsheet column fills which field: header synonyms, presets and user choices.

Headers are compared in a normalised form (lower case, no accents, punctuation as
spaces), so 'Razón social', 'RAZON_SOCIAL' and 'razon social' are the same header.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Mapping

from .. import cases, clients
from ..errors import CasetrackError
from ..i18n import get_language
from ..values import search_key

ENTITIES = ("clientes", "causas")

# Import-only fields of cases: how a row names its client, and a prefix joined to the
# case number ('T' + '1297' -> 'T-1297').
CASE_LINK_FIELDS = {
    "client_tax_id": ("Identificador tributario del cliente", "Client's tax id"),
    "client_name": ("Nombre del cliente", "Client's name"),
    "case_number_prefix": ("Tipo o prefijo del número", "Case number prefix"),
}


def normalise_header(text: str) -> str:
    plain = search_key(str(text or ""))
    return " ".join(re.sub(r"[^\w]+", " ", plain).replace("_", " ").split())


_CLIENT_SYNONYMS = {
    "name": ["nombre", "nombre cliente", "cliente", "nombre o razon social", "name", "client", "client name",
             "nombre completo"],
    "legal_name": ["razon social", "denominacion", "denominacion social", "legal name"],
    "person_type": ["tipo de persona", "tipo persona", "persona", "person type"],
    "status": ["estado", "estado cliente", "vigencia", "status"],
    "tax_country": ["pais del identificador", "pais identificador", "pais tributario", "tax country"],
    "tax_kind": ["tipo de identificador", "tipo identificador", "tipo de documento", "tax id kind"],
    "tax_id": ["identificador tributario", "id tributario", "rut", "nit", "rfc", "ruc", "cuit", "cuil", "rif",
               "cnpj", "cpf", "curp", "rut cliente", "nit cliente", "numero de identificacion tributaria",
               "tax id", "numero de documento", "documento", "identificacion"],
    "email": ["correo", "correo electronico", "email", "e mail", "mail"],
    "phone": ["telefono", "fono", "celular", "movil", "phone", "telefono fijo"],
    "address": ["direccion", "domicilio", "calle", "address"],
    "city": ["ciudad", "comuna", "localidad", "municipio", "ciudad comuna", "city"],
    "region": ["region", "provincia", "departamento", "estado provincia", "region provincia", "region"],
    "country": ["pais", "country"],
    "contact_name": ["contacto", "contacto principal", "nombre contacto", "contact"],
    "contact_role": ["cargo", "cargo del contacto", "cargo contacto"],
    "contact_email": ["correo del contacto", "correo contacto", "email contacto"],
    "contact_phone": ["telefono del contacto", "telefono contacto"],
    "client_group": ["grupo", "holding", "grupo holding", "grupo economico", "group"],
    "industry": ["rubro", "giro", "industria", "actividad", "sector", "rubro giro", "industry"],
    "segment": ["segmento", "clasificacion", "categoria", "segmento clasificacion", "segment"],
    "internal_code": ["codigo", "codigo interno", "codigo cliente", "id cliente", "codigo externo", "id externo",
                      "numero correlativo", "correlativo", "internal code", "code"],
    "tags": ["etiquetas", "tags"],
    "client_since": ["cliente desde", "fecha de alta", "fecha alta", "fecha de ingreso", "client since"],
    "responsible_partner": ["socio responsable", "socio", "socia", "socio a cargo", "responsible partner"],
    "notes": ["notas", "observaciones", "comentarios", "notes"],
}

_CASE_SYNONYMS = {
    "case_number": ["numero", "numero de causa", "rol", "rit", "ruc causa", "radicado", "numero de radicado",
                    "radicacion", "expediente", "numero de expediente", "expediente numero", "n expediente",
                    "causa", "numero causa", "proceso numero", "numero de proceso", "case number",
                    "identificacion del proceso", "rol rit"],
    "case_number_prefix": ["expediente tipo", "tipo de expediente", "tipo expediente", "prefijo"],
    "title": ["caratula", "caratulado", "titulo", "asunto", "nombre de la causa", "title"],
    "court": ["tribunal", "juzgado", "corte", "despacho", "organo", "juzgado tribunal", "court"],
    "matter": ["materia", "tipo de proceso", "proceso", "area", "especialidad", "matter"],
    "stage": ["etapa", "etapa procesal", "instancia", "stage"],
    "status": ["estado", "estado causa", "status"],
    "opened_on": ["fecha de inicio", "fecha inicio", "fecha de ingreso", "fecha ingreso", "inicio",
                  "fecha de radicacion", "fecha", "opened on"],
    "closed_on": ["fecha de termino", "fecha termino", "fecha de cierre", "fecha cierre", "fecha de archivo",
                  "closed on"],
    "amount": ["cuantia", "monto", "monto demandado", "valor", "amount"],
    "currency": ["moneda", "divisa", "currency"],
    "responsible_lawyer": ["abogado", "abogado responsable", "abogada", "responsable", "abogado a cargo",
                           "responsible lawyer"],
    "counterparty": ["contraparte", "parte contraria", "demandado o demandante", "counterparty"],
    "client_side": ["calidad", "calidad del cliente", "rol del cliente", "client side"],
    "client_tax_id": ["rut cliente", "nit cliente", "rfc cliente", "ruc cliente", "cuit cliente",
                      "identificador tributario del cliente", "id tributario cliente", "rut", "nit", "rfc", "ruc",
                      "cuit", "client tax id"],
    "client_name": ["cliente", "nombre cliente", "nombre del cliente", "client", "client name"],
}

# Header words that name one country's tax id: a 'CUIT' column holds Argentine ids
# whatever the firm's default country is. RUT and RUC are shared by several countries,
# so they follow the default country.
TAX_KIND_BY_HEADER = {
    "cuit": ("AR", "CUIT"), "cuil": ("AR", "CUIT"), "nit": ("CO", "NIT"), "rfc": ("MX", "RFC"),
    "curp": ("MX", "CURP"), "cnpj": ("BR", "CNPJ"), "cpf": ("BR", "CPF"), "rif": ("VE", "RIF"),
}


def fields_for(entity: str) -> tuple[str, ...]:
    if entity == "clientes":
        return clients.EDITABLE
    return tuple(name for name in cases.EDITABLE if name != "client_id") + tuple(CASE_LINK_FIELDS)


def required_field(entity: str) -> str:
    return "name" if entity == "clientes" else "case_number"


def field_label(entity: str, name: str) -> str:
    if name in CASE_LINK_FIELDS:
        es, en = CASE_LINK_FIELDS[name]
        return en if get_language() == "en" else es
    if entity == "clientes":
        return clients.FIELD_BY_NAME[name].label
    return cases.label(name)


def _synonyms(entity: str) -> dict[str, str]:
    table = _CLIENT_SYNONYMS if entity == "clientes" else _CASE_SYNONYMS
    lookup: dict[str, str] = {}
    for name, words in table.items():
        for word in [name.replace("_", " "), normalise_header(field_label(entity, name)), *words]:
            lookup.setdefault(normalise_header(word), name)
    return lookup


def tax_kind_for_header(header: str) -> tuple[str, str] | None:
    """Return the (country, kind) a tax id column's header names, if it names exactly one."""
    words = set(normalise_header(header).split())
    found = {TAX_KIND_BY_HEADER[word] for word in words if word in TAX_KIND_BY_HEADER}
    return found.pop() if len(found) == 1 else None


@dataclass(frozen=True)
class Preset:
    """A known public file layout: its columns, fixed values and date formats."""

    key: str
    title: str
    entity: str
    signature: tuple[str, ...]
    columns: Mapping[str, str]
    defaults: Mapping[str, str] = field(default_factory=dict)
    date_formats: Mapping[str, str] = field(default_factory=dict)
    # field -> {code in the file (upper case): stored value}, for columns written as codes.
    codes: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def matches(self, headers: list[str]) -> bool:
        present = {normalise_header(header) for header in headers}
        return all(normalise_header(column) in present for column in self.signature)


PRESETS: dict[str, Preset] = {
    preset.key: preset
    for preset in (
        Preset(
            "corte-constitucional-co",
            "Sentencias de la Corte Constitucional de Colombia (datos.gov.co)",
            "causas",
            ("Expediente Tipo", "Expediente Número", "Magistrado(a) ponente", "Fecha Sentencia", "Sentencia"),
            {"Expediente Tipo": "case_number_prefix", "Expediente Número": "case_number", "Proceso": "matter",
             "Magistrado(a) ponente": "responsible_lawyer", "Fecha Sentencia": "opened_on", "Sentencia": "title"},
            defaults={"court": "Corte Constitucional"},
            date_formats={"Fecha Sentencia": "%Y %b %d %I:%M:%S %p"},
        ),
        Preset(
            "registro-sociedades-ar",
            "Registro Nacional de Sociedades de Argentina (datos.jus.gob.ar)",
            "clientes",
            ("cuit", "razon_social", "tipo_societario", "dom_legal_localidad"),
            {"cuit": "tax_id", "razon_social": "name", "tipo_societario": "segment",
             "dom_legal_localidad": "city", "dom_legal_provincia": "region"},
            defaults={"country": "Argentina"},
        ),
        Preset(
            "igj-entidades-ar",
            "Entidades de la Inspección General de Justicia de Argentina (datos.jus.gob.ar)",
            "clientes",
            ("numero_correlativo", "razon_social", "descripcion_tipo_societario", "cuit"),
            {"numero_correlativo": "internal_code", "razon_social": "name", "cuit": "tax_id",
             "descripcion_tipo_societario": "segment", "dada_de_baja": "status", "detalle_baja": "notes"},
            defaults={"country": "Argentina"},
            # dada_de_baja is S when the registry struck the entity off, N when it is current.
            codes={"status": {"S": "no_vigente", "N": "vigente"}},
        ),
    )
}


def detect_preset(entity: str, headers: list[str]) -> Preset | None:
    for preset in PRESETS.values():
        if preset.entity == entity and preset.matches(headers):
            return preset
    return None


class MappingError(CasetrackError):
    """The column mapping names an unknown field or column, or lacks the required field."""


def suggest_mapping(entity: str, headers: list[str], preset: Preset | None = None) -> dict[str, str | None]:
    """Return header -> field (or None to skip) from the preset, else from the synonyms.

    Each field is filled by at most one column, the first that matches. A client file
    with 'Razón social' but no 'Nombre' column uses the legal name as the name.
    """
    if entity not in ENTITIES:
        raise MappingError("import.entity_unknown", entity=entity, choices=", ".join(ENTITIES))
    mapping: dict[str, str | None] = {header: None for header in headers}
    if preset is not None:
        wanted = {normalise_header(column): target for column, target in preset.columns.items()}
        for header in headers:
            mapping[header] = wanted.get(normalise_header(header))
        return mapping

    lookup = _synonyms(entity)
    taken: set[str] = set()
    for header in headers:
        name = lookup.get(normalise_header(header))
        if name is None and entity == "causas" and tax_kind_for_header(header):
            name = "client_tax_id"
        if name is None and entity == "clientes" and tax_kind_for_header(header):
            name = "tax_id"
        if name and name not in taken:
            mapping[header] = name
            taken.add(name)

    if entity == "clientes" and "name" not in taken and "legal_name" in taken:
        header = next(h for h, name in mapping.items() if name == "legal_name")
        mapping[header] = "name"
    return mapping


def apply_overrides(entity: str, mapping: dict[str, str | None], overrides: Mapping[str, str | None]) -> dict[str, str | None]:
    """Apply user choices (column -> field, or None/'' to skip); a field moves to its new column."""
    result = dict(mapping)
    known = fields_for(entity)
    by_normal = {normalise_header(header): header for header in result}
    for column, target in overrides.items():
        header = column if column in result else by_normal.get(normalise_header(column))
        if header is None:
            raise MappingError("import.map_column_unknown", column=column, columns=", ".join(result))
        target = (target or "").strip() or None
        if target in ("-", "ninguno", "none"):
            target = None
        if target is not None and target not in known:
            raise MappingError("import.map_field_unknown", field=target, column=column, choices=", ".join(known))
        if target is not None:
            for other, name in result.items():
                if name == target:
                    result[other] = None
        result[header] = target
    return result


def check_required(entity: str, mapping: Mapping[str, str | None]) -> None:
    """Raise MappingError naming the required field when no column fills it."""
    required = required_field(entity)
    if required not in mapping.values():
        raise MappingError("import.missing_required", field=field_label(entity, required),
                           columns=", ".join(mapping) or "—")
