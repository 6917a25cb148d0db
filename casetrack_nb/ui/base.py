"""Pieces every dashboard shares: the page style, the header, messages and busy states."""

from __future__ import annotations

import contextlib
import functools
import html
import logging
from dataclasses import dataclass
from typing import Callable, Iterator

import ipywidgets as widgets

from .. import settings, users
from ..errors import CasetrackError
from ..i18n import add_messages, get_language, set_language, t
from ..store import Database, open_database

log = logging.getLogger(__name__)

esc = html.escape

add_messages({
    "ui.nav.clients": {"es": "Administración › Clientes", "en": "Administration › Clients"},
    "ui.nav.portfolio": {"es": "Portafolio", "en": "Portfolio"},
    "ui.nav.importance": {"es": "Importancia", "en": "Importance"},
    "ui.nav.home": {"es": "Inicio", "en": "Home"},
    "ui.signed_in": {"es": "Usuario: {user} · Rol: {role}", "en": "User: {user} · Role: {role}"},
    "ui.read_only": {"es": "solo lectura", "en": "read-only"},
    "ui.busy": {"es": "Procesando…", "en": "Working…"},
    "ui.unexpected": {
        "es": "Ocurrió un error inesperado ({kind}). Los datos no se modificaron; vuelva a intentarlo "
        "y, si se repite, avise al administrador.",
        "en": "An unexpected error occurred ({kind}). No data was changed; try again and, if it "
        "happens again, tell the administrator.",
    },
    "ui.panel_failed": {
        "es": "Esta sección no se pudo cargar: {message}",
        "en": "This section could not be loaded: {message}",
    },
})

# Dashboard notebooks, as Voilà serves them from the notebooks/ folder.
PAGES = (
    ("home", "index.ipynb"),
    ("clients", "clientes.ipynb"),
    ("portfolio", "portafolio.ipynb"),
    ("importance", "importancia.ipynb"),
)

CSS = """
<style>
.ct-app { font-family: system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; color: #1f2933; }
.ct-header { border-bottom: 1px solid #d9e2ec; padding: 4px 0 8px 0; margin-bottom: 8px; }
.ct-nav a { margin-right: 18px; color: #1d4ed8; text-decoration: none; font-weight: 500; }
.ct-nav a.ct-active { color: #111827; border-bottom: 2px solid #1d4ed8; }
.ct-who { color: #52606d; font-size: 12px; }
.ct-title { font-size: 20px; font-weight: 600; margin: 6px 0; }
.ct-notice-ok { background: #e3f9e5; border-left: 4px solid #31a24c; padding: 6px 10px; }
.ct-notice-error { background: #fde8e8; border-left: 4px solid #c53030; padding: 6px 10px; }
.ct-notice-warn { background: #fff8e1; border-left: 4px solid #d69e2e; padding: 6px 10px; }
.ct-badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; }
.ct-badge-activa { background: #e3f9e5; color: #1e6b2f; }
.ct-badge-inactiva { background: #e5e7eb; color: #374151; }
.ct-field-error { color: #c53030; font-size: 12px; }
.ct-modal-backdrop { position: fixed !important; inset: 0; background: rgba(15, 23, 42, 0.45);
    z-index: 1000; display: flex !important; align-items: flex-start; justify-content: center;
    overflow-y: auto; padding-top: 40px; }
.ct-modal { background: white; border-radius: 8px; box-shadow: 0 10px 30px rgba(0,0,0,.3);
    padding: 16px 20px; max-width: 760px; width: 92vw; }
.ct-menu { position: absolute !important; right: 0; z-index: 50; background: white;
    border: 1px solid #d9e2ec; box-shadow: 0 4px 12px rgba(0,0,0,.15); border-radius: 6px; }
.ct-row:hover { background: #f5f7fa; }
.ct-cell { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.ct-headcell { font-weight: 600; color: #334e68; }
.ct-muted { color: #7b8794; }
</style>
"""


def stylesheet() -> widgets.HTML:
    return widgets.HTML(CSS)


@dataclass
class AppContext:
    """The start-up state of a dashboard: the database, the acting user, their role and the firm's settings."""

    db: Database
    role: str | None
    settings: dict[str, str]

    @property
    def can_write(self) -> bool:
        return self.role in ("superadmin", "admin")

    @property
    def locale(self) -> str:
        return self.settings["locale"]

    @property
    def case_label(self) -> str:
        return self.settings["case_label"]


def load_context(db: Database | None = None, *, user: str | None = None, language: str | None = None) -> AppContext:
    """Open the database (from $CASETRACK_DB by default), read the role and settings, set the language."""
    db = db or open_database(user=user)
    firm = settings.get_settings(db)
    set_language(language or firm["language"])
    return AppContext(db=db, role=users.current_role(db), settings=firm)


class Notice(widgets.HTML):
    """A one-line message area: success, warning or error, always escaped."""

    def ok(self, message: str) -> None:
        self.value = f'<div class="ct-notice-ok" role="status">{esc(message)}</div>'

    def warn(self, message: str) -> None:
        self.value = f'<div class="ct-notice-warn" role="alert">{esc(message)}</div>'

    def error(self, message: str) -> None:
        self.value = f'<div class="ct-notice-error" role="alert">{esc(message)}</div>'

    def clear(self) -> None:
        self.value = ""


def show_error(notice: Notice, error: BaseException) -> None:
    """Show a domain error's message, or a generic one (and log the traceback) for anything else."""
    if isinstance(error, CasetrackError):
        notice.error(str(error))
    else:
        log.exception("unexpected error in a dashboard callback")
        notice.error(t("ui.unexpected", kind=type(error).__name__))


def guarded(notice_attribute: str = "notice") -> Callable:
    """Decorate a widget callback so that any error lands in the component's notice, never as a traceback."""

    def decorate(method: Callable) -> Callable:
        @functools.wraps(method)
        def wrapper(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except Exception as error:  # the page must survive any failure in a callback
                show_error(getattr(self, notice_attribute), error)
                return None

        return wrapper

    return decorate


@contextlib.contextmanager
def busy(*controls: widgets.Widget) -> Iterator[None]:
    """Disable `controls` (and show 'Procesando…' on buttons) while the database works."""
    saved = []
    for control in controls:
        saved.append((control, control.disabled, getattr(control, "description", None)))
        control.disabled = True
        if isinstance(control, widgets.Button):
            control.description = t("ui.busy")
    try:
        yield
    finally:
        for control, disabled, description in saved:
            control.disabled = disabled
            if isinstance(control, widgets.Button):
                control.description = description


class PagerMixin:
    """Previous and next page callbacks for a component with a `page`, a `notice` and `reload()`."""

    page: int

    @guarded()
    def _on_previous(self, _button=None) -> None:
        self.page = max(1, self.page - 1)
        self.reload()

    @guarded()
    def _on_next(self, _button=None) -> None:
        self.page += 1
        self.reload()


class Header(widgets.VBox):
    """The header every dashboard carries: navigation, page title and who is signed in."""

    def __init__(self, context: AppContext, *, active: str, title: str) -> None:
        links = []
        for key, notebook in PAGES:
            label = t(f"ui.nav.{key}")
            css = ' class="ct-active" aria-current="page"' if key == active else ""
            links.append(f'<a href="{esc(notebook)}"{css}>{esc(label)}</a>')
        role = context.role or t("ui.read_only")
        who = t("ui.signed_in", user=context.db.user, role=role)
        self.nav = widgets.HTML(f'<nav class="ct-nav">{"".join(links)}</nav>')
        self.who = widgets.HTML(f'<div class="ct-who">{esc(who)}</div>')
        self.title = widgets.HTML(f'<h1 class="ct-title">{esc(title)}</h1>')
        super().__init__([self.nav, self.title, self.who])
        self.add_class("ct-header")


def failed_panel(error: BaseException) -> widgets.HTML:
    """Build a placeholder for a panel that could not be built, so the rest of the page still shows."""
    message = str(error) if isinstance(error, CasetrackError) else type(error).__name__
    if not isinstance(error, CasetrackError):
        log.exception("a dashboard panel failed to build")
    return widgets.HTML(f'<div class="ct-notice-error" role="alert">{esc(t("ui.panel_failed", message=message))}</div>')


def language() -> str:
    return get_language()
