"""A client's change history (admins) and the trash of deleted clients (superadmin)."""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Callable

import ipywidgets as widgets

from .. import audit, clients, formatting, permissions
from ..errors import DuplicateTaxId
from ..i18n import add_messages, t
from ..identifiers import format_tax_id
from .base import AppContext, Notice, busy, esc, guarded
from .client_form import choice_label

log = logging.getLogger(__name__)

add_messages({
    "ui.history.title": {"es": "Historial de cambios de «{name}»", "en": "Change history of '{name}'"},
    "ui.history.empty": {"es": "Este cliente no tiene cambios registrados.", "en": "This client has no recorded changes."},
    "ui.history.when": {"es": "Fecha", "en": "When"},
    "ui.history.who": {"es": "Usuario", "en": "User"},
    "ui.history.what": {"es": "Acción", "en": "Action"},
    "ui.history.field": {"es": "Campo", "en": "Field"},
    "ui.history.before": {"es": "Antes", "en": "Before"},
    "ui.history.after": {"es": "Después", "en": "After"},
    "ui.history.deleted_at": {"es": "Fecha de eliminación", "en": "Deleted on"},
    "ui.history.blank": {"es": "(vacío)", "en": "(empty)"},
    "ui.history.no_field_changes": {"es": "Sin cambios en los campos.", "en": "No field changes."},
    "ui.history.source": {"es": "Origen: {source}", "en": "Source: {source}"},
    "ui.history.action.create": {"es": "Creación", "en": "Created"},
    "ui.history.action.update": {"es": "Modificación", "en": "Edited"},
    "ui.history.action.delete": {"es": "Eliminación", "en": "Deleted"},
    "ui.history.action.restore": {"es": "Restauración", "en": "Restored"},
    "ui.trash.title": {"es": "Papelera: clientes eliminados", "en": "Trash: deleted clients"},
    "ui.trash.search": {"es": "Buscar por nombre o identificador", "en": "Search by name or tax id"},
    "ui.trash.empty": {"es": "La papelera está vacía.", "en": "The trash is empty."},
    "ui.trash.restore": {"es": "Restaurar", "en": "Restore"},
    "ui.trash.deleted_by": {"es": "Eliminado el {when} por {user}", "en": "Deleted on {when} by {user}"},
    "ui.trash.restored": {"es": "Cliente «{name}» restaurado.", "en": "Client '{name}' restored."},
    "ui.trash.duplicate": {
        "es": "No se puede restaurar «{name}»: {reason} Cambie o elimine primero el otro cliente.",
        "en": "'{name}' cannot be restored: {reason} Change or delete the other client first.",
    },
    "ui.trash.more": {
        "es": "Se muestran {shown} de {total}; busque por nombre para encontrar otros.",
        "en": "Showing {shown} of {total}; search by name to find others.",
    },
})

# Snapshot keys that are bookkeeping, not fields a user edits.
_HIDDEN_KEYS = ("version",)


def _field_label(name: str) -> str:
    field = clients.FIELD_BY_NAME.get(name)
    if field is not None:
        return field.label
    if name == "deleted_at":
        return t("ui.history.deleted_at")
    return name


def _shown(name: str, value: object, locale: str) -> str:
    """Render one snapshot value of field `name` as text (the caller escapes it).

    Stored codes of choice fields ("vigente", "juridica") show as their labels in the current language.
    """
    if value is None or value == "":
        return t("ui.history.blank")
    field = clients.FIELD_BY_NAME.get(name)
    if field is not None and field.kind == "choice" and value in field.choices:
        return choice_label(str(value))
    if isinstance(value, str) and len(value) >= 10 and value[4:5] == "-" and value[7:8] == "-":
        try:
            if "T" in value:
                return formatting.datetime(dt.datetime.fromisoformat(value), locale)
            return formatting.date(value, locale)
        except ValueError:
            return value
    return str(value)


def _tax_shown(snapshot: dict | None, compact: object) -> object:
    """Format a stored tax id with the country and kind saved in the same snapshot."""
    if not compact or not snapshot:
        return compact
    return format_tax_id(snapshot.get("tax_country"), snapshot.get("tax_kind"), str(compact))


def _snapshot(text: object) -> dict | None:
    if text is None or (isinstance(text, float) and text != text):
        return None
    return json.loads(text) if isinstance(text, str) else dict(text)


class ClientHistory(widgets.VBox):
    """An admin's view of one client's audit entries: who changed what, when, before and after.

    A `usuario` (or unknown user) gets the permission message instead of the entries.
    `entries` holds what is shown: dicts with when, actor, action and changes.
    """

    def __init__(self, context: AppContext, client_id: int, *, limit: int = 200) -> None:
        self.context = context
        self.client_id = int(client_id)
        self.limit = limit
        self.entries: list[dict] = []
        self.notice = Notice()
        self.title = widgets.HTML()
        self.body = widgets.HTML()
        super().__init__([self.title, self.notice, self.body])
        self.add_class("ct-history")
        self.reload()

    @guarded()
    def reload(self) -> None:
        self.entries = []
        self.body.value = ""
        self.notice.clear()
        client = clients.get_client(self.context.db, self.client_id, include_deleted=True)
        self.title.value = f'<h3 class="ct-title">{esc(t("ui.history.title", name=client["name"]))}</h3>'
        frame = audit.history(self.context.db, entity="client", entity_id=self.client_id, limit=self.limit)
        for row in frame.itertuples(index=False):
            before, after = _snapshot(row.before), _snapshot(row.after)
            changes = [
                (name, _tax_shown(before, old) if name == "tax_id" else old,
                 _tax_shown(after, new) if name == "tax_id" else new)
                for name, old, new in audit.changes(before, after)
                if name not in _HIDDEN_KEYS and not (row.action == "create" and new is None)
            ]
            self.entries.append({
                "when": row.logged_at, "actor": row.actor, "action": row.action,
                "source": None if row.source != row.source else row.source, "changes": changes,
            })
        self.body.value = self._render()

    def _render(self) -> str:
        if not self.entries:
            return f'<div class="ct-muted">{esc(t("ui.history.empty"))}</div>'
        locale = self.context.locale
        parts = []
        for entry in self.entries:
            action = t(f"ui.history.action.{entry['action']}") if entry["action"] in (
                "create", "update", "delete", "restore") else entry["action"]
            heading = (
                f'<div class="ct-history-entry"><b>{esc(formatting.datetime(entry["when"], locale))}</b>'
                f' · {esc(entry["actor"] or "?")} · {esc(action)}'
            )
            if entry["source"]:
                heading += f' · <span class="ct-muted">{esc(t("ui.history.source", source=entry["source"]))}</span>'
            parts.append(heading + "</div>")
            if not entry["changes"]:
                parts.append(f'<div class="ct-muted">{esc(t("ui.history.no_field_changes"))}</div>')
                continue
            rows = "".join(
                f"<tr><td>{esc(_field_label(name))}</td><td>{esc(_shown(name, old, locale))}</td>"
                f"<td>{esc(_shown(name, new, locale))}</td></tr>"
                for name, old, new in entry["changes"]
            )
            parts.append(
                f'<table class="ct-history-changes"><thead><tr><th>{esc(t("ui.history.field"))}</th>'
                f'<th>{esc(t("ui.history.before"))}</th><th>{esc(t("ui.history.after"))}</th></tr></thead>'
                f"<tbody>{rows}</tbody></table>"
            )
        return "".join(parts)


class TrashPanel(widgets.VBox):
    """The superadmin's trash: deleted clients, each with a button that restores it.

    `on_restored(client)` runs after a successful restore, so the client list can reload.
    Other roles see the permission message and no buttons.
    """

    def __init__(self, context: AppContext, on_restored: Callable[[dict], None] | None = None,
                 *, page_size: int = 50) -> None:
        self.context = context
        self.on_restored = on_restored
        self.page_size = page_size
        self.notice = Notice()
        self.title = widgets.HTML(f'<h3 class="ct-title">{esc(t("ui.trash.title"))}</h3>')
        self.search = widgets.Text(placeholder=t("ui.trash.search"), continuous_update=False)
        self.search.observe(self._on_search, names="value")
        self.rows = widgets.VBox()
        self.restore_buttons: dict[int, widgets.Button] = {}
        super().__init__([self.title, self.search, self.notice, self.rows])
        self.add_class("ct-trash")
        self.reload()

    @property
    def allowed(self) -> bool:
        return permissions.can(self.context.role, "client.restore")

    @guarded()
    def reload(self) -> None:
        self.restore_buttons = {}
        self.rows.children = ()
        if not self.allowed:
            permissions.check(self.context.role, self.context.db.user, "client.restore")
        result = clients.list_clients(self.context.db, deleted=True, search=self.search.value,
                                      page_size=self.page_size, sort="updated_at", descending=True)
        if result.total == 0:
            self.rows.children = (widgets.HTML(f'<div class="ct-muted">{esc(t("ui.trash.empty"))}</div>'),)
            return
        children = []
        for record in result.rows.to_dict("records"):
            children.append(self._row(record))
        if result.total > len(children):
            children.append(widgets.HTML(
                f'<div class="ct-muted">{esc(t("ui.trash.more", shown=len(children), total=result.total))}</div>'))
        self.rows.children = tuple(children)

    def _row(self, record: dict) -> widgets.HBox:
        client_id = int(record["id"])
        deleted = t("ui.trash.deleted_by", when=formatting.datetime(record["deleted_at"], self.context.locale),
                    user=record["deleted_by"] if isinstance(record["deleted_by"], str) else "?")
        tax = record["tax_id_formatted"] or ""
        label = widgets.HTML(
            f'<div><b>{esc(record["name"])}</b> <span class="ct-muted">{esc(tax)}</span><br>'
            f'<span class="ct-muted">{esc(deleted)}</span></div>',
            layout=widgets.Layout(flex="1"),
        )
        button = widgets.Button(description=t("ui.trash.restore"), icon="undo")
        button.on_click(lambda _button, client_id=client_id: self.restore(client_id))
        self.restore_buttons[client_id] = button
        return widgets.HBox([label, button], layout=widgets.Layout(align_items="center", justify_content="space-between"))

    @guarded()
    def restore(self, client_id: int) -> None:
        """Restore one deleted client; a tax id now used by a live client is explained, not raised."""
        self.notice.clear()
        button = self.restore_buttons.get(client_id)
        controls = [button] if button is not None else []
        with busy(*controls):
            try:
                restored = clients.restore_client(self.context.db, client_id)
            except DuplicateTaxId as duplicate:
                name = clients.get_client(self.context.db, client_id, include_deleted=True)["name"]
                self.notice.error(t("ui.trash.duplicate", name=name, reason=str(duplicate)))
                return
        self.notice.ok(t("ui.trash.restored", name=restored["name"]))
        self.reload()
        if self.on_restored is not None:
            self.on_restored(restored)

    @guarded()
    def _on_search(self, _change) -> None:
        self.reload()
