"""Portafolio › Causas: the case list with search, advanced filters, row actions and export.

The notebook notebooks/portafolio.ipynb only runs `PortfolioApp.from_environment()`.
Paging and sorting happen in DuckDB (`cases.search_cases`), so the page never contains
more than one page of cases.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
import math
import os
from pathlib import Path
from urllib.parse import parse_qs

import ipywidgets as widgets
import pandas as pd

from .. import cases, clients, exporting, formatting
from ..cases import CaseFilter
from ..errors import ClientNotFound
from ..i18n import add_messages, t
from ..store import Database
from .base import AppContext, Header, Notice, busy, esc, failed_panel, guarded, load_context, stylesheet
from .portfolio_filters import ClientPicker, FilterPanel

log = logging.getLogger(__name__)

add_messages({
    "portfolio.title": {"es": "Portafolio › {label}", "en": "Portfolio › {label}"},
    "portfolio.count.one": {"es": "1 resultado", "en": "1 result"},
    "portfolio.count.many": {"es": "{count} resultados", "en": "{count} results"},
    "portfolio.empty": {"es": "No hay resultados con estos filtros.", "en": "No results match these filters."},
    "portfolio.page": {"es": "Página {page} de {pages}", "en": "Page {page} of {pages}"},
    "portfolio.previous": {"es": "‹ Anterior", "en": "‹ Previous"},
    "portfolio.next": {"es": "Siguiente ›", "en": "Next ›"},
    "portfolio.page_size": {"es": "Por página", "en": "Per page"},
    "portfolio.sort": {"es": "Ordenar por", "en": "Sort by"},
    "portfolio.descending": {"es": "Descendente", "en": "Descending"},
    "portfolio.ascending": {"es": "Ascendente", "en": "Ascending"},
    "portfolio.col.case_number": {"es": "Número", "en": "Number"},
    "portfolio.col.title": {"es": "Carátula", "en": "Title"},
    "portfolio.col.client": {"es": "Cliente", "en": "Client"},
    "portfolio.col.court": {"es": "Tribunal", "en": "Court"},
    "portfolio.col.matter": {"es": "Materia", "en": "Matter"},
    "portfolio.col.stage": {"es": "Etapa", "en": "Stage"},
    "portfolio.col.status": {"es": "Estado", "en": "Status"},
    "portfolio.col.opened_on": {"es": "Fecha de inicio", "en": "Opened on"},
    "portfolio.col.amount": {"es": "Cuantía", "en": "Amount"},
    "portfolio.col.responsible_lawyer": {"es": "Abogado responsable", "en": "Responsible lawyer"},
    "portfolio.col.updated_at": {"es": "Última modificación", "en": "Last change"},
    "portfolio.col.actions": {"es": "Acciones", "en": "Actions"},
    "portfolio.badge.activa": {"es": "Activa", "en": "Active"},
    "portfolio.badge.inactiva": {"es": "Inactiva", "en": "Inactive"},
    "portfolio.no_client": {"es": "Sin cliente", "en": "No client"},
    "portfolio.deactivate": {"es": "Desactivar", "en": "Deactivate"},
    "portfolio.reactivate": {"es": "Reactivar", "en": "Reactivate"},
    "portfolio.client_button": {"es": "Cliente…", "en": "Client…"},
    "portfolio.deactivated": {"es": "Se desactivó «{number}».", "en": "'{number}' was deactivated."},
    "portfolio.reactivated": {"es": "Se reactivó «{number}».", "en": "'{number}' was reactivated."},
    "portfolio.linked": {
        "es": "Se vinculó «{number}» al cliente «{client}».",
        "en": "'{number}' was linked to client '{client}'.",
    },
    "portfolio.unlinked": {
        "es": "Se desvinculó «{number}» de su cliente.",
        "en": "'{number}' was unlinked from its client.",
    },
    "portfolio.link.heading": {
        "es": "Cliente de «{number}» (actual: {client})",
        "en": "Client of '{number}' (now: {client})",
    },
    "portfolio.link.save": {"es": "Vincular", "en": "Link"},
    "portfolio.link.unlink": {"es": "Desvincular", "en": "Unlink"},
    "portfolio.link.cancel": {"es": "Cancelar", "en": "Cancel"},
    "portfolio.link.choose": {
        "es": "Elija primero un cliente en la lista y luego pulse «Vincular».",
        "en": "Choose a client from the list first, then press 'Link'.",
    },
    "portfolio.export.xlsx": {"es": "Exportar Excel (XLSX)", "en": "Export Excel (XLSX)"},
    "portfolio.export.csv": {"es": "Exportar CSV", "en": "Export CSV"},
    "portfolio.export.link": {
        "es": "Descargar {filename} ({rows})",
        "en": "Download {filename} ({rows})",
    },
    "portfolio.export.rows": {"es": "{count} filas", "en": "{count} rows"},
    "portfolio.export.capped": {
        "es": "El resultado tiene {total} filas; la descarga trae solo las primeras {limit}. Para exportarlo "
        "completo, filtre más o use casetrack_nb.cases.write_cases desde un notebook.",
        "en": "The result has {total} rows; the download holds only the first {limit}. To export all of it, "
        "narrow the filters or call casetrack_nb.cases.write_cases from a notebook.",
    },
    "portfolio.export.empty": {
        "es": "No hay filas que exportar con estos filtros.",
        "en": "There are no rows to export with these filters.",
    },
    "portfolio.deep_link.invalid": {
        "es": "El enlace pide el cliente «{value}», que no es un id válido (debe ser un número entero). "
        "Se muestra la lista sin filtrar por cliente.",
        "en": "The link asks for client '{value}', which is not a valid id (it must be a whole number). "
        "The list is shown without a client filter.",
    },
    "portfolio.deep_link.unknown": {
        "es": "No existe el cliente con id {value} (puede haber sido eliminado). "
        "Se muestra la lista sin filtrar por cliente.",
        "en": "There is no client with id {value} (it may have been deleted). "
        "The list is shown without a client filter.",
    },
    "portfolio.deep_link.status": {
        "es": "El enlace pide el estado «{value}», que no es válido (use todas, activas o inactivas). "
        "Se muestra el estado «Activa».",
        "en": "The link asks for status '{value}', which is not valid (use todas, activas or inactivas). "
        "The 'Active' status is shown.",
    },
})

# Query-string parameters: portafolio.ipynb?cliente=42&estado=todas pre-selects a client
# and a status filter.
CLIENT_PARAMETER = "cliente"
STATUS_PARAMETER = "estado"

# Values of `estado` in a link, mapped to the status switch's values.
STATUS_VALUES = {"activas": "activa", "inactivas": "inactiva", "todas": "todas"}

# Rows in one download. A data: link carries the file inside the page's HTML, so a
# bigger export belongs in `cases.write_cases` run from a notebook.
EXPORT_LIMIT = 50_000

PAGE_SIZES = (25, 50, 100)

# Sort keys offered in the dropdown; each is a key of cases.SORTS.
SORT_KEYS = ("opened_on", "case_number", "title", "client", "court", "matter", "stage", "status", "amount",
             "responsible_lawyer", "updated_at")

# Results grid columns: (message key suffix, CSS width). The minimum widths add up to
# 906px, so the grid and the actions column fit side by side in a 1280 px window.
COLUMNS = (
    ("case_number", "minmax(96px, 1.1fr)"), ("title", "minmax(110px, 2fr)"), ("client", "minmax(100px, 1.5fr)"),
    ("court", "minmax(90px, 1.3fr)"), ("matter", "minmax(70px, 0.8fr)"), ("stage", "minmax(70px, 0.8fr)"),
    ("status", "76px"), ("opened_on", "88px"), ("amount", "minmax(116px, 1.1fr)"),
    ("responsible_lawyer", "minmax(90px, 1fr)"),
)
GRID = "display: grid; grid-template-columns: " + " ".join(width for _key, width in COLUMNS) + "; column-gap: 8px;"

# Width of the admin's actions column (two 100px buttons and their margins).
ACTIONS_WIDTH = "212px"

CSS = """
<style>
.ct-case-grid { padding: 4px 6px; align-items: center; border-bottom: 1px solid #eef2f7; font-size: 13px; }
.ct-case-head { border-bottom: 2px solid #d9e2ec; }
.ct-chip button, .ct-chip { border-radius: 14px !important; background: #e0e7ff !important; }
.ct-export a { margin-right: 16px; color: #1d4ed8; text-decoration: underline; font-weight: 500; }
.ct-case-head .ct-cell { white-space: normal; }
.ct-case-table .widget-html-content { line-height: normal; }
.ct-case-table .ct-cells { min-width: 0; overflow: hidden; }
.ct-case-table .ct-actions { flex: 0 0 auto; justify-content: flex-end; }
.ct-case-table .ct-actions-head { font-weight: 600; color: #334e68; font-size: 13px; padding: 4px 6px; }
.ct-link-panel { border: 1px solid #d9e2ec; border-radius: 6px; padding: 8px 12px; margin: 6px 0; background: #f8fafc; }
</style>
"""


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT


def parse_parameter(query: str, name: str) -> str | None:
    """Return the raw value of `name` in a query string ('cliente=3&x=1', 'cliente' -> '3'), or None."""
    values = parse_qs((query or "").lstrip("?"), keep_blank_values=True).get(name)
    return values[0] if values else None


def parse_client_parameter(query: str) -> str | None:
    """Return the raw `cliente` value of a query string ('cliente=3&x=1' -> '3'), or None."""
    return parse_parameter(query, CLIENT_PARAMETER)


def query_string() -> str:
    """Return the page's query string as Voilà hands it to the kernel.

    Voilà 0.5 starts each page's kernel with QUERY_STRING in its environment; a
    pre-heated kernel (`--preheat_kernel`) has to wait for it over a websocket.
    """
    # NOTE: the pre-heated path follows Voilà's documented get_query_string(); no test runs it.
    if os.environ.get("VOILA_PREHEAT") == "True":
        from voila.utils import get_query_string

        return get_query_string() or ""
    return os.environ.get("QUERY_STRING", "")


class CaseTable(widgets.VBox):
    """One page of cases as a grid of rows; admins get a status and a client button on each row."""

    def __init__(self, app: "PortfolioApp") -> None:
        self.app = app
        self.buttons: dict[int, dict[str, widgets.Button]] = {}
        super().__init__()
        self.add_class("ct-case-table")

    def show(self, rows: pd.DataFrame) -> None:
        context = self.app.context
        head_cells = "".join(f'<div class="ct-cell ct-headcell">{esc(t(f"portfolio.col.{key}"))}</div>'
                             for key, _width in COLUMNS)
        actions_head = widgets.HTML(f'<div class="ct-actions-head">{esc(t("portfolio.col.actions"))}</div>')
        header = [self._line(f'<div class="ct-case-grid ct-case-head" style="{GRID}">{head_cells}</div>',
                             actions_head if context.can_write else None)]
        self.buttons = {}
        if rows.empty:
            self.children = [*header, widgets.HTML(f'<p class="ct-muted">{esc(t("portfolio.empty"))}</p>')]
            return
        lines = [self._line(self._row_html(record), self._actions(record) if context.can_write else None)
                 for record in rows.to_dict("records")]
        self.children = [*header, *lines]

    def _line(self, html: str, actions: widgets.Widget | None) -> widgets.Widget:
        """Lay out one row: the grid takes the remaining width, the actions a fixed column on the right."""
        cells = widgets.HTML(html, layout=widgets.Layout(flex="1 1 0"))
        cells.add_class("ct-cells")
        # The row is always a horizontal box: a zero flex basis inside the vertical list
        # would give the cells no height at all.
        children: list[widgets.Widget] = [cells]
        if actions is not None:
            actions.layout.width = ACTIONS_WIDTH
            actions.layout.min_width = ACTIONS_WIDTH
            actions.add_class("ct-actions")
            children.append(actions)
        line = widgets.HBox(children, layout=widgets.Layout(align_items="center"))
        line.add_class("ct-row")
        return line

    def _row_html(self, record: dict) -> str:
        locale = self.app.context.locale
        client = record["client_name"]
        client_html = (esc(client) if not _missing(client)
                       else f'<span class="ct-muted">{esc(t("portfolio.no_client"))}</span>')
        status = record["status"]
        badge = f'<span class="ct-badge ct-badge-{esc(status)}">{esc(t(f"portfolio.badge.{status}"))}</span>'
        currency = None if _missing(record["currency"]) else record["currency"]
        texts = [
            record["case_number"],
            record["title"],
            None,
            record["court"],
            record["matter"],
            record["stage"],
            None,
            formatting.date(record["opened_on"], locale),
            formatting.money(record["amount"], currency, locale),
            record["responsible_lawyer"],
        ]
        texts = ["" if _missing(text) else str(text) for text in texts]
        cells = [f'<div class="ct-cell" title="{esc(text)}">{esc(text)}</div>' for text in texts]
        cells[2] = f'<div class="ct-cell" title="{esc("" if _missing(client) else client)}">{client_html}</div>'
        cells[6] = f'<div class="ct-cell">{badge}</div>'
        body = "".join(cells)
        return (f'<div class="ct-case-grid ct-case-row" data-case-id="{int(record["id"])}" '
                f'style="{GRID}">{body}</div>')

    def _actions(self, record: dict) -> widgets.HBox:
        case_id = int(record["id"])
        active = record["status"] == "activa"
        status_button = widgets.Button(description=t("portfolio.deactivate" if active else "portfolio.reactivate"),
                                       layout=widgets.Layout(width="100px"))
        client_button = widgets.Button(description=t("portfolio.client_button"), layout=widgets.Layout(width="100px"))
        status_button.on_click(lambda _b: self.app.toggle_status(case_id))
        client_button.on_click(lambda _b: self.app.open_link_panel(case_id))
        self.buttons[case_id] = {"status": status_button, "client": client_button}
        return widgets.HBox([status_button, client_button])


class LinkPanel(widgets.VBox):
    """Choose the client of one case with the same type-ahead, or unlink it."""

    def __init__(self, app: "PortfolioApp") -> None:
        self.app = app
        self.notice = app.notice
        self.case: dict | None = None
        self.heading = widgets.HTML()
        self.picker = ClientPicker(app.context.db, app.notice, multiple=False)
        self.save = widgets.Button(description=t("portfolio.link.save"), button_style="primary")
        self.unlink = widgets.Button(description=t("portfolio.link.unlink"), button_style="warning")
        self.cancel = widgets.Button(description=t("portfolio.link.cancel"))
        super().__init__([self.heading, self.picker, widgets.HBox([self.save, self.unlink, self.cancel])],
                         layout=widgets.Layout(display="none"))
        self.add_class("ct-link-panel")
        self.save.on_click(self._save_clicked)
        self.unlink.on_click(self._unlink_clicked)
        self.cancel.on_click(lambda _b: self.close_panel())

    def open_for(self, case: dict) -> None:
        self.case = case
        client = case["client_name"] if not _missing(case["client_name"]) else t("portfolio.no_client")
        self.heading.value = f"<b>{esc(t('portfolio.link.heading', number=case['case_number'], client=client))}</b>"
        self.picker.clear()
        self.unlink.disabled = _missing(case["client_id"])
        self.layout.display = "flex"

    def close_panel(self) -> None:
        self.case = None
        self.picker.clear()
        self.layout.display = "none"

    @guarded()
    def _save_clicked(self, _button) -> None:
        if not self.picker.selected:
            self.notice.warn(t("portfolio.link.choose"))
            return
        self.app.link(self.case["id"], self.picker.selected[0])

    @guarded()
    def _unlink_clicked(self, _button) -> None:
        self.app.link(self.case["id"], None)


class PortfolioApp(widgets.VBox):
    """The Portafolio dashboard: header, filters, result count, paged results, row actions and export."""

    def __init__(self, context: AppContext | Database, *, client_id: object = None, status: object = None,
                 page_size: int = 25) -> None:
        self.context = context if isinstance(context, AppContext) else load_context(context)
        self.notice = Notice()
        self.page = 1
        self.page_size = page_size if page_size in PAGE_SIZES else PAGE_SIZES[0]
        self.rows = pd.DataFrame()
        self.total = 0
        self.export_limit = EXPORT_LIMIT
        self._ready = False

        title = t("portfolio.title", label=self.context.case_label)
        self.header = Header(self.context, active="portfolio", title=title)
        parts: list[widgets.Widget] = [stylesheet(), widgets.HTML(CSS), self.header, self.notice]
        try:
            self.filters = FilterPanel(self.context.db, self.notice, on_change=self._filters_changed)
        except Exception as error:  # a failed panel must not blank the page
            self.filters = None
            parts.append(failed_panel(error))
        else:
            parts.append(self.filters)

        self.count = widgets.HTML()
        self.count.add_class("ct-result-count")
        self.sort = widgets.Dropdown(options=[(t(f"portfolio.col.{key}"), key) for key in SORT_KEYS],
                                     value="opened_on", description=t("portfolio.sort"),
                                     layout=widgets.Layout(width="260px"))
        self.direction = widgets.Dropdown(options=[(t("portfolio.descending"), True), (t("portfolio.ascending"), False)],
                                          value=True, layout=widgets.Layout(width="130px"))
        self.size = widgets.Dropdown(options=list(PAGE_SIZES), value=self.page_size, description=t("portfolio.page_size"),
                                     layout=widgets.Layout(width="170px"))
        self.previous = widgets.Button(description=t("portfolio.previous"), layout=widgets.Layout(width="110px"))
        self.next = widgets.Button(description=t("portfolio.next"), layout=widgets.Layout(width="110px"))
        self.page_label = widgets.Label()
        self.export_xlsx = widgets.Button(description=t("portfolio.export.xlsx"), icon="download",
                                          layout=widgets.Layout(width="190px"))
        self.export_csv = widgets.Button(description=t("portfolio.export.csv"), icon="download",
                                         layout=widgets.Layout(width="150px"))
        self.download = widgets.HTML()
        self.download.add_class("ct-export")
        self.table = CaseTable(self)
        self.link_panel = LinkPanel(self) if self.context.can_write else None

        toolbar = widgets.HBox([self.count, self.sort, self.direction, self.size, self.export_xlsx, self.export_csv],
                               layout=widgets.Layout(flex_flow="row wrap", align_items="center"))
        pager = widgets.HBox([self.previous, self.page_label, self.next], layout=widgets.Layout(align_items="center"))
        parts += [toolbar, self.download]
        if self.link_panel is not None:
            parts.append(self.link_panel)
        parts += [self.table, pager]
        super().__init__(parts)
        self.add_class("ct-app")

        for control in (self.sort, self.direction, self.size):
            control.observe(self._order_changed, "value")
        self.previous.on_click(lambda _b: self.go_to(self.page - 1))
        self.next.on_click(lambda _b: self.go_to(self.page + 1))
        self.export_xlsx.on_click(lambda _b: self.offer_download("xlsx"))
        self.export_csv.on_click(lambda _b: self.offer_download("csv"))

        if self.filters is not None:
            # Quiet, so that applying the link's values neither refreshes nor clears the notice.
            with self.filters.quiet():
                if status is not None:
                    self._apply_status_parameter(status)
                if client_id is not None:
                    self._apply_client_parameter(client_id)
        self._ready = True
        self.refresh()

    @classmethod
    def from_environment(cls, db: Database | None = None, *, user: str | None = None) -> "PortfolioApp":
        """Build the app for Voilà: the database from $CASETRACK_DB, the filters from `?cliente=ID&estado=todas`."""
        context = load_context(db, user=user)
        query = query_string()
        return cls(context, client_id=parse_parameter(query, CLIENT_PARAMETER),
                   status=parse_parameter(query, STATUS_PARAMETER))

    # Filters and results

    def _apply_status_parameter(self, raw: object) -> None:
        text = str(raw).strip()
        value = STATUS_VALUES.get(text.lower())
        if value is None:
            self.notice.warn(t("portfolio.deep_link.status", value=text))
            return
        self.filters.status.value = value

    def _apply_client_parameter(self, raw: object) -> None:
        text = str(raw).strip()
        if not text.isdigit() or isinstance(raw, bool):
            self.notice.warn(t("portfolio.deep_link.invalid", value=text))
            return
        try:
            client = clients.get_client(self.context.db, int(text))
        except ClientNotFound:
            self.notice.warn(t("portfolio.deep_link.unknown", value=text))
            return
        self.filters.clients.add(client["id"])

    def current_filter(self) -> CaseFilter:
        return self.filters.filters() if self.filters is not None else CaseFilter()

    def _filters_changed(self) -> None:
        self.page = 1
        self.notice.clear()
        self.download.value = ""
        self.refresh()

    def _order_changed(self, _change) -> None:
        self.page_size = self.size.value
        self.page = 1
        self.refresh()

    def go_to(self, page: int) -> None:
        self.page = page
        self.refresh()

    @guarded()
    def refresh(self) -> None:
        """Run the search for the current filters, order and page, and show the result."""
        if not self._ready:
            return
        filters = self.current_filter()
        with busy(self.previous, self.next, self.export_xlsx, self.export_csv):
            result = cases.search_cases(self.context.db, filters, page=max(1, self.page), page_size=self.page_size,
                                        sort=self.sort.value, descending=self.direction.value)
            if result.rows.empty and result.total and result.page > result.pages:
                result = cases.search_cases(self.context.db, filters, page=result.pages, page_size=self.page_size,
                                            sort=self.sort.value, descending=self.direction.value)
        self.rows = result.rows
        self.total = result.total
        self.page = result.page

        # The rows are sent before the count: the kernel sends widget updates in the order
        # they are made, so a count on screen never announces rows that are not shown yet.
        self.table.show(result.rows)
        count = formatting.number(result.total, self.context.locale)
        key = "portfolio.count.one" if result.total == 1 else "portfolio.count.many"
        self.count.value = f'<b class="ct-count">{esc(t(key, count=count))}</b>'
        self.page_label.value = t("portfolio.page", page=formatting.number(result.page, self.context.locale),
                                  pages=formatting.number(result.pages, self.context.locale))
        # busy() restores the buttons' enabled state; set the pager's afterwards.
        self.previous.disabled = result.page <= 1
        self.next.disabled = result.page >= result.pages

    # Row actions (admin and superadmin)

    def _case_row(self, case_id: int) -> dict:
        match = self.rows[self.rows["id"] == case_id]
        if match.empty:
            return cases.get_case(self.context.db, case_id) | {"client_name": None}
        return match.iloc[0].to_dict()

    @guarded()
    def toggle_status(self, case_id: int) -> None:
        """Deactivate an active case or reactivate an inactive one (the package writes the audit entry)."""
        case = self._case_row(case_id)
        target = "inactiva" if case["status"] == "activa" else "activa"
        buttons = list(self.table.buttons.get(case_id, {}).values())
        with busy(*buttons):
            cases.set_case_status(self.context.db, case_id, target, expected_version=int(case["version"]))
        message = "portfolio.deactivated" if target == "inactiva" else "portfolio.reactivated"
        self.notice.ok(t(message, number=case["case_number"]))
        self.refresh()

    @guarded()
    def open_link_panel(self, case_id: int) -> None:
        if self.link_panel is None:
            return
        self.link_panel.open_for(self._case_row(case_id))

    @guarded()
    def link(self, case_id: int, client_id: int | None) -> None:
        """Link the case to `client_id`, or unlink it with None (the package writes the audit entry)."""
        case = self._case_row(case_id)
        controls = [self.link_panel.save, self.link_panel.unlink] if self.link_panel else []
        with busy(*controls):
            cases.link_case(self.context.db, case_id, client_id, expected_version=int(case["version"]))
        if client_id is None:
            self.notice.ok(t("portfolio.unlinked", number=case["case_number"]))
        else:
            label = self.link_panel.picker.label_of(client_id) if self.link_panel else str(client_id)
            self.notice.ok(t("portfolio.linked", number=case["case_number"], client=label))
        if self.link_panel is not None:
            self.link_panel.close_panel()
        self.refresh()

    # Export

    def export_bytes(self, kind: str) -> tuple[str, bytes, int]:
        """Return (file name, content, rows) of the filtered result as 'xlsx' or 'csv', capped at export_limit."""
        if kind not in ("xlsx", "csv"):
            raise ValueError(f"kind must be 'xlsx' or 'csv', not {kind!r}")
        table = cases.export_table(self.context.db, self.current_filter(), sort=self.sort.value,
                                   descending=self.direction.value, limit=self.export_limit)
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M")
        filename = f"portafolio-{stamp}.{kind}"
        content = exporting.to_xlsx_bytes(table) if kind == "xlsx" else exporting.to_csv_bytes(table)
        return filename, content, len(table)

    def export(self, path: str | Path) -> Path:
        """Write exactly the filtered result to `path` (XLSX or CSV by extension), without the download cap."""
        return cases.write_cases(self.context.db, path, self.current_filter(), sort=self.sort.value,
                                 descending=self.direction.value)

    @guarded()
    def offer_download(self, kind: str) -> None:
        """Build the export and show it as a download link in the page."""
        self.download.value = ""
        with busy(self.export_xlsx, self.export_csv):
            filename, content, rows = self.export_bytes(kind)
        if rows == 0:
            self.notice.warn(t("portfolio.export.empty"))
            return
        if self.total > self.export_limit:
            self.notice.warn(t("portfolio.export.capped", total=formatting.number(self.total, self.context.locale),
                               limit=formatting.number(self.export_limit, self.context.locale)))
        mime = ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" if kind == "xlsx"
                else "text/csv;charset=utf-8")
        payload = base64.b64encode(content).decode("ascii")
        text = t("portfolio.export.link", filename=filename,
                 rows=t("portfolio.export.rows", count=formatting.number(rows, self.context.locale)))
        self.download.value = (f'<a class="ct-download" download="{esc(filename)}" '
                               f'href="data:{mime};base64,{payload}">{esc(text)}</a>')
