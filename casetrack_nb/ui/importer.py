"""The "Importar" panel: upload a CSV or XLSX, check the column mapping, read the report, import."""

from __future__ import annotations

from typing import Callable

import ipywidgets as widgets

from ..i18n import add_messages, t
from ..importing import ImportReport, Table, field_label, fields_for, plan_for, read_table
from ..importing.service import Plan, import_table
from ..values import is_missing
from .base import AppContext, Notice, busy, esc, guarded

add_messages({
    "ui.import.title": {"es": "Importar desde Excel o CSV", "en": "Import from Excel or CSV"},
    "ui.import.admin_only": {
        "es": "Solo los administradores pueden importar datos.",
        "en": "Only administrators can import data.",
    },
    "ui.import.upload": {"es": "Elegir archivo", "en": "Choose file"},
    "ui.import.entity": {"es": "Importar", "en": "Import"},
    "ui.import.clients": {"es": "Clientes", "en": "Clients"},
    "ui.import.encoding": {"es": "Codificación", "en": "Encoding"},
    "ui.import.separator": {"es": "Separador", "en": "Separator"},
    "ui.import.auto": {"es": "Automático", "en": "Automatic"},
    "ui.import.tab": {"es": "Tabulador", "en": "Tab"},
    "ui.import.skip": {"es": "— no importar —", "en": "— do not import —"},
    "ui.import.detected": {
        "es": "Archivo {name}: {rows} fila(s) · codificación {encoding} · separador {separator}",
        "en": "File {name}: {rows} row(s) · encoding {encoding} · separator {separator}",
    },
    "ui.import.mapping": {"es": "Columnas del archivo → campos", "en": "File columns → fields"},
    "ui.import.check": {"es": "Revisar", "en": "Check"},
    "ui.import.run": {"es": "Importar", "en": "Import"},
    "ui.import.run_valid": {"es": "Importar solo filas válidas", "en": "Import only valid rows"},
    "ui.import.no_file": {"es": "Primero elija un archivo CSV o XLSX.", "en": "Choose a CSV or XLSX file first."},
    "ui.import.more": {"es": "… y {count} más.", "en": "… and {count} more."},
})

# Rows shown in the preview and issues shown in the report table.
PREVIEW_ROWS = 8
REPORT_ROWS = 200


class ImportPanel(widgets.VBox):
    """Upload, preview, mapping, report and the import buttons; shown to admin and superadmin only.

    The package checks the "import" permission again when writing. `on_imported` runs
    after an import that wrote rows, so the dashboard can refresh its lists.
    """

    def __init__(self, context: AppContext, on_imported: Callable[[], None] | None = None) -> None:
        self.context = context
        self.on_imported = on_imported
        self.table: Table | None = None
        self.report: ImportReport | None = None
        self.notice = Notice()
        title = widgets.HTML(f"<h3>{esc(t('ui.import.title'))}</h3>")
        if not context.can_write:
            self.notice.warn(t("ui.import.admin_only"))
            super().__init__([title, self.notice])
            return

        self.upload = widgets.FileUpload(accept=".csv,.txt,.xlsx", multiple=False, description=t("ui.import.upload"))
        self.entity = widgets.ToggleButtons(
            options=[(t("ui.import.clients"), "clientes"), (context.case_label.split("/")[0], "causas")],
            value="clientes", description=t("ui.import.entity"),
        )
        self.encoding = widgets.Dropdown(
            options=[(t("ui.import.auto"), ""), ("UTF-8", "utf-8"), ("UTF-8 con BOM", "utf-8-sig"),
                     ("Windows-1252", "cp1252")],
            value="", description=t("ui.import.encoding"),
        )
        self.separator = widgets.Dropdown(
            options=[(t("ui.import.auto"), ""), (",", ","), (";", ";"), (t("ui.import.tab"), "\t")],
            value="", description=t("ui.import.separator"),
        )
        self.detected = widgets.HTML()
        self.preview = widgets.HTML()
        self.mapping_box = widgets.VBox()
        self.dropdowns: dict[str, widgets.Dropdown] = {}
        self.plan: Plan | None = None
        self.check_button = widgets.Button(description=t("ui.import.check"), icon="search")
        self.import_button = widgets.Button(description=t("ui.import.run"), button_style="primary", icon="upload")
        self.valid_button = widgets.Button(description=t("ui.import.run_valid"), icon="filter",
                                           layout=widgets.Layout(width="auto"))
        self.summary = widgets.HTML()
        self.report_table = widgets.HTML()

        self.upload.observe(self._on_upload, names="value")
        self.entity.observe(self._on_reading_options, names="value")
        self.encoding.observe(self._on_reading_options, names="value")
        self.separator.observe(self._on_reading_options, names="value")
        self.check_button.on_click(lambda _: self.run(dry_run=True))
        self.import_button.on_click(lambda _: self.run())
        self.valid_button.on_click(lambda _: self.run(only_valid=True))

        super().__init__([
            title, widgets.HBox([self.upload, self.entity]), widgets.HBox([self.encoding, self.separator]),
            self.detected, self.preview, self.mapping_box,
            widgets.HBox([self.check_button, self.import_button, self.valid_button]),
            self.notice, self.summary, self.report_table,
        ])

    @property
    def controls(self) -> tuple[widgets.Widget, ...]:
        return (self.upload, self.entity, self.encoding, self.separator, self.check_button, self.import_button,
                self.valid_button, *self.dropdowns.values())

    def _uploaded(self) -> tuple[bytes, str] | None:
        value = self.upload.value
        if not value:
            return None
        item = value[0] if isinstance(value, (tuple, list)) else next(iter(value.values()))
        return bytes(item["content"]), item["name"]

    @guarded()
    def _on_upload(self, _change=None) -> None:
        self.load()

    @guarded()
    def _on_reading_options(self, _change=None) -> None:
        if self._uploaded() is not None:
            self.load()

    def load(self) -> None:
        """Read the uploaded file with the chosen options and rebuild preview and mapping."""
        uploaded = self._uploaded()
        self.notice.clear()
        self.summary.value = self.report_table.value = ""
        if uploaded is None:
            return
        data, name = uploaded
        self.table = read_table(data, name, encoding=self.encoding.value or None, separator=self.separator.value or None)
        self.plan = plan_for(self.table, self.entity.value)
        self.detected.value = "<p>{}</p>".format(esc(t(
            "ui.import.detected", name=name, rows=len(self.table), encoding=self.table.encoding_label,
            separator=self.table.separator_label,
        )))
        if self.plan.preset:
            self.detected.value += f"<p>{esc(t('import.summary.preset', title=self.plan.preset.title))}</p>"
        self.preview.value = self._preview_html()
        self._build_mapping()

    def _preview_html(self) -> str:
        head = "".join(f"<th>{esc(header)}</th>" for header in self.table.headers)
        rows = []
        for _, record in self.table.frame.head(PREVIEW_ROWS).iterrows():
            cells = "".join(f"<td>{esc('' if is_missing(value) else str(value))}</td>" for value in record.tolist())
            rows.append(f"<tr>{cells}</tr>")
        return (f'<div style="overflow-x:auto"><table class="ct-preview"><thead><tr>{head}</tr></thead>'
                f'<tbody>{"".join(rows)}</tbody></table></div>')

    def _build_mapping(self) -> None:
        entity = self.entity.value
        options = [(t("ui.import.skip"), "")] + [(field_label(entity, name), name) for name in fields_for(entity)]
        self.dropdowns = {}
        for header, target in self.plan.mapping.items():
            dropdown = widgets.Dropdown(options=options, value=target or "", description=header,
                                        style={"description_width": "220px"}, layout=widgets.Layout(width="520px"))
            dropdown.observe(self._on_mapping, names="value")
            self.dropdowns[header] = dropdown
        self.mapping_box.children = [widgets.HTML(f"<b>{esc(t('ui.import.mapping'))}</b>"), *self.dropdowns.values()]

    @guarded()
    def _on_mapping(self, change) -> None:
        header = change["owner"].description
        chosen = change["new"] or None
        if chosen:
            # A field is filled by one column: the one chosen last.
            for other, dropdown in self.dropdowns.items():
                if other != header and dropdown.value == chosen:
                    dropdown.value = ""
        self.plan.mapping = {column: dropdown.value or None for column, dropdown in self.dropdowns.items()}

    @guarded()
    def run(self, *, dry_run: bool = False, only_valid: bool = False) -> None:
        """Check or import the uploaded file with the current mapping, then show the report."""
        if self.table is None or self.plan is None:
            self.notice.warn(t("ui.import.no_file"))
            return
        self.notice.clear()
        with busy(*self.controls):
            self.report = import_table(self.context.db, self.table, self.entity.value, plan=self.plan,
                                       dry_run=dry_run, only_valid=only_valid)
        self.show_report(self.report)
        if self.report.imported and self.on_imported is not None:
            self.on_imported()

    def show_report(self, report: ImportReport) -> None:
        lines = "".join(f"<div>{esc(line)}</div>" for line in report.summary().splitlines())
        css = "ct-notice-ok" if report.imported or (report.dry_run and not report.errors) else "ct-notice-warn"
        if report.errors and not report.imported:
            css = "ct-notice-error"
        self.summary.value = f'<div class="{css}" role="status">{lines}</div>'
        frame = report.to_frame()
        if frame.empty:
            self.report_table.value = ""
            return
        head = "".join(f"<th>{esc(str(column))}</th>" for column in frame.columns)
        body = "".join(
            "<tr>" + "".join(f"<td>{esc(str(value))}</td>" for value in row) + "</tr>"
            for row in frame.head(REPORT_ROWS).itertuples(index=False)
        )
        more = f"<p>{esc(t('ui.import.more', count=len(frame) - REPORT_ROWS))}</p>" if len(frame) > REPORT_ROWS else ""
        self.report_table.value = f'<table class="ct-report"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{more}'
