"""Spanish (default) and English texts for everything a user reads.

Each text has a key; `t(key, **params)` renders it in the current language. The
language is per process: dashboards set it from the firm's settings, analysts with
`set_language("en")`.
"""

from __future__ import annotations

LANGUAGES = ("es", "en")

_language = "es"

MESSAGES: dict[str, dict[str, str]] = {
    # Storage
    "db.busy": {
        "es": "La base de datos está ocupada por otro usuario o proceso ({path}). "
        "Espere unos segundos y vuelva a intentarlo.",
        "en": "The database is busy with another user or process ({path}). "
        "Wait a few seconds and try again.",
    },
    "db.error": {
        "es": "Error de la base de datos: {detail}",
        "en": "Database error: {detail}",
    },
    "db.missing": {
        "es": "No existe la base de datos {path}. Revise la ruta o créela con: casetrack --db {path} init",
        "en": "The database {path} does not exist. Check the path or create it with: casetrack --db {path} init",
    },
    "db.newer_schema": {
        "es": "La base de datos {path} fue creada por una versión más nueva de casetrack_nb "
        "(esquema {found}, esta versión conoce hasta {known}). Actualice el programa.",
        "en": "The database {path} was created by a newer casetrack_nb "
        "(schema {found}, this version knows up to {known}). Upgrade the program.",
    },
    # Permissions
    "perm.denied": {
        "es": "El usuario «{user}» (rol: {role}) no tiene permiso para {action}; se requiere el rol "
        "{allowed}. Pida a alguien con ese rol que lo haga o que se lo asigne.",
        "en": "User '{user}' (role: {role}) is not allowed to {action}; it takes the role {allowed}. "
        "Ask someone with that role to do it or to give it to you.",
    },
    "role.none": {"es": "sin rol", "en": "no role"},
    "action.client.write": {"es": "agregar, editar o eliminar clientes", "en": "add, edit or delete clients"},
    "action.client.restore": {"es": "restaurar clientes eliminados", "en": "restore deleted clients"},
    "action.case.write": {"es": "modificar causas", "en": "change cases"},
    "action.user.manage": {"es": "administrar usuarios", "en": "manage users"},
    "action.settings.write": {"es": "cambiar la configuración", "en": "change the settings"},
    "action.import": {"es": "importar datos", "en": "import data"},
    "or": {"es": "o", "en": "or"},
    "action.audit.read": {"es": "ver el historial de cambios", "en": "see the change history"},
    # Validation
    "val.required": {
        "es": "El campo «{field}» es obligatorio.",
        "en": "The field '{field}' is required.",
    },
    "val.too_long": {
        "es": "El campo «{field}» tiene {length} caracteres; el máximo es {max}. Acórtelo.",
        "en": "The field '{field}' has {length} characters; the maximum is {max}. Shorten it.",
    },
    "val.control_chars": {
        "es": "El campo «{field}» contiene caracteres de control o invisibles ({chars}). "
        "Quítelos y vuelva a escribir el valor.",
        "en": "The field '{field}' contains control or invisible characters ({chars}). "
        "Remove them and type the value again.",
    },
    "val.choice": {
        "es": "El valor «{value}» no es válido para «{field}». Use uno de: {choices}.",
        "en": "'{value}' is not valid for '{field}'. Use one of: {choices}.",
    },
    "val.date": {
        "es": "La fecha «{value}» de «{field}» no es válida. Use el formato dd-mm-aaaa o aaaa-mm-dd.",
        "en": "The date '{value}' in '{field}' is not valid. Use dd-mm-yyyy or yyyy-mm-dd.",
    },
    "val.date_nonexistent": {
        "es": "La fecha «{value}» de «{field}» no existe en el calendario. Revise el día y el mes (dd-mm-aaaa).",
        "en": "The date '{value}' in '{field}' does not exist in the calendar. Check the day and month "
        "(dd-mm-yyyy).",
    },
    "val.date_order": {
        "es": "La fecha de término ({closed}) es anterior a la fecha de inicio ({opened}). "
        "Corrija una de las dos.",
        "en": "The closing date ({closed}) is before the opening date ({opened}). Correct one of them.",
    },
    "val.amount": {
        "es": "El monto «{value}» de «{field}» no es un número válido. Escriba solo dígitos, "
        "con coma o punto decimal.",
        "en": "The amount '{value}' in '{field}' is not a valid number. Use digits with a "
        "decimal comma or point.",
    },
    "val.amount_negative": {
        "es": "El monto «{value}» de «{field}» es negativo. La cuantía debe ser cero o mayor.",
        "en": "The amount '{value}' in '{field}' is negative. It must be zero or more.",
    },
    "val.currency": {
        "es": "La moneda «{value}» no es un código ISO 4217 conocido (por ejemplo CLP, COP, MXN, "
        "PEN, ARS, USD).",
        "en": "The currency '{value}' is not a known ISO 4217 code (e.g. CLP, COP, MXN, PEN, ARS, USD).",
    },
    "val.currency_without_amount": {
        "es": "Indicó la moneda «{value}» pero no el monto. Escriba el monto o borre la moneda.",
        "en": "The currency '{value}' was given without an amount. Enter the amount or clear the currency.",
    },
    "val.email": {
        "es": "El correo «{value}» de «{field}» no es válido. Debe tener la forma nombre@dominio.cl.",
        "en": "The e-mail '{value}' in '{field}' is not valid. It must look like name@domain.com.",
    },
    "val.client_id": {
        "es": "«{value}» no es un número de cliente válido para «{field}». Elija el cliente de la lista.",
        "en": "'{value}' is not a valid client number for '{field}'. Pick the client from the list.",
    },
    "val.type": {
        "es": "El valor de «{field}» tiene un tipo no válido ({type}). Escriba un texto.",
        "en": "The value of '{field}' has an invalid type ({type}). Enter text.",
    },
    "val.unknown_field": {
        "es": "El campo «{field}» no existe. Campos válidos: {choices}.",
        "en": "The field '{field}' does not exist. Valid fields: {choices}.",
    },
    "val.username": {
        "es": "El nombre de usuario «{value}» no es válido. Use letras, números, punto, guion o "
        "guion bajo (máximo 64).",
        "en": "The username '{value}' is not valid. Use letters, digits, dot, dash or underscore "
        "(at most 64).",
    },
    "val.score_weights": {
        "es": "Los pesos del puntaje «{value}» no son válidos. Escriba cuatro números mayores o iguales "
        "a 0 separados por comas (causas activas, cuantía, ingreso reciente, antigüedad), por ejemplo "
        "40,30,20,10, con al menos uno mayor que 0.",
        "en": "The score weights '{value}' are not valid. Give four numbers of 0 or more separated by "
        "commas (active cases, amount, recent intake, seniority), e.g. 40,30,20,10, at least one above 0.",
    },
    "val.invalid": {"es": "Hay datos no válidos: {details}", "en": "Some values are not valid: {details}"},
    # Tax ids
    "taxid.country_unknown": {
        "es": "No se valida el identificador tributario de «{country}». Países con validación: {choices}.",
        "en": "Tax ids from '{country}' are not validated. Countries with validation: {choices}.",
    },
    "taxid.kind_unknown": {
        "es": "«{kind}» no es un tipo de identificador de {country}. Use uno de: {choices}.",
        "en": "'{kind}' is not a tax id kind of {country}. Use one of: {choices}.",
    },
    "taxid.malformed": {
        "es": "El {kind} «{value}» no tiene un formato válido ({reason}). Revise los dígitos.",
        "en": "The {kind} '{value}' is not well formed ({reason}). Check the digits.",
    },
    "taxid.checksum": {
        "es": "El dígito verificador del {kind} «{value}» no es correcto. Revise el número.",
        "en": "The check digit of {kind} '{value}' is wrong. Check the number.",
    },
    "taxid.checksum_warning": {
        "es": "El dígito verificador del {kind} «{value}» no coincide. Hay {kind} reales registrados "
        "que no lo cumplen; confirme que el número es correcto.",
        "en": "The check digit of {kind} '{value}' does not match. Some real, registered ids fail it; "
        "confirm that the number is right.",
    },
    "taxid.country_required": {
        "es": "Indique el país del identificador tributario «{value}».",
        "en": "Give the country of the tax id '{value}'.",
    },
    "taxid.reason.length": {"es": "largo incorrecto", "en": "wrong length"},
    "taxid.reason.format": {"es": "caracteres no válidos", "en": "invalid characters"},
    "taxid.reason.component": {"es": "una parte no es válida", "en": "a part is not valid"},
    # Clients
    "client.not_found": {
        "es": "No existe el cliente con id {client_id}. Puede que otro usuario lo haya eliminado; "
        "actualice la lista.",
        "en": "Client {client_id} does not exist. Someone may have deleted it; refresh the list.",
    },
    "client.tax_id_taken": {
        "es": "El identificador {tax_id} ya pertenece al cliente «{other}» (id {other_id}). "
        "Revise el identificador, o trabaje con ese cliente en vez de registrar el mismo dos veces.",
        "en": "Tax id {tax_id} already belongs to client '{other}' (id {other_id}). "
        "Check the tax id, or work with that client instead of recording the same one twice.",
    },
    "client.tax_id_deleted": {
        "es": "El identificador {tax_id} es del cliente eliminado «{other}» (id {other_id}). Un "
        "superadministrador puede restaurarlo desde la papelera; confirme solo si es otro cliente.",
        "en": "Tax id {tax_id} belongs to the deleted client '{other}' (id {other_id}). A superadmin "
        "can restore it from the trash; confirm only if this is a different client.",
    },
    "client.possible_duplicate": {
        "es": "Ya existe un cliente con un nombre equivalente: «{other}» (id {other_id}). "
        "Confirme si de todos modos es un cliente distinto.",
        "en": "A client with an equivalent name exists: '{other}' (id {other_id}). "
        "Confirm that this is a different client anyway.",
    },
    "client.conflict": {
        "es": "«{name}» fue modificado por {user} el {when} mientras usted lo editaba. "
        "Sus cambios no se guardaron; cierre y vuelva a abrir el cliente para ver la versión actual.",
        "en": "'{name}' was changed by {user} on {when} while you were editing it. "
        "Your changes were not saved; reopen the client to see the current version.",
    },
    "client.has_cases": {
        "es": "No se puede eliminar «{name}» porque tiene registros vinculados ({label}: {count}). "
        "Vincule esos registros a otro cliente en Portafolio o marque el cliente como «no vigente».",
        "en": "'{name}' cannot be deleted because records are linked to it ({label}: {count}). "
        "Link those records to another client in Portfolio or mark the client as 'no vigente'.",
    },
    "client.not_deleted": {
        "es": "El cliente «{name}» no está eliminado; no hay nada que restaurar.",
        "en": "Client '{name}' is not deleted; there is nothing to restore.",
    },
    "client.deleted": {
        "es": "El cliente «{name}» está eliminado. Un superadministrador puede restaurarlo.",
        "en": "Client '{name}' is deleted. A superadmin can restore it.",
    },
    "confirm.required": {
        "es": "Revise las advertencias y confirme para guardar: {details}",
        "en": "Review the warnings and confirm to save: {details}",
    },
    # Cases
    "case.not_found": {
        "es": "No existe la causa con id {case_id}. Actualice la lista.",
        "en": "Case {case_id} does not exist. Refresh the list.",
    },
    "case.conflict": {
        "es": "La causa «{number}» fue modificada por {user} mientras usted la editaba. "
        "Actualice la lista y vuelva a intentarlo.",
        "en": "Case '{number}' was changed by {user} while you were editing it. "
        "Refresh the list and try again.",
    },
    # Users and settings
    "user.not_found": {
        "es": "No existe el usuario «{username}». Créelo con: casetrack users add {username} --role usuario",
        "en": "User '{username}' does not exist. Create it with: casetrack users add {username} --role usuario",
    },
    "user.exists": {
        "es": "El usuario «{username}» ya existe. Para cambiar su rol use: casetrack users set-role",
        "en": "User '{username}' already exists. To change the role use: casetrack users set-role",
    },
    "user.last_superadmin": {
        "es": "«{username}» es el único superadministrador activo; cree otro antes de quitarle el rol.",
        "en": "'{username}' is the only active superadmin; create another one before changing this role.",
    },
    "setting.unknown": {
        "es": "La configuración «{key}» no existe. Opciones: {choices}.",
        "en": "There is no setting '{key}'. Options: {choices}.",
    },
}


def set_language(language: str) -> None:
    """Select the language of every message this process renders from now on."""
    global _language
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}, not {language!r}")
    _language = language


def get_language() -> str:
    return _language


def t(key: str, /, **params: object) -> str:
    """Render the message `key` in the current language with `params` filled in."""
    entry = MESSAGES.get(key)
    if entry is None:
        return key
    template = entry.get(_language) or entry["es"]
    return template.format(**params)


def add_messages(messages: dict[str, dict[str, str]]) -> None:
    """Register more texts (the UI modules keep their labels next to the widgets)."""
    MESSAGES.update(messages)
