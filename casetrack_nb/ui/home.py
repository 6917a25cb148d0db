"""The landing page served at the root address: the header and one card per dashboard.

The card texts embed the firm's case label ("Causas", "Procesos", "Expedientes" or the
default "Causas/Procesos/Casos/Expediente"), so no article or adjective agrees with it.
"""

from __future__ import annotations

import ipywidgets as widgets

from ..i18n import add_messages, t
from .base import PAGES, AppContext, Header, esc, failed_panel, load_context, stylesheet

add_messages({
    "ui.home.title": {"es": "casetrack · Inicio", "en": "casetrack · Home"},
    "ui.home.clients": {
        "es": "Registrar, editar y eliminar clientes, y ver {label} de cada uno.",
        "en": "Register, edit and delete clients, and see each one's cases ({label}).",
    },
    "ui.home.portfolio": {
        "es": "{Label} con filtros avanzados (por cliente, tribunal, materia, fechas, cuantía).",
        "en": "Every case ({label}) with advanced filters (client, court, matter, dates, amount).",
    },
    "ui.home.importance": {
        "es": "La importancia de cada cliente en el portafolio: {label}, cuantías y concentración.",
        "en": "Each client's importance in the portfolio: cases ({label}), amounts and concentration.",
    },
})

HOME_CSS = """
<style>
.ct-cards { display: flex; flex-wrap: wrap; gap: 16px; margin-top: 12px; }
.ct-card { display: block; width: 280px; border: 1px solid #d9e2ec; border-radius: 8px; padding: 14px 16px;
    text-decoration: none; color: #1f2933; background: #fff; }
.ct-card:hover { border-color: #1d4ed8; box-shadow: 0 2px 8px rgba(29, 78, 216, .15); }
.ct-card h2 { font-size: 16px; margin: 0 0 6px 0; color: #1d4ed8; }
.ct-card p { margin: 0; font-size: 13px; color: #52606d; }
</style>
"""


class HomeApp(widgets.VBox):
    """Links to the three dashboards, under the header every dashboard carries."""

    def __init__(self, context: AppContext) -> None:
        self.context = context
        self.header = Header(context, active="home", title=t("ui.home.title"))
        label = context.case_label
        cards = []
        for key, notebook in PAGES:
            if key == "home":  # the page itself: the header already links to it
                continue
            text = t(f"ui.home.{key}", label=label.lower(), Label=label)
            cards.append(
                f'<a class="ct-card" href="{esc(notebook)}"><h2>{esc(t(f"ui.nav.{key}"))}</h2>'
                f'<p>{esc(text)}</p></a>'
            )
        self.cards = widgets.HTML(f'<div class="ct-cards">{"".join(cards)}</div>')
        super().__init__([stylesheet(), widgets.HTML(HOME_CSS), self.header, self.cards])
        self.add_class("ct-app")

    @classmethod
    def from_environment(cls) -> widgets.Widget:
        """Build the page for $CASETRACK_DB and the signed-in user, or a page explaining the failure."""
        try:
            return cls(load_context())
        except Exception as error:  # a busy or unreadable database: show the reason instead of a traceback
            return widgets.VBox([stylesheet(), failed_panel(error)])
