"""Exports to CSV and XLSX that Spanish-language Excel opens correctly and safely.

Text cells that start with '=', '+', '-', '@' (or a tab or carriage return) would run
as formulas in a spreadsheet, so they are prefixed with an apostrophe. Numbers, dates
and booleans are not text and are written as they are.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """Return `value` with an apostrophe in front when a spreadsheet would treat it as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy whose text cells (and column names) cannot run as formulas."""
    result = frame.copy()
    for column in result.columns:
        if result[column].dtype == object or pd.api.types.is_string_dtype(result[column]):
            result[column] = result[column].map(neutralise).astype(object)
    result.columns = [neutralise(str(column)) for column in result.columns]
    return result


def to_csv_bytes(frame: pd.DataFrame, *, sep: str = ";", decimal: str = ",", float_format: str | None = "%.2f") -> bytes:
    """CSV for Spanish Excel: UTF-8 with BOM, ';' separator and decimal comma by default.

    Floats get two decimals, as amounts do ('1500000,00', not '1500000,0'); pass
    `float_format=None` to write them in full. Dates are ISO (2025-12-31), which Excel
    reads as dates in any locale.
    """
    text = safe_frame(frame).to_csv(index=False, sep=sep, decimal=decimal, date_format="%Y-%m-%d",
                                    float_format=float_format)
    return text.encode("utf-8-sig")


def to_xlsx_bytes(frame: pd.DataFrame, *, sheet_name: str = "Datos") -> bytes:
    """XLSX written with openpyxl; dates stay dates and numbers stay numbers."""
    buffer = io.BytesIO()
    safe = safe_frame(frame)
    for column in safe.columns:
        if pd.api.types.is_datetime64_any_dtype(safe[column]):
            safe[column] = safe[column].dt.date
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        safe.to_excel(writer, index=False, sheet_name=sheet_name[:31])
        sheet = writer.sheets[sheet_name[:31]]
        for cells in sheet.columns:
            width = max((len(str(cell.value)) for cell in cells[:200] if cell.value is not None), default=8)
            sheet.column_dimensions[cells[0].column_letter].width = min(max(width + 2, 8), 60)
    return buffer.getvalue()


def write(frame: pd.DataFrame, path: str | Path, **options) -> Path:
    """Write `frame` to `path` as CSV or XLSX, chosen by the file's extension."""
    path = Path(path)
    data = to_xlsx_bytes(frame, **options) if path.suffix.lower() == ".xlsx" else to_csv_bytes(frame, **options)
    path.write_bytes(data)
    return path
