"""Importing clients and cases from the CSV and XLSX files firms already keep.

    >>> from casetrack_nb import importing
    >>> report = importing.import_file(db, "clientes", "clientes.csv", dry_run=True)
    >>> print(report.summary())
"""

from .mapping import ENTITIES, PRESETS, MappingError, field_label, fields_for, normalise_header, suggest_mapping
from .reading import ImportFileError, Table, read_path, read_table
from .report import ImportReport, Issue
from .service import Plan, import_bytes, import_file, import_table, plan_for

__all__ = [
    "ENTITIES", "PRESETS", "ImportFileError", "ImportReport", "Issue", "MappingError", "Plan", "Table",
    "field_label", "fields_for", "import_bytes", "import_file", "import_table", "normalise_header", "plan_for",
    "read_path", "read_table", "suggest_mapping",
]
