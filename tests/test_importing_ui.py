"""The Importar panel driven headless: upload, preview, mapping, report, import."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import ipywidgets as widgets

from casetrack_nb.ui.base import load_context
from casetrack_nb.ui.importer import ImportPanel

FIXTURES = Path(__file__).parent / "fixtures"


def upload(panel: ImportPanel, name: str, data: bytes) -> None:
    panel.upload.value = ({"name": name, "type": "text/csv", "size": len(data), "content": memoryview(data),
                           "last_modified": dt.datetime.now()},)


def client_names(db) -> list[str]:
    with db.read() as con:
        return [row[0] for row in con.execute("SELECT name FROM clients ORDER BY name").fetchall()]


def test_panel_previews_maps_and_imports(admin_db):
    imported = []
    panel = ImportPanel(load_context(admin_db), on_imported=lambda: imported.append(True))
    data = "Razón social;CUIT;Ciudad\nCompañía Minera Ñuble S.A.;30-50000074-7;Peñalolén\n<b>Uno</b> S.A.;;\n".encode("cp1252")

    upload(panel, "clientes.csv", data)

    assert "Windows-1252" in panel.detected.value
    assert "punto y coma" in panel.detected.value
    assert "Compañía Minera Ñuble S.A." in panel.preview.value
    assert "&lt;b&gt;Uno&lt;/b&gt;" in panel.preview.value
    assert "<b>Uno</b>" not in panel.preview.value
    # The blank CUIT and city of the second row show as empty cells, not as "nan".
    assert "nan" not in panel.preview.value.lower()
    assert panel.dropdowns["Razón social"].value == "name"
    assert panel.dropdowns["CUIT"].value == "tax_id"

    panel.dropdowns["Ciudad"].value = "region"
    panel.import_button.click()

    assert panel.report.imported, panel.notice.value
    assert imported == [True]
    assert client_names(admin_db) == ["<b>Uno</b> S.A.", "Compañía Minera Ñuble S.A."]
    with admin_db.read() as con:
        assert con.execute("SELECT region FROM clients WHERE tax_id = '30500000747'").fetchall() == [("Peñalolén",)]
    assert "Importación completada" in panel.summary.value
    assert not panel.import_button.disabled


def test_panel_report_is_escaped_and_only_valid(admin_db):
    panel = ImportPanel(load_context(admin_db))
    data = "Nombre,Correo\nUno S.A.,<script>alert(1)</script>\nDos S.A.,dos@example.cl\n".encode("utf-8")
    upload(panel, "clientes.csv", data)

    panel.import_button.click()

    assert not panel.report.imported
    assert client_names(admin_db) == []
    assert "no se importó nada" in panel.summary.value
    assert "&lt;script&gt;" in panel.report_table.value
    assert "<script>" not in panel.report_table.value
    assert "Correo" in panel.report_table.value

    panel.valid_button.click()
    assert panel.report.imported
    assert client_names(admin_db) == ["Dos S.A."]


def test_panel_missing_required_column_message(admin_db):
    panel = ImportPanel(load_context(admin_db))
    upload(panel, "causas.csv", b"Caratula,Tribunal\nA con B,Civil\n")
    panel.entity.value = "causas"

    panel.check_button.click()

    assert "Falta la columna obligatoria" in panel.notice.value
    assert "Caratula, Tribunal" in panel.notice.value


def test_panel_imports_public_xlsx_as_clients(admin_db):
    panel = ImportPanel(load_context(admin_db))
    upload(panel, "registro.xlsx", (FIXTURES / "registro-nacional-sociedades-202409-recortado-csv.xlsx").read_bytes())
    assert "Registro Nacional de Sociedades" in panel.detected.value

    panel.import_button.click()

    assert panel.report.imported
    assert panel.report.inserted == 49
    assert "SEGUROS SURA S.A" in client_names(admin_db)


def test_panel_refuses_usuario(user_db):
    panel = ImportPanel(load_context(user_db))
    assert "Solo los administradores" in panel.notice.value
    assert not any(isinstance(child, widgets.FileUpload) for child in panel.children)
