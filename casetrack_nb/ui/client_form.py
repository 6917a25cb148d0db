"""The client dialog ("+ Agregar Cliente" and "Editar"), and the yes/no dialog used to delete."""

from __future__ import annotations

import logging
from typing import Any, Callable

import ipywidgets as widgets

from .. import clients, formatting
from ..errors import ConfirmationRequired, Conflict, ValidationError
from ..i18n import add_messages, get_language, t
from ..identifiers import COUNTRIES, KINDS
from .base import AppContext, Notice, busy, esc, guarded

log = logging.getLogger(__name__)

add_messages({
    "ui.form.add_title": {"es": "Agregar cliente", "en": "Add client"},
    "ui.form.edit_title": {"es": "Editar cliente «{name}»", "en": "Edit client '{name}'"},
    "ui.form.required_hint": {
        "es": "Solo el nombre es obligatorio; el resto de los datos es opcional.",
        "en": "Only the name is required; everything else is optional.",
    },
    "ui.form.save": {"es": "Guardar", "en": "Save"},
    "ui.form.save_anyway": {"es": "Guardar de todos modos", "en": "Save anyway"},
    "ui.form.cancel": {"es": "Cancelar", "en": "Cancel"},
    "ui.form.fix_fields": {
        "es": "Revise los campos marcados en rojo y vuelva a guardar.",
        "en": "Check the fields marked in red and save again.",
    },
    "ui.form.confirm_warnings": {
        "es": "Revise las advertencias. Si los datos son correctos, pulse «Guardar de todos modos».",
        "en": "Review the warnings. If the data is right, click 'Save anyway'.",
    },
    "ui.form.group.tax": {"es": "Identificación tributaria", "en": "Tax identification"},
    "ui.form.group.contact": {"es": "Contacto", "en": "Contact"},
    "ui.form.group.commercial": {"es": "Clasificación comercial", "en": "Commercial classification"},
    "ui.form.group.responsible": {"es": "Responsable", "en": "Responsible"},
    "ui.form.group.notes": {"es": "Notas", "en": "Notes"},
    "ui.form.blank": {"es": "(sin indicar)", "en": "(not set)"},
    "ui.form.default_kind": {"es": "(el habitual del país)", "en": "(the country's usual one)"},
    "ui.form.date_hint": {"es": "dd-mm-aaaa", "en": "dd-mm-yyyy"},
    "ui.choice.natural": {"es": "Persona natural", "en": "Natural person"},
    "ui.choice.juridica": {"es": "Persona jurídica", "en": "Legal entity"},
    "ui.choice.vigente": {"es": "Vigente", "en": "Active"},
    "ui.choice.no_vigente": {"es": "No vigente", "en": "Inactive"},
    "ui.confirm.yes_delete": {"es": "Eliminar", "en": "Delete"},
    "ui.confirm.delete_title": {"es": "Eliminar cliente", "en": "Delete client"},
    "ui.confirm.delete_question": {
        "es": "¿Eliminar el cliente «{name}»? Dejará de aparecer en la lista; un superadministrador "
        "puede restaurarlo desde la papelera.",
        "en": "Delete the client '{name}'? It will no longer be listed; a superadmin can restore it "
        "from the trash.",
    },
})

# Groups shown below the always-visible general fields, in this order.
OPTIONAL_GROUPS = ("tax", "contact", "commercial", "responsible", "notes")

FULL_WIDTH = widgets.Layout(width="100%")


def set_modal_visible(backdrop: widgets.Box, visible: bool) -> None:
    """Show or hide a modal; the backdrop class goes too, because its CSS forces `display: flex`.

    In Voilà the backdrop's `position: fixed` is relative to the scrolled output panel (an
    ancestor has `contain: strict`), so it sits at the top of the page, not of the window.
    Callers focus a control inside the dialog, which makes the browser scroll up to it.
    """
    if visible:
        backdrop.add_class("ct-modal-backdrop")
        backdrop.layout.display = None
    else:
        backdrop.remove_class("ct-modal-backdrop")
        backdrop.layout.display = "none"


def choice_label(value: str) -> str:
    return t(f"ui.choice.{value}")


class ClientForm(widgets.Box):
    """The modal dialog that adds a client or edits one, with each error next to its field.

    `on_saved(record)` runs after a successful save. The dialog stays open (with what
    the user typed) on validation errors, warnings to confirm, conflicts and refusals.
    """

    def __init__(self, context: AppContext, *, on_saved: Callable[[dict], None] | None = None,
                 on_conflict: Callable[[], None] | None = None) -> None:
        self.context = context
        self.on_saved = on_saved
        # Called after a conflict, so the list behind the dialog shows the newer version.
        self.on_conflict = on_conflict
        self.client: dict | None = None

        self.title = widgets.HTML()
        self.hint = widgets.HTML(f'<div class="ct-muted">{esc(t("ui.form.required_hint"))}</div>')
        self.notice = Notice()
        self.fields: dict[str, widgets.ValueWidget] = {}
        self.errors: dict[str, widgets.HTML] = {}
        boxes = {field.name: self._field_box(field) for field in clients.FIELDS}
        self.fields["tax_country"].observe(self._on_country_change, names="value")

        general = [boxes[field.name] for field in clients.FIELDS if field.group == "general"]
        sections = []
        for group in OPTIONAL_GROUPS:
            sections.append(widgets.VBox([boxes[field.name] for field in clients.FIELDS if field.group == group]))
        self.groups = widgets.Accordion(children=sections, selected_index=None, layout=FULL_WIDTH)
        for index, group in enumerate(OPTIONAL_GROUPS):
            self.groups.set_title(index, t(f"ui.form.group.{group}"))

        self.save_button = widgets.Button(description=t("ui.form.save"), button_style="primary", icon="check")
        # "auto" width: the fixed default cuts "Guardar de todos modos" short.
        self.confirm_button = widgets.Button(description=t("ui.form.save_anyway"), button_style="warning",
                                             layout=widgets.Layout(width="auto", min_width="148px"))
        self.cancel_button = widgets.Button(description=t("ui.form.cancel"))
        self.save_button.on_click(self._on_save)
        self.confirm_button.on_click(self._on_confirm)
        self.cancel_button.on_click(self._on_cancel)
        self.confirm_button.layout.display = "none"
        buttons = widgets.HBox([self.save_button, self.confirm_button, self.cancel_button],
                               layout=widgets.Layout(justify_content="flex-end", margin="12px 0 0 0"))

        self.dialog = widgets.VBox([self.title, self.hint, *general, self.groups, self.notice, buttons])
        self.dialog.add_class("ct-modal")
        self.dialog.add_class("ct-client-form")
        super().__init__([self.dialog])
        self.hide()

    # Building -----------------------------------------------------------------------------

    def _field_box(self, field: clients.Field) -> widgets.VBox:
        label = field.label + (" *" if field.name == "name" else "")
        style = {"description_width": "190px"}
        layout = widgets.Layout(width="96%")
        if field.kind == "choice":
            options = [(t("ui.form.blank"), "")] + [(choice_label(choice), choice) for choice in field.choices]
            control = widgets.Dropdown(options=options, value="", description=label, style=style, layout=layout)
        elif field.kind == "country":
            options = [(t("ui.form.blank"), "")] + [
                (f"{formatting.country_name(code, get_language())} ({code})", code) for code in COUNTRIES]
            control = widgets.Dropdown(options=options, value="", description=label, style=style, layout=layout)
        elif field.kind == "tax_kind":
            control = widgets.Dropdown(options=[(t("ui.form.default_kind"), "")], value="", description=label,
                                       style=style, layout=layout)
        elif field.kind == "notes":
            control = widgets.Textarea(description=label, style=style, layout=widgets.Layout(width="96%", height="90px"))
        else:
            placeholder = t("ui.form.date_hint") if field.kind == "date" else ""
            # continuous_update=True (the default) syncs every keystroke, so a click on
            # "Guardar" right after typing saves what is on screen.
            control = widgets.Text(description=label, placeholder=placeholder, continuous_update=True,
                                   style=style, layout=layout)
        self.fields[field.name] = control
        self.errors[field.name] = widgets.HTML()
        return widgets.VBox([control, self.errors[field.name]], layout=widgets.Layout(margin="0 0 2px 0"))

    def _on_country_change(self, change: dict[str, Any]) -> None:
        kind = self.fields["tax_kind"]
        country = change["new"] or self.context.settings["default_country"]
        options = [(t("ui.form.default_kind"), "")] + [(code, code) for code in KINDS.get(country, {})]
        keep = kind.value if any(value == kind.value for _label, value in options) else ""
        kind.options = options
        kind.value = keep

    # Opening and closing -------------------------------------------------------------------

    def open_new(self) -> None:
        self.client = None
        self._fill({})
        self.title.value = f'<h2 class="ct-title">{esc(t("ui.form.add_title"))}</h2>'
        self._show()

    def open_edit(self, client: dict) -> None:
        self.client = client
        self._fill(client)
        self.title.value = f'<h2 class="ct-title">{esc(t("ui.form.edit_title", name=client["name"]))}</h2>'
        self._show()

    def hide(self) -> None:
        """Hide the dialog; its widgets stay alive so it can open again."""
        self.is_open = False
        set_modal_visible(self, False)

    def _show(self) -> None:
        self._clear_messages()
        self.groups.selected_index = None
        self.is_open = True
        set_modal_visible(self, True)
        self.fields["name"].focus()

    def _fill(self, client: dict) -> None:
        for name, control in self.fields.items():
            value = client.get(name)
            if value is None or value != value:  # None or NaN
                text = ""
            elif name == "client_since":
                text = value.strftime("%d-%m-%Y")
            else:
                text = str(value)
            if name == "tax_country":
                control.value = text
                self._on_country_change({"new": text})
            elif name == "tax_kind":
                known = [option_value for _label, option_value in control.options]
                control.value = text if text in known else ""
            elif name == "status" and not client:
                control.value = "vigente"
            else:
                control.value = text

    def _clear_messages(self) -> None:
        self.notice.clear()
        for error in self.errors.values():
            error.value = ""
        self.confirm_button.layout.display = "none"

    # Saving ---------------------------------------------------------------------------------

    def values(self) -> dict[str, str | None]:
        """Return what the form holds, blank fields as None."""
        data: dict[str, str | None] = {}
        for name, control in self.fields.items():
            text = control.value if isinstance(control.value, str) else str(control.value)
            data[name] = text if text.strip() else None
        if data["tax_id"] is None:
            data["tax_country"] = data["tax_kind"] = None
        return data

    @guarded()
    def _on_save(self, _button=None) -> None:
        self.save(confirm=False)

    @guarded()
    def _on_confirm(self, _button=None) -> None:
        self.save(confirm=True)

    @guarded()
    def _on_cancel(self, _button=None) -> None:
        self.hide()

    def save(self, *, confirm: bool) -> dict | None:
        """Add or update the client; show errors and warnings next to their fields."""
        self._clear_messages()
        data = self.values()
        try:
            with busy(self.save_button, self.confirm_button, self.cancel_button):
                if self.client is None:
                    record = clients.add_client(self.context.db, data, confirm=confirm)
                else:
                    record = clients.update_client(self.context.db, self.client["id"], data,
                                                   expected_version=int(self.client["version"]), confirm=confirm)
        except ValidationError as error:
            self._show_field_messages(error.errors, css="ct-field-error")
            self.notice.error(t("ui.form.fix_fields"))
            return None
        except ConfirmationRequired as warning:
            self._show_field_messages(warning.warnings, css="ct-field-warning")
            self.notice.warn(t("ui.form.confirm_warnings"))
            self.confirm_button.layout.display = None
            return None
        except Conflict as conflict:
            self.notice.error(str(conflict))
            if self.on_conflict is not None:
                self.on_conflict()
            return None

        self.hide()
        if self.on_saved is not None:
            self.on_saved(record)
        return record

    def _show_field_messages(self, messages: dict[str, str], *, css: str) -> None:
        first_group = None
        for name, message in messages.items():
            target = self.errors.get(name)
            if target is None:  # a field this form does not show: keep the message visible anyway
                self.notice.error(message)
                continue
            target.value = f'<div class="{css}" role="alert">{esc(message)}</div>'
            group = clients.FIELD_BY_NAME[name].group
            if first_group is None and group in OPTIONAL_GROUPS:
                first_group = OPTIONAL_GROUPS.index(group)
        if first_group is not None and not any(
            clients.FIELD_BY_NAME[name].group == "general" for name in messages if name in clients.FIELD_BY_NAME
        ):
            self.groups.selected_index = first_group


class ConfirmDialog(widgets.Box):
    """A modal yes/no question; `on_confirm()` runs on yes, its errors show inside the dialog."""

    def __init__(self) -> None:
        self.title = widgets.HTML()
        self.question = widgets.HTML()
        self.notice = Notice()
        self.confirm_button = widgets.Button(description=t("ui.confirm.yes_delete"), button_style="danger")
        self.cancel_button = widgets.Button(description=t("ui.form.cancel"))
        self.confirm_button.on_click(self._on_confirm)
        self.cancel_button.on_click(self._on_cancel)
        self.on_confirm: Callable[[], None] | None = None
        buttons = widgets.HBox([self.confirm_button, self.cancel_button],
                               layout=widgets.Layout(justify_content="flex-end", margin="12px 0 0 0"))
        self.dialog = widgets.VBox([self.title, self.question, self.notice, buttons])
        self.dialog.add_class("ct-modal")
        self.dialog.layout.max_width = "520px"
        super().__init__([self.dialog])
        self.hide()

    def ask(self, *, title: str, question: str, confirm_label: str, on_confirm: Callable[[], None]) -> None:
        self.title.value = f'<h2 class="ct-title">{esc(title)}</h2>'
        self.question.value = f"<p>{esc(question)}</p>"
        self.confirm_button.description = confirm_label
        self.confirm_button.layout.display = None
        self.on_confirm = on_confirm
        self.notice.clear()
        self.is_open = True
        set_modal_visible(self, True)
        self.cancel_button.focus()

    def refuse(self, *, title: str, message: str) -> None:
        """Open the dialog on a refusal: the reason in the notice and only "Cancelar" to close it."""
        self.title.value = f'<h2 class="ct-title">{esc(title)}</h2>'
        self.question.value = ""
        self.confirm_button.layout.display = "none"
        self.on_confirm = None
        self.notice.error(message)
        self.is_open = True
        set_modal_visible(self, True)
        self.cancel_button.focus()

    def hide(self) -> None:
        self.is_open = False
        set_modal_visible(self, False)

    @guarded()
    def _on_confirm(self, _button=None) -> None:
        with busy(self.confirm_button, self.cancel_button):
            done = self.on_confirm() if self.on_confirm else True
        if done:
            self.hide()
        else:
            # The action was refused (its message is in the notice); only "Cancelar" remains.
            self.confirm_button.layout.display = "none"

    @guarded()
    def _on_cancel(self, _button=None) -> None:
        self.hide()
