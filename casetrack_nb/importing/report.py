"""The import report: one line per problem (row, column, value, reason) and the totals."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..i18n import add_messages, t

add_messages({
    # Files and mapping
    "import.file_type": {
        "es": "El archivo «{name}» no es CSV ni XLSX. Guárdelo desde Excel como CSV (UTF-8) o como libro XLSX.",
        "en": "The file '{name}' is neither CSV nor XLSX. Save it from Excel as CSV (UTF-8) or as an XLSX workbook.",
    },
    "import.file_missing": {
        "es": "No se pudo leer el archivo «{name}»: {detail}.",
        "en": "The file '{name}' could not be read: {detail}.",
    },
    "import.encoding_failed": {
        "es": "El archivo no se puede leer con la codificación «{encoding}» ({detail}). Pruebe con la detección automática.",
        "en": "The file cannot be read as '{encoding}' ({detail}). Try automatic detection.",
    },
    "import.encoding_unknown": {
        "es": "No se reconoce la codificación del archivo ({detail}). Guárdelo como CSV UTF-8 desde Excel.",
        "en": "The file's encoding was not recognised ({detail}). Save it from Excel as CSV UTF-8.",
    },
    "import.no_header": {
        "es": "El archivo «{name}» está vacío o su primera fila no tiene encabezados.",
        "en": "The file '{name}' is empty or its first row has no headers.",
    },
    "import.xlsx_invalid": {
        "es": "El archivo «{name}» no es un libro XLSX válido ({detail}). Ábralo en Excel y guárdelo de nuevo como XLSX.",
        "en": "The file '{name}' is not a valid XLSX workbook ({detail}). Open it in Excel and save it again as XLSX.",
    },
    "import.entity_unknown": {
        "es": "«{entity}» no es un tipo de importación. Use uno de: {choices}.",
        "en": "'{entity}' is not an import type. Use one of: {choices}.",
    },
    "import.missing_required": {
        "es": "Falta la columna obligatoria «{field}». Columnas del archivo: {columns}. Indique cuál "
        "corresponde (por ejemplo --map \"Columna=campo\") o agréguela al archivo.",
        "en": "The required column '{field}' is missing. Columns in the file: {columns}. Say which one it is "
        "(for example --map \"Column=field\") or add it to the file.",
    },
    "import.map_column_unknown": {
        "es": "La columna «{column}» no está en el archivo. Columnas del archivo: {columns}.",
        "en": "The column '{column}' is not in the file. Columns in the file: {columns}.",
    },
    "import.map_field_unknown": {
        "es": "El campo «{field}» indicado para la columna «{column}» no existe. Campos válidos: {choices}.",
        "en": "The field '{field}' given for column '{column}' does not exist. Valid fields: {choices}.",
    },
    "import.date_format_column": {
        "es": "La columna «{column}» del formato de fecha no está en el archivo. Columnas: {columns}.",
        "en": "The date-format column '{column}' is not in the file. Columns: {columns}.",
    },
    "import.preset_unknown": {
        "es": "El formato predefinido «{preset}» no existe. Use uno de: {choices}.",
        "en": "The preset '{preset}' does not exist. Use one of: {choices}.",
    },
    "import.has_errors": {
        "es": "El archivo tiene {errors} fila(s) con errores; no se importó nada. Corrija el archivo o "
        "importe solo las filas válidas.",
        "en": "The file has {errors} row(s) with errors; nothing was imported. Correct the file or "
        "import only the valid rows.",
    },
    # Row problems
    "import.row_damaged": {
        "es": "La fila tiene {found} campo(s) y el encabezado {expected}; no se pudo reparar. Revise las "
        "comillas de esa línea.",
        "en": "The row has {found} field(s) and the header {expected}; it could not be repaired. Check "
        "the quotes on that line.",
    },
    "import.row_repaired": {
        "es": "La fila completa venía entre comillas (típico de un archivo abierto y guardado de nuevo en "
        "Excel); se separó en sus {count} columnas.",
        "en": "The whole row was wrapped in quotes (typical of a file opened and saved again in Excel); "
        "it was split into its {count} columns.",
    },
    "import.file_repaired": {
        "es": "Todas las líneas del archivo venían entre comillas (archivo abierto y guardado de nuevo en "
        "Excel); se separaron en sus {count} columnas.",
        "en": "Every line of the file was wrapped in quotes (a file opened and saved again in Excel); "
        "they were split into their {count} columns.",
    },
    "import.date_format": {
        "es": "La fecha «{value}» no tiene el formato {format} elegido para toda la columna «{column}». "
        "Corríjala o indique otro formato para la columna.",
        "en": "The date '{value}' does not match the format {format} chosen for the whole column '{column}'. "
        "Correct it or choose another format for the column.",
    },
    "import.date_nonexistent": {
        "es": "La fecha «{value}» de la columna «{column}» no existe en el calendario. Revise el día y el mes"
        " (la columna usa {format}).",
        "en": "The date '{value}' in column '{column}' does not exist in the calendar. Check the day and month"
        " (the column uses {format}).",
    },
    "import.date_range": {
        "es": "La fecha «{value}» está fuera del rango aceptado (años 1800 a 2200).",
        "en": "The date '{value}' is outside the accepted range (years 1800 to 2200).",
    },
    "import.code_unknown": {
        "es": "El valor «{value}» de la columna «{column}» no es un código conocido. Use uno de: {codes}.",
        "en": "The value '{value}' in column '{column}' is not a known code. Use one of: {codes}.",
    },
    "import.amount_style": {
        "es": "El monto «{value}» no sigue el formato de la columna «{column}» ({style}). Corríjalo.",
        "en": "The amount '{value}' does not follow the column '{column}' format ({style}). Correct it.",
    },
    "import.style.comma": {"es": "coma decimal, punto de miles: 1.234,56", "en": "decimal comma: 1.234,56"},
    "import.style.dot": {"es": "punto decimal, coma de miles: 1,234.56", "en": "decimal point: 1,234.56"},
    "import.duplicate_tax_id": {
        "es": "El identificador «{value}» se repite en las filas {rows} del archivo. Deje uno solo.",
        "en": "The tax id '{value}' appears in rows {rows} of the file. Keep only one.",
    },
    "import.duplicate_code": {
        "es": "El código «{value}» se repite en las filas {rows} del archivo. Deje uno solo.",
        "en": "The code '{value}' appears in rows {rows} of the file. Keep only one.",
    },
    "import.duplicate_name_file": {
        "es": "Posible duplicado: el nombre «{value}» se parece al de la fila {row} del archivo.",
        "en": "Possible duplicate: the name '{value}' is like the one in row {row} of the file.",
    },
    "import.duplicate_name_db": {
        "es": "Posible duplicado: ya existe el cliente «{other}» (ID {other_id}) con un nombre similar.",
        "en": "Possible duplicate: the client '{other}' (ID {other_id}) already has a similar name.",
    },
    "import.same_client_twice": {
        "es": "Esta fila y la fila {row} actualizarían el mismo cliente «{other}» (ID {other_id}). Deje una sola.",
        "en": "This row and row {row} would both update the client '{other}' (ID {other_id}). Keep only one.",
    },
    "import.tax_id_taken": {
        "es": "El identificador «{value}» ya pertenece a «{other}» (ID {other_id}), que no es el cliente de esta fila.",
        "en": "The tax id '{value}' already belongs to '{other}' (ID {other_id}), not to this row's client.",
    },
    "import.hash_for_enye": {
        "es": "«{value}» tiene «#» entre letras; puede ser una Ñ dañada en el origen. Se guarda tal cual.",
        "en": "'{value}' has '#' between letters; it may be a damaged Ñ in the source. It is stored as given.",
    },
    "import.duplicate_case": {
        "es": "El número «{value}» ya aparece en la fila {row}; ambas filas se importan como una sola causa "
        "con los datos de la última.",
        "en": "The number '{value}' already appears in row {row}; both rows become one case with the "
        "values of the last one.",
    },
    "import.case_moved": {
        "es": "La causa «{value}» pasa del cliente «{old}» a «{new}».",
        "en": "Case '{value}' moves from client '{old}' to '{new}'.",
    },
    "import.case_reopened": {
        "es": "La causa «{value}» estaba inactiva y vuelve a quedar activa.",
        "en": "Case '{value}' was inactive and becomes active again.",
    },
    "import.case_ambiguous": {
        "es": "Hay {count} causas con el número «{value}»; indique el tribunal para saber cuál actualizar.",
        "en": "There are {count} cases numbered '{value}'; give the court to say which one to update.",
    },
    "import.client_not_found": {
        "es": "No hay un cliente con «{value}». Impórtelo primero o corrija el valor.",
        "en": "There is no client with '{value}'. Import it first or correct the value.",
    },
    "import.client_tax_invalid": {
        "es": "No hay un cliente con «{value}», y el identificador parece mal escrito: {detail}",
        "en": "There is no client with '{value}', and the tax id looks mistyped: {detail}",
    },
    "import.client_ambiguous": {
        "es": "Hay {count} clientes con «{value}»; use el identificador tributario para elegir uno.",
        "en": "There are {count} clients matching '{value}'; use the tax id to choose one.",
    },
    # Report
    "import.level.error": {"es": "Error", "en": "Error"},
    "import.level.warning": {"es": "Advertencia", "en": "Warning"},
    "import.col.row": {"es": "Fila", "en": "Row"},
    "import.col.column": {"es": "Columna", "en": "Column"},
    "import.col.value": {"es": "Valor", "en": "Value"},
    "import.col.reason": {"es": "Motivo", "en": "Reason"},
    "import.col.level": {"es": "Tipo", "en": "Kind"},
    "import.summary.read": {
        "es": "{file}: {rows} fila(s) leídas ({encoding}, separador {separator}).",
        "en": "{file}: {rows} row(s) read ({encoding}, separator {separator}).",
    },
    "import.summary.counts": {
        "es": "Nuevos: {inserted} · Actualizados: {updated} · Sin cambios: {unchanged} · Filas con errores: "
        "{errors} · Advertencias: {warnings}.",
        "en": "New: {inserted} · Updated: {updated} · Unchanged: {unchanged} · Rows with errors: "
        "{errors} · Warnings: {warnings}.",
    },
    "import.summary.done": {"es": "Importación completada.", "en": "Import completed."},
    "import.summary.done_partial": {
        "es": "Importación completada; se omitieron {skipped} fila(s) con errores.",
        "en": "Import completed; {skipped} row(s) with errors were skipped.",
    },
    "import.summary.dry_run": {
        "es": "Revisión sin guardar: no se modificó la base de datos.",
        "en": "Check only: the database was not changed.",
    },
    "import.summary.preset": {"es": "Formato reconocido: {title}.", "en": "Recognised layout: {title}."},
    "import.summary.unmapped": {
        "es": "Columnas no importadas: {columns}.",
        "en": "Columns not imported: {columns}.",
    },
})


@dataclass
class Issue:
    """One problem: the spreadsheet row (None for the whole file), column, value and reason."""

    row: int | None
    column: str
    value: str
    message: str
    level: str = "error"


@dataclass
class ImportReport:
    """What an import read, found and wrote; `imported` is False when nothing was written."""

    entity: str
    file: str
    rows: int = 0
    encoding: str = ""
    separator: str = ""
    preset: str | None = None
    unmapped: list[str] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    dry_run: bool = False
    imported: bool = False

    def add(self, row: int | None, column: str, value: object, message: str, level: str = "error") -> None:
        shown = "" if value is None else str(value)
        self.issues.append(Issue(row, column, shown, message, level))

    @property
    def errors(self) -> list[Issue]:
        return [issue for issue in self.issues if issue.level == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [issue for issue in self.issues if issue.level == "warning"]

    @property
    def error_rows(self) -> set[int]:
        return {issue.row for issue in self.errors if issue.row is not None}

    def to_frame(self) -> pd.DataFrame:
        """Return the issues as a table with Spanish (or English) column names, errors first."""
        ordered = sorted(self.issues, key=lambda issue: (issue.level != "error", issue.row or 0))
        return pd.DataFrame(
            [
                {
                    t("import.col.level"): t(f"import.level.{issue.level}"),
                    t("import.col.row"): issue.row if issue.row is not None else "",
                    t("import.col.column"): issue.column,
                    t("import.col.value"): issue.value,
                    t("import.col.reason"): issue.message,
                }
                for issue in ordered
            ],
            columns=[t("import.col.level"), t("import.col.row"), t("import.col.column"), t("import.col.value"),
                     t("import.col.reason")],
        )

    def summary(self) -> str:
        """Return the totals and the outcome in a few sentences."""
        lines = [t("import.summary.read", file=self.file, rows=self.rows, encoding=self.encoding,
                   separator=self.separator)]
        if self.preset:
            lines.append(t("import.summary.preset", title=self.preset))
        if self.unmapped:
            lines.append(t("import.summary.unmapped", columns=", ".join(self.unmapped)))
        lines.append(t("import.summary.counts", inserted=self.inserted, updated=self.updated, unchanged=self.unchanged,
                       errors=len(self.error_rows), warnings=len(self.warnings)))
        if self.dry_run:
            lines.append(t("import.summary.dry_run"))
        elif self.imported:
            lines.append(t("import.summary.done_partial", skipped=self.skipped) if self.skipped
                         else t("import.summary.done"))
        else:
            lines.append(t("import.has_errors", errors=len(self.error_rows)))
        return "\n".join(lines)
