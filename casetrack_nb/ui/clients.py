"""The "Administración › Clientes" dashboard: the paged client list, its dialogs and panels."""

from __future__ import annotations

import logging
from typing import Callable

import ipywidgets as widgets
import pandas as pd

from .. import clients, permissions
from ..errors import ClientHasCases, Conflict
from ..i18n import add_messages, t
from .base import AppContext, Header, Notice, PagerMixin, busy, esc, failed_panel, guarded, load_context, stylesheet
from .client_cases import ClientCasesPanel
from .client_form import ClientForm, ConfirmDialog, choice_label
from .history import ClientHistory, TrashPanel
from .importer import ImportPanel

log = logging.getLogger(__name__)

add_messages({
    "ui.clients.add": {"es": "+ Agregar Cliente", "en": "+ Add Client"},
    "ui.clients.refresh": {"es": "Actualizar", "en": "Refresh"},
    "ui.clients.search": {"es": "Buscar", "en": "Search"},
    "ui.clients.search_placeholder": {
        "es": "Nombre, identificador, código interno o grupo",
        "en": "Name, tax id, internal code or group",
    },
    "ui.clients.col.name": {"es": "Nombre", "en": "Name"},
    "ui.clients.col.tax_id": {"es": "Identificador tributario", "en": "Tax id"},
    "ui.clients.col.client_group": {"es": "Grupo", "en": "Group"},
    "ui.clients.col.industry": {"es": "Rubro", "en": "Industry"},
    "ui.clients.col.responsible_partner": {"es": "Responsable", "en": "Responsible"},
    "ui.clients.col.status": {"es": "Estado", "en": "Status"},
    "ui.clients.options": {"es": "Opciones de «{name}»", "en": "Options for '{name}'"},
    "ui.clients.count_tooltip": {"es": "Ver {label} de «{name}»", "en": "Show {label} of '{name}'"},
    "ui.clients.edit": {"es": "Editar", "en": "Edit"},
    "ui.clients.delete": {"es": "Eliminar", "en": "Delete"},
    "ui.clients.history": {"es": "Historial", "en": "History"},
    "ui.clients.trash": {"es": "Papelera", "en": "Trash"},
    "ui.clients.import": {"es": "Importar archivo…", "en": "Import a file…"},
    "ui.clients.page": {"es": "Página {page} de {pages}", "en": "Page {page} of {pages}"},
    "ui.clients.total": {"es": "{total} clientes", "en": "{total} clients"},
    "ui.clients.total_one": {"es": "1 cliente", "en": "1 client"},
    "ui.clients.previous": {"es": "‹ Anterior", "en": "‹ Previous"},
    "ui.clients.next": {"es": "Siguiente ›", "en": "Next ›"},
    "ui.clients.empty": {"es": "No hay clientes que coincidan con la búsqueda.", "en": "No clients match the search."},
    "ui.clients.changed_before_delete": {
        "es": "«{name}» cambió después de cargar la lista, así que no se eliminó. La lista ya muestra "
        "la versión actual; revísela y vuelva a intentarlo.",
        "en": "'{name}' changed after the list was loaded, so it was not deleted. The list now shows "
        "the current version; check it and try again.",
    },
    "ui.clients.none": {
        "es": "Aún no hay clientes. Agréguelos con «+ Agregar Cliente» o impórtelos con «Importar».",
        "en": "There are no clients yet. Add them with '+ Add Client' or import them with 'Import'.",
    },
    "ui.clients.saved": {"es": "Cliente «{name}» guardado.", "en": "Client '{name}' saved."},
    "ui.clients.deleted": {"es": "Cliente «{name}» eliminado.", "en": "Client '{name}' deleted."},
    "ui.clients.refreshed": {"es": "Lista actualizada.", "en": "List refreshed."},
    "ui.clients.close_panel": {"es": "Cerrar", "en": "Close"},
})

# Text columns of the list, by sort key. The case count and the options menu follow them.
TEXT_COLUMNS = ("name", "tax_id", "client_group", "industry", "responsible_partner", "status")
TEXT_GRID = "minmax(0, 2.2fr) 160px minmax(0, 1fr) minmax(0, 1fr) minmax(0, 1fr) 96px"
COUNT_WIDTH = "190px"
MENU_WIDTH = "48px"

LOCAL_CSS = f"""
<style>
.ct-text-cells {{ display: grid; grid-template-columns: {TEXT_GRID}; gap: 8px; align-items: center;
    flex: 1 1 auto; min-width: 0; }}
.ct-text-cells > div {{ overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }}
.ct-line {{ border-bottom: 1px solid #eef2f6; padding: 2px 0; }}
.ct-sort.jupyter-button {{ white-space: normal !important; overflow-wrap: break-word; height: auto !important; min-height: 28px; line-height: 1.2;
    text-align: left; background: transparent; font-weight: 600; color: #334e68; padding: 2px 4px; }}
.ct-count.jupyter-button {{ text-decoration: underline; color: #1d4ed8; background: transparent; }}
.ct-row-menu {{ justify-content: flex-end; gap: 6px; padding: 4px 0 6px 0; background: #f5f7fa; }}
.ct-field-warning {{ color: #975a16; font-size: 12px; }}
.ct-cases-table {{ border-collapse: collapse; width: 100%; font-size: 13px; }}
.ct-cases-table th, .ct-cases-table td {{ text-align: left; padding: 3px 8px; border-bottom: 1px solid #eef2f6; }}
.ct-cases-table .ct-amount {{ text-align: right; white-space: nowrap; }}
.ct-history-changes {{ border-collapse: collapse; margin: 4px 0 12px 0; font-size: 13px; }}
.ct-history-changes th, .ct-history-changes td {{ text-align: left; padding: 3px 12px 3px 0;
    border-bottom: 1px solid #eef2f6; vertical-align: top; }}
.ct-history-changes th {{ color: #334e68; }}
.ct-gap {{ gap: 8px; }}
</style>
"""

# One Layout object shared by every cell of a kind keeps the number of widget models low.
_COUNT_LAYOUT = widgets.Layout(width=COUNT_WIDTH)
_MENU_LAYOUT = widgets.Layout(width=MENU_WIDTH)


def _wrappable(label: str) -> str:
    """Put a zero-width space after each "/" so a label such as "Causas/Procesos/Casos/Expediente"
    wraps between its words instead of inside one."""
    return label.replace("/", "/\u200b")


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value)


class ClientRow(widgets.VBox):
    """One client in the list: six text cells, the case count button and the options menu."""

    def __init__(self, client: dict, *, case_label: str, menu_items: tuple[str, ...],
                 on_count: Callable[[dict], None], on_menu: Callable[[dict, str], None]) -> None:
        self.client = client
        self.menu_items = menu_items
        self._on_menu = on_menu
        self.edit_button: widgets.Button | None = None
        self.delete_button: widgets.Button | None = None
        self.history_button: widgets.Button | None = None
        self.menu: widgets.HBox | None = None

        status = client.get("status")
        texts = [
            client["name"],
            _text(client.get("tax_id_formatted")),
            _text(client.get("client_group")),
            _text(client.get("industry")),
            _text(client.get("responsible_partner")),
            choice_label(status) if isinstance(status, str) else "",
        ]
        cells = "".join(f'<div title="{esc(text)}">{esc(text)}</div>' for text in texts)
        self.cells = widgets.HTML(f'<div class="ct-text-cells">{cells}</div>', layout=widgets.Layout(flex="1 1 auto"))
        self.count_button = widgets.Button(
            description=str(client["total_cases"]), layout=_COUNT_LAYOUT,
            tooltip=t("ui.clients.count_tooltip", label=case_label.lower(), name=client["name"]),
        )
        self.count_button.add_class("ct-count")
        self.count_button.on_click(lambda _button: on_count(self.client))
        line = [self.cells, self.count_button]
        self.menu_button = None
        if menu_items:
            self.menu_button = widgets.Button(description="⋮", layout=_MENU_LAYOUT,
                                              tooltip=t("ui.clients.options", name=client["name"]))
            self.menu_button.on_click(self._toggle_menu)
            line.append(self.menu_button)
        self.line = widgets.HBox(line, layout=widgets.Layout(align_items="center"))
        self.line.add_class("ct-line")
        super().__init__([self.line])
        self.add_class("ct-row")

    def _toggle_menu(self, _button=None) -> None:
        if self.menu is None:
            buttons = []
            for item in self.menu_items:
                button = widgets.Button(description=t(f"ui.clients.{item}"))
                button.on_click(lambda _b, item=item: self._on_menu(self.client, item))
                setattr(self, f"{item}_button", button)
                buttons.append(button)
            self.menu = widgets.HBox(buttons)
            self.menu.add_class("ct-row-menu")
        self.children = [self.line] if self.menu_open else [self.line, self.menu]

    @property
    def menu_open(self) -> bool:
        return self.menu is not None and self.menu in self.children

    def close_widgets(self) -> None:
        """Close the row's widget models (the page is rebuilt on every reload)."""
        for widget in (self.menu, self.edit_button, self.delete_button, self.history_button,
                       self.menu_button, self.count_button, self.cells, self.line):
            if widget is not None:
                widget.close()
        self.close()


class ClientTable(PagerMixin, widgets.VBox):
    """The client list: search, sortable headers, 25 rows a page, pager; every query runs in DuckDB."""

    page_size = 25

    def __init__(self, context: AppContext, *, menu_items: tuple[str, ...],
                 on_count: Callable[[dict], None], on_menu: Callable[[dict, str], None]) -> None:
        self.context = context
        self.menu_items = menu_items
        self.on_count = on_count
        self.on_menu = on_menu
        self.page = 1
        self.sort = "name"
        self.descending = False
        self.rows: list[ClientRow] = []
        self.result: clients.ClientPage | None = None

        self.notice = Notice()
        self.search = widgets.Text(placeholder=t("ui.clients.search_placeholder"), continuous_update=False,
                                   layout=widgets.Layout(width="340px"))
        self.search.observe(self._on_search, names="value")
        self.search_button = widgets.Button(description=t("ui.clients.search"), icon="search")
        self.search_button.on_click(self._on_search_click)

        self.header_buttons: dict[str, widgets.Button] = {}
        for key in (*TEXT_COLUMNS, "total_cases"):
            title = context.case_label if key == "total_cases" else t(f"ui.clients.col.{key}")
            button = widgets.Button(description=_wrappable(title), tooltip=title,
                                    layout=_COUNT_LAYOUT if key == "total_cases" else widgets.Layout(width="auto"))
            button.add_class("ct-sort")
            button.on_click(lambda _b, key=key: self.sort_by(key))
            self.header_buttons[key] = button
        text_headers = widgets.GridBox([self.header_buttons[key] for key in TEXT_COLUMNS],
                                       layout=widgets.Layout(grid_template_columns=TEXT_GRID, grid_gap="8px",
                                                             flex="1 1 auto"))
        header_line = [text_headers, self.header_buttons["total_cases"]]
        if menu_items:
            header_line.append(widgets.HTML("", layout=_MENU_LAYOUT))
        self.header = widgets.HBox(header_line, layout=widgets.Layout(align_items="flex-end"))
        self.header.add_class("ct-line")

        self.body = widgets.VBox()
        self.empty = widgets.HTML()
        self.total_label = widgets.HTML()
        self.page_label = widgets.HTML()
        self.previous_button = widgets.Button(description=t("ui.clients.previous"))
        self.next_button = widgets.Button(description=t("ui.clients.next"))
        self.previous_button.on_click(self._on_previous)
        self.next_button.on_click(self._on_next)
        pager = widgets.HBox([self.total_label, self.previous_button, self.page_label, self.next_button],
                             layout=widgets.Layout(align_items="center", margin="8px 0"))
        pager.add_class("ct-gap")
        super().__init__([self.notice, self.header, self.body, self.empty, pager])
        self.add_class("ct-client-table")
        self._show_sort()

    @guarded()
    def reload(self) -> None:
        """Query the current page again (other tabs' changes show up here)."""
        self.notice.clear()
        with busy(self.previous_button, self.next_button, self.search_button):
            result = clients.list_clients(self.context.db, search=self.search.value, page=self.page,
                                          page_size=self.page_size, sort=self.sort, descending=self.descending)
            if result.rows.empty and result.total and self.page > 1:
                # The page emptied (deletions elsewhere): show the last page that has rows.
                self.page = result.pages
                result = clients.list_clients(self.context.db, search=self.search.value, page=self.page,
                                              page_size=self.page_size, sort=self.sort, descending=self.descending)
        self.result = result
        self._render(result)

    def _render(self, result: clients.ClientPage) -> None:
        old_rows = self.rows
        self.rows = [
            ClientRow(record, case_label=self.context.case_label, menu_items=self.menu_items,
                      on_count=self.on_count, on_menu=self.on_menu)
            for record in _records(result.rows)
        ]
        self.body.children = self.rows
        for row in old_rows:
            row.close_widgets()

        empty_key = "ui.clients.empty" if self.search.value.strip() else "ui.clients.none"
        self.empty.value = "" if self.rows else f'<p class="ct-muted">{esc(t(empty_key))}</p>'
        total = t("ui.clients.total_one") if result.total == 1 else t("ui.clients.total", total=result.total)
        self.total_label.value = esc(total)
        self.page_label.value = esc(t("ui.clients.page", page=result.page, pages=result.pages))
        self.previous_button.disabled = result.page <= 1
        self.next_button.disabled = result.page >= result.pages

    def sort_by(self, key: str) -> None:
        """Sort by a column; choosing the current column again flips the direction."""
        if key not in clients.SORTS:
            raise ValueError(f"sort key must be one of {sorted(clients.SORTS)}, not {key!r}")
        self.descending = not self.descending if key == self.sort else key == "total_cases"
        self.sort = key
        self.page = 1
        self._show_sort()
        self.reload()

    def _show_sort(self) -> None:
        for key, button in self.header_buttons.items():
            title = _wrappable(self.context.case_label) if key == "total_cases" else t(f"ui.clients.col.{key}")
            arrow = ""
            if key == self.sort:
                arrow = " ▼" if self.descending else " ▲"
            button.description = title + arrow

    def _on_search(self, _change) -> None:
        self.page = 1
        self.reload()

    @guarded()
    def _on_search_click(self, _button=None) -> None:
        self.page = 1
        self.reload()


def _records(frame: pd.DataFrame) -> list[dict]:
    records = frame.to_dict("records")
    for record in records:
        record["id"] = int(record["id"])
        record["version"] = int(record["version"])
        record["total_cases"] = int(record["total_cases"])
    return records


class ClientsApp(widgets.VBox):
    """Administración › Clientes: list, search, add, edit, delete, and each client's cases."""

    def __init__(self, context: AppContext) -> None:
        self.context = context
        role = context.role
        self.can_write = permissions.can(role, "client.write")
        self.notice = Notice()

        menu_items: tuple[str, ...] = ()
        if self.can_write:
            menu_items = ("edit", "delete")
        if permissions.can(role, "audit.read"):
            menu_items += ("history",)

        self.header = Header(context, active="clients", title=t("ui.nav.clients"))
        self.add_button = None
        self.form = None
        self.confirm = None
        toolbar_right: list[widgets.Widget] = []
        if self.can_write:
            self.add_button = widgets.Button(description=t("ui.clients.add"), button_style="primary")
            self.add_button.on_click(self._on_add)
            self.form = ClientForm(context, on_saved=self._on_saved, on_conflict=self._on_conflict)
            self.confirm = ConfirmDialog()
            toolbar_right.append(self.add_button)
        self.refresh_button = widgets.Button(description=t("ui.clients.refresh"), icon="refresh")
        self.refresh_button.on_click(self._on_refresh)

        # Import, trash and history open one at a time in this area, above the list.
        self.import_button = None
        self.trash_button = None
        if permissions.can(role, "import"):
            self.import_button = widgets.Button(description=t("ui.clients.import"), icon="upload",
                                                layout=widgets.Layout(width="auto"))
            self.import_button.on_click(self._on_import)
            toolbar_right.insert(0, self.import_button)
        if permissions.can(role, "client.restore"):
            self.trash_button = widgets.Button(description=t("ui.clients.trash"), icon="trash")
            self.trash_button.on_click(self._on_trash)
            toolbar_right.insert(0, self.trash_button)
        # One panel at a time shows above the list, so it is in view when the user opens it:
        # a client's cases, or import, trash or history (`side_panel`, closed when replaced).
        self.side_panel: widgets.Widget | None = None
        self.close_panel_button = widgets.Button(description=t("ui.clients.close_panel"), icon="times")
        self.close_panel_button.on_click(self._on_close_panel)
        self.side_area = widgets.VBox()
        self.panel_area = widgets.VBox(layout=widgets.Layout(margin="0 0 8px 0"))

        panels: list[widgets.Widget] = []
        try:
            self.table = ClientTable(context, menu_items=menu_items, on_count=self._on_count, on_menu=self._on_menu)
            panels.append(self.table)
        except Exception as error:  # the rest of the page must still show
            self.table = None
            panels.append(failed_panel(error))
        try:
            self.cases_panel = ClientCasesPanel(context)
            self.panel_area.children = [self.cases_panel, self.side_area]
        except Exception as error:
            self.cases_panel = None
            self.panel_area.children = [failed_panel(error), self.side_area]

        left = [self.table.search, self.table.search_button] if self.table else []
        search_box = widgets.HBox([*left, self.refresh_button], layout=widgets.Layout(align_items="center"))
        actions = widgets.HBox(toolbar_right)
        search_box.add_class("ct-gap")
        actions.add_class("ct-gap")
        toolbar = widgets.HBox(
            [search_box, actions],
            layout=widgets.Layout(justify_content="space-between", align_items="center", margin="4px 0 8px 0"),
        )
        modals = [dialog for dialog in (self.form, self.confirm) if dialog is not None]
        super().__init__([stylesheet(), widgets.HTML(LOCAL_CSS), self.header, toolbar, self.notice, self.panel_area,
                          *panels, *modals])
        self.add_class("ct-app")
        if self.table is not None:
            self.table.reload()

    @classmethod
    def from_environment(cls) -> widgets.Widget:
        """Build the dashboard for $CASETRACK_DB and the signed-in user, or a page explaining the failure."""
        try:
            return cls(load_context())
        except Exception as error:  # e.g. a busy or newer database: show why instead of a traceback
            return widgets.VBox([stylesheet(), failed_panel(error)])

    # Callbacks ------------------------------------------------------------------------------

    @guarded()
    def _on_add(self, _button=None) -> None:
        self.notice.clear()
        permissions.check(self.context.role, self.context.db.user, "client.write")
        self.form.open_new()

    @guarded()
    def _on_refresh(self, _button=None) -> None:
        with busy(self.refresh_button):
            self.table.reload()
            if self.cases_panel is not None and self.cases_panel.client_id is not None:
                self.cases_panel.reload()
        self.notice.ok(t("ui.clients.refreshed"))

    @guarded()
    def _on_saved(self, record: dict) -> None:
        self.notice.ok(t("ui.clients.saved", name=record["name"]))
        self.table.reload()

    @guarded()
    def _on_conflict(self) -> None:
        if self.table is not None:
            self.table.reload()

    @guarded()
    def _on_count(self, client: dict) -> None:
        self.hide_panel()
        self.cases_panel.show_client(client["id"], client["name"])
        # Moving the focus into the panel makes the browser scroll up to it when the
        # count was clicked far down the list.
        self.cases_panel.close_button.focus()

    def show_panel(self, panel: widgets.Widget) -> None:
        """Show `panel` above the list in place of the previous one (or of the client's cases)."""
        self.hide_panel()
        if self.cases_panel is not None:
            self.cases_panel.hide()
        self.side_panel = panel
        close_line = widgets.HBox([self.close_panel_button], layout=widgets.Layout(justify_content="flex-end"))
        self.side_area.children = [close_line, panel]
        self.side_area.layout.border = "1px solid #d9e2ec"
        self.side_area.layout.padding = "8px 12px"

    def hide_panel(self) -> None:
        if self.side_panel is not None:
            self.side_panel.close()
        self.side_panel = None
        self.side_area.children = []
        self.side_area.layout.border = None
        self.side_area.layout.padding = None

    @guarded()
    def _on_close_panel(self, _button=None) -> None:
        self.hide_panel()

    @guarded()
    def _on_import(self, _button=None) -> None:
        with busy(self.import_button):
            self.show_panel(ImportPanel(self.context, on_imported=self.table.reload))

    @guarded()
    def _on_trash(self, _button=None) -> None:
        with busy(self.trash_button):
            self.show_panel(TrashPanel(self.context, on_restored=lambda _client: self.table.reload()))

    @guarded()
    def _on_menu(self, client: dict, item: str) -> None:
        self.notice.clear()
        # The menu only offers what the role allows; this also covers a handler called directly.
        permissions.check(self.context.role, self.context.db.user, "audit.read" if item == "history" else "client.write")
        if item == "history":
            self.show_panel(ClientHistory(self.context, client["id"]))
        elif item == "edit":
            self.form.open_edit(clients.get_client(self.context.db, client["id"]))
        elif item == "delete" and client["total_cases"] > 0:
            # The list already counts the cases: refuse now, with the package's message, instead
            # of asking first. NOTE: keep these parameters in step with clients.delete_client.
            refusal = ClientHasCases(name=client["name"], count=client["total_cases"], label=self.context.case_label)
            self.confirm.refuse(title=t("ui.confirm.delete_title"), message=str(refusal))
        elif item == "delete":
            self.confirm.ask(
                title=t("ui.confirm.delete_title"),
                question=t("ui.confirm.delete_question", name=client["name"]),
                confirm_label=t("ui.confirm.yes_delete"),
                on_confirm=lambda: self._delete(client),
            )

    def _delete(self, client: dict) -> bool:
        """Delete the client; return False (message in the dialog) when it has cases by now."""
        try:
            clients.delete_client(self.context.db, client["id"], expected_version=client["version"])
        except ClientHasCases as refusal:
            self.confirm.notice.error(str(refusal))
            return False
        except Conflict:
            # Someone saved the client after this list was loaded: show the newer version
            # instead of deleting what the user has not seen.
            self.confirm.notice.error(t("ui.clients.changed_before_delete", name=client["name"]))
            self.table.reload()
            return False
        self.notice.ok(t("ui.clients.deleted", name=client["name"]))
        self.table.reload()
        return True
