"""One client's cases, opened from the count in the client list."""

from __future__ import annotations

from urllib.parse import urlencode

import ipywidgets as widgets
import pandas as pd

from .. import cases, formatting
from ..i18n import add_messages, t
from .base import AppContext, Notice, PagerMixin, busy, esc, guarded

add_messages({
    "ui.cases.title": {"es": "{label} de «{name}»", "en": "{label} of '{name}'"},
    "ui.cases.filter.activa": {"es": "Activa", "en": "Active"},
    "ui.cases.filter.inactiva": {"es": "Inactiva", "en": "Inactive"},
    "ui.cases.filter.all": {"es": "Todos los estados", "en": "All statuses"},
    "ui.cases.status.activa": {"es": "Activa", "en": "Active"},
    "ui.cases.status.inactiva": {"es": "Inactiva", "en": "Inactive"},
    "ui.cases.summary": {
        "es": "{shown} de {total} · página {page} de {pages}",
        "en": "{shown} of {total} · page {page} of {pages}",
    },
    "ui.cases.empty": {"es": "Este cliente no tiene {label} con este filtro.", "en": "This client has no cases with this filter."},
    "ui.cases.portfolio_link": {"es": "Ver en el Portafolio (filtros avanzados) →", "en": "Open in the Portfolio (advanced filters) →"},
    "ui.cases.close": {"es": "Cerrar", "en": "Close"},
    "ui.cases.previous": {"es": "‹ Anterior", "en": "‹ Previous"},
    "ui.cases.next": {"es": "Siguiente ›", "en": "Next ›"},
})

# Status filter values given to cases.client_cases; None lists both.
FILTERS = ("all", "activa", "inactiva")
COLUMNS = ("case_number", "title", "court", "matter", "stage", "status", "opened_on", "closed_on", "amount")


# The `estado` values the Portafolio page reads, by this panel's status filter.
PORTFOLIO_STATUS = {"all": "todas", "activa": "activas", "inactiva": "inactivas"}


def portfolio_url(client_id: int, status: str = "all") -> str:
    """Return the Portafolio dashboard's address filtered by one client and status, relative to this page.

    `status` is one of FILTERS, so the Portafolio shows the same cases as this panel.
    """
    return "portafolio.ipynb?" + urlencode({"cliente": int(client_id), "estado": PORTFOLIO_STATUS[status]})


class ClientCasesPanel(PagerMixin, widgets.VBox):
    """A client's active and inactive cases with a status filter, paged in DuckDB."""

    page_size = 50

    def __init__(self, context: AppContext) -> None:
        self.context = context
        self.client_id: int | None = None
        self.client_name = ""
        self.page = 1
        self.frame = pd.DataFrame()
        self.total = 0

        self.title = widgets.HTML()
        self.status_filter = widgets.ToggleButtons(
            options=[(t(f"ui.cases.filter.{key}"), key) for key in FILTERS], value="all",
            style={"button_width": "auto"},
        )
        self.status_filter.observe(self._on_filter, names="value")
        self.close_button = widgets.Button(description=t("ui.cases.close"), icon="times")
        self.close_button.on_click(self._on_close)
        self.link = widgets.HTML()
        self.notice = Notice()
        self.table = widgets.HTML()
        self.summary = widgets.HTML()
        self.previous_button = widgets.Button(description=t("ui.cases.previous"))
        self.next_button = widgets.Button(description=t("ui.cases.next"))
        self.previous_button.on_click(self._on_previous)
        self.next_button.on_click(self._on_next)

        top = widgets.HBox([self.title, widgets.HBox([self.close_button])],
                           layout=widgets.Layout(justify_content="space-between", align_items="center"))
        controls = widgets.HBox([self.status_filter, self.link], layout=widgets.Layout(align_items="center"))
        pager = widgets.HBox([self.previous_button, self.summary, self.next_button],
                             layout=widgets.Layout(align_items="center"))
        controls.add_class("ct-gap")
        pager.add_class("ct-gap")
        super().__init__([top, controls, self.notice, self.table, pager],
                         layout=widgets.Layout(border="1px solid #d9e2ec", padding="8px 12px", margin="0 0 8px 0"))
        self.add_class("ct-client-cases")
        self.layout.display = "none"

    def show_client(self, client_id: int, name: str) -> None:
        """Open the panel on a client, with both active and inactive cases listed."""
        self.client_id = int(client_id)
        self.client_name = name
        self.page = 1
        label = self.context.case_label
        self.title.value = f'<h3 class="ct-title">{esc(t("ui.cases.title", label=label, name=name))}</h3>'
        self.layout.display = None
        if self.status_filter.value != "all":
            self.status_filter.value = "all"  # the observer reloads
        else:
            self.reload()

    @guarded()
    def reload(self) -> None:
        if self.client_id is None:
            return
        self.notice.clear()
        self.link.value = (f'<a href="{esc(portfolio_url(self.client_id, self.status_filter.value))}" target="_top">'
                           f'{esc(t("ui.cases.portfolio_link"))}</a>')
        status = None if self.status_filter.value == "all" else self.status_filter.value
        with busy(self.status_filter, self.previous_button, self.next_button):
            result = cases.client_cases(self.context.db, self.client_id, status=status,
                                        page=self.page, page_size=self.page_size)
        self.frame = result.rows
        self.total = result.total
        self.table.value = self._render(result.rows)
        self.summary.value = esc(t("ui.cases.summary", shown=len(result.rows), total=result.total,
                                   page=result.page, pages=result.pages))
        self.previous_button.disabled = result.page <= 1
        self.next_button.disabled = result.page >= result.pages

    def _render(self, frame: pd.DataFrame) -> str:
        if frame.empty:
            return f'<p class="ct-muted">{esc(t("ui.cases.empty", label=self.context.case_label.lower()))}</p>'
        locale = self.context.locale
        head = "".join(
            f'<th class="ct-amount">{esc(cases.label(column))}</th>' if column == "amount"
            else f"<th>{esc(cases.label(column))}</th>"
            for column in COLUMNS
        )
        body = []
        for row in frame.itertuples(index=False):
            cells = []
            for column in COLUMNS:
                value = getattr(row, column)
                if column == "status":
                    text = t(f"ui.cases.status.{value}")
                    cells.append(f'<td><span class="ct-badge ct-badge-{esc(value)}">{esc(text)}</span></td>')
                    continue
                if column in ("opened_on", "closed_on"):
                    text = formatting.date(value, locale)
                elif column == "amount":
                    text = formatting.money(value, row.currency if isinstance(row.currency, str) else None, locale)
                    cells.append(f'<td class="ct-amount">{esc(text)}</td>')
                    continue
                else:
                    text = "" if value is None or value != value else str(value)
                cells.append(f"<td>{esc(text)}</td>")
            body.append(f'<tr class="ct-case-row">{"".join(cells)}</tr>')
        return (f'<table class="ct-cases-table"><thead><tr>{head}</tr></thead>'
                f'<tbody>{"".join(body)}</tbody></table>')

    def _on_filter(self, _change) -> None:
        self.page = 1
        self.reload()

    def hide(self) -> None:
        """Hide the panel; it stays built so the next count click only reloads it."""
        self.client_id = None
        self.layout.display = "none"

    @guarded()
    def _on_close(self, _button=None) -> None:
        self.hide()
