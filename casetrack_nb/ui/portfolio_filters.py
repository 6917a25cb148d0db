"""The Portafolio filters: a client type-ahead with removable chips and the advanced filter panel."""

from __future__ import annotations

import contextlib
import re
from typing import Callable, Iterator

import ipywidgets as widgets
import traitlets

from .. import cases, clients
from ..cases import CaseFilter
from ..errors import ValidationError
from ..i18n import add_messages, t
from ..values import FieldError, parse_amount, parse_date, search_key
from .base import Notice, guarded

add_messages({
    "portfolio.search": {"es": "Buscar por número o carátula…", "en": "Search by case number or title…"},
    "portfolio.client_search": {"es": "Escriba para buscar un cliente…", "en": "Type to search for a client…"},
    "portfolio.remove_client": {"es": "Quitar este cliente del filtro", "en": "Remove this client from the filter"},
    "portfolio.client_pick.several": {
        "es": "Elija un cliente de la lista ({count} coincidencias).",
        "en": "Choose a client from the list ({count} matches).",
    },
    "portfolio.client_pick.many": {
        "es": "Elija un cliente de la lista (más de {count} coincidencias); escriba más del nombre para acotar.",
        "en": "Choose a client from the list (more than {count} matches); type more of the name to narrow it.",
    },
    "portfolio.client_pick.none": {
        "es": "Ningún cliente coincide con «{text}». Revise el nombre o el identificador tributario.",
        "en": "No client matches '{text}'. Check the name or the tax id.",
    },
    "portfolio.date_placeholder": {"es": "dd-mm-aaaa", "en": "dd-mm-yyyy"},
    "portfolio.status.active": {"es": "Activa", "en": "Active"},
    "portfolio.status.inactive": {"es": "Inactiva", "en": "Inactive"},
    "portfolio.status.all": {"es": "Todos los estados", "en": "All statuses"},
    "portfolio.filter.clients": {"es": "Clientes", "en": "Clients"},
    "portfolio.filter.court": {"es": "Tribunal", "en": "Court"},
    "portfolio.filter.matter": {"es": "Materia", "en": "Matter"},
    "portfolio.filter.stage": {"es": "Etapa", "en": "Stage"},
    "portfolio.filter.lawyer": {"es": "Abogado responsable", "en": "Responsible lawyer"},
    "portfolio.filter.opened_from": {"es": "Inicio desde", "en": "Opened from"},
    "portfolio.filter.opened_to": {"es": "Inicio hasta", "en": "Opened until"},
    "portfolio.filter.amount_min": {"es": "Cuantía mínima", "en": "Minimum amount"},
    "portfolio.filter.amount_max": {"es": "Cuantía máxima", "en": "Maximum amount"},
    "portfolio.filter.currency": {"es": "Moneda", "en": "Currency"},
    "portfolio.filter.any_currency": {"es": "Todas las monedas", "en": "Any currency"},
    "portfolio.filter.without_client": {"es": "Sin cliente", "en": "Without client"},
    "portfolio.filter.title": {"es": "Filtros avanzados", "en": "Advanced filters"},
    "portfolio.filter.multi_hint": {
        "es": "Ctrl o Mayús + clic para elegir varios.",
        "en": "Ctrl or Shift + click to choose several.",
    },
    "portfolio.clear": {"es": "Limpiar filtros", "en": "Clear filters"},
    "portfolio.date_order": {
        "es": "La fecha «Inicio desde» ({start}) es posterior a «Inicio hasta» ({end}). Corrija una de las dos.",
        "en": "'Opened from' ({start}) is after 'Opened until' ({end}). Correct one of them.",
    },
    "portfolio.amount_order": {
        "es": "La cuantía mínima ({low}) es mayor que la máxima ({high}). Corrija una de las dos.",
        "en": "The minimum amount ({low}) is greater than the maximum ({high}). Correct one of them.",
    },
})

CHOICES_LIMIT = 20

# Matches read when Enter resolves a pasted 'Name (tax id)' label by its name part.
LABEL_LOOKUP_LIMIT = 500

# The tax id a client label ends with: 'Minera Ñuble S.A. (76.123.456-7)'.
TAX_ID_SUFFIX = re.compile(r"\s*\([^()]*\)\s*$")


class ClientPicker(widgets.VBox):
    """A type-ahead over the live clients; chosen clients show as chips that a click removes.

    Each keystroke queries `clients.client_choices` for at most 20 matches, so it works over
    thousands of clients. A client is chosen when the text equals one of the offered
    labels (picking it from the browser's list does that), or on Enter when exactly one
    client matches the text. With `multiple=False` a new choice replaces the previous one.
    """

    selected = traitlets.List(traitlets.Int(), help="ids of the chosen clients, in the order chosen")

    def __init__(self, db, notice: Notice, *, multiple: bool = True) -> None:
        self.db = db
        self.notice = notice
        self.multiple = multiple
        self._offered: dict[str, int] = {}
        self._labels: dict[int, str] = {}
        self._ignore_typing = False

        self.combo = widgets.Combobox(
            placeholder=t("portfolio.client_search"), ensure_option=False, continuous_update=True,
            layout=widgets.Layout(width="320px"),
        )
        self.combo.add_class("ct-client-search")
        self.chips = widgets.HBox(layout=widgets.Layout(flex_flow="row wrap"))
        super().__init__([self.combo, self.chips])
        self.combo.observe(self._on_typing, "value")
        # ipywidgets' Text view sends {"event": "submit"} on Enter; on_submit() is deprecated in 8.x.
        self.combo.on_msg(self._on_message)
        self.observe(self._render_chips, "selected")

    @guarded()
    def _on_typing(self, change) -> None:
        if self._ignore_typing:
            return
        text = change["new"] or ""
        if text in self._offered:
            self.add(self._offered[text], text)
            return
        self.offer(text)
        if text in self._offered:
            self.add(self._offered[text], text)

    def _on_message(self, _widget, content, _buffers) -> None:
        if isinstance(content, dict) and content.get("event") == "submit":
            self.submit()

    @guarded()
    def submit(self) -> None:
        """Choose the one client the typed text matches (Enter), or say how many match."""
        text = (self.combo.value or "").strip()
        if not text:
            return
        matches = self.matches(text)
        if len(matches) == 1:
            label, client_id = matches[0]
            self.add(client_id, label)
        elif not matches:
            self.notice.warn(t("portfolio.client_pick.none", text=text))
        elif len(matches) > CHOICES_LIMIT:
            self.notice.warn(t("portfolio.client_pick.many", count=CHOICES_LIMIT))
        else:
            self.notice.warn(t("portfolio.client_pick.several", count=len(matches)))

    def matches(self, text: str) -> list[tuple[str, int]]:
        """Return the (label, id) pairs of the clients `text` stands for, at most CHOICES_LIMIT + 1.

        The text may be part of a name or tax id, a whole name, or a whole label with the
        tax id in brackets. Among several matches, one whose name or label equals the text
        (ignoring case and accents) is the match.
        """
        if text in self._offered:
            return [(text, self._offered[text])]
        found = clients.client_choices(self.db, text, limit=CHOICES_LIMIT + 1)
        name = TAX_ID_SUFFIX.sub("", text)
        if not found and name and name != text:
            # The search text holds the name and the tax id separately, never the whole label.
            wanted = search_key(text)
            found = [(label, client_id)
                     for label, client_id in clients.client_choices(self.db, name, limit=LABEL_LOOKUP_LIMIT)
                     if search_key(label) == wanted]
        if len(found) > 1:
            wanted = search_key(text)
            exact = [(label, client_id) for label, client_id in found
                     if wanted in (search_key(label), search_key(TAX_ID_SUFFIX.sub("", label)))]
            if len(exact) == 1:
                return exact
        return found

    def offer(self, text: str) -> None:
        """Query the clients matching `text` and offer them in the browser's list."""
        offered: dict[str, int] = {}
        for label, client_id in clients.client_choices(self.db, text, limit=CHOICES_LIMIT):
            # Two clients may share a name without a tax id, so the id distinguishes them.
            key = label if label not in offered else f"{label} · id {client_id}"
            offered[key] = client_id
        self._offered = offered
        self.combo.options = tuple(offered)

    def add(self, client_id: int, label: str | None = None) -> None:
        """Choose a client; its label is looked up when not given."""
        client_id = int(client_id)
        if label is None:
            found = clients.client_choices(self.db, ids=[client_id])
            label = found[0][0] if found else str(client_id)
        self._labels[client_id] = label
        self._set_text("")
        if not self.multiple:
            self.selected = [client_id]
        elif client_id not in self.selected:
            self.selected = [*self.selected, client_id]

    def remove(self, client_id: int) -> None:
        self.selected = [chosen for chosen in self.selected if chosen != client_id]

    def clear(self) -> None:
        self._set_text("")
        self.selected = []

    def label_of(self, client_id: int) -> str:
        return self._labels.get(client_id, str(client_id))

    def _set_text(self, text: str) -> None:
        self._ignore_typing = True
        try:
            self.combo.value = text
        finally:
            self._ignore_typing = False

    def _render_chips(self, _change=None) -> None:
        chips = []
        for client_id in self.selected:
            chip = widgets.Button(description=f"{self.label_of(client_id)} ✕", tooltip=t("portfolio.remove_client"),
                                  layout=widgets.Layout(width="auto", max_width="360px"))
            chip.add_class("ct-chip")
            chip.on_click(lambda _button, chosen=client_id: self.remove(chosen))
            chips.append(chip)
        self.chips.children = chips


def _multi_select(label_key: str, options: list[str]) -> widgets.SelectMultiple:
    # 150px fits "Abogado responsable" and "Responsible lawyer" without an ellipsis.
    return widgets.SelectMultiple(options=options, rows=min(max(len(options), 2), 5), description=t(label_key),
                                  style={"description_width": "150px"}, layout=widgets.Layout(width="400px"))


class FilterPanel(widgets.VBox):
    """The search bar, the status switch and the advanced filters; calls `on_change` after each edit."""

    def __init__(self, db, notice: Notice, *, on_change: Callable[[], None]) -> None:
        self.db = db
        self.notice = notice
        self._on_change = on_change
        self._quiet = False

        self.text = widgets.Text(placeholder=t("portfolio.search"), continuous_update=False,
                                 layout=widgets.Layout(width="360px"))
        self.text.add_class("ct-case-search")
        self.status = widgets.ToggleButtons(
            options=[(t("portfolio.status.active"), "activa"), (t("portfolio.status.inactive"), "inactiva"),
                     (t("portfolio.status.all"), "todas")],
            value="activa", style={"button_width": "auto"},
        )
        self.clear_button = widgets.Button(description=t("portfolio.clear"), icon="eraser")

        self.clients = ClientPicker(db, notice)
        self.without_client = widgets.Checkbox(description=t("portfolio.filter.without_client"), indent=False)
        self.courts = _multi_select("portfolio.filter.court", cases.facet_values(db, "court"))
        self.matters = _multi_select("portfolio.filter.matter", cases.facet_values(db, "matter"))
        self.stages = _multi_select("portfolio.filter.stage", cases.facet_values(db, "stage"))
        self.lawyers = _multi_select("portfolio.filter.lawyer", cases.facet_values(db, "responsible_lawyer"))
        wide = {"description_width": "130px"}
        # Text fields, not DatePicker: Chromium shows <input type=date> as mm/dd/yyyy even in es-CL.
        self.opened_from = widgets.Text(description=t("portfolio.filter.opened_from"), continuous_update=False,
                                        placeholder=t("portfolio.date_placeholder"), style=wide,
                                        layout=widgets.Layout(width="260px"))
        self.opened_to = widgets.Text(description=t("portfolio.filter.opened_to"), continuous_update=False,
                                      placeholder=t("portfolio.date_placeholder"), style=wide,
                                      layout=widgets.Layout(width="260px"))
        self.amount_min = widgets.Text(description=t("portfolio.filter.amount_min"), continuous_update=False,
                                       placeholder="1.000.000", style=wide)
        self.amount_max = widgets.Text(description=t("portfolio.filter.amount_max"), continuous_update=False,
                                       placeholder="50.000.000", style=wide)
        self.currency = widgets.Dropdown(
            options=[(t("portfolio.filter.any_currency"), "")] + [(code, code) for code in cases.facet_values(db, "currency")],
            value="", description=t("portfolio.filter.currency"), style=wide,
        )

        search_bar = widgets.HBox([self.text, self.status, self.clear_button],
                                  layout=widgets.Layout(flex_flow="row wrap", align_items="center"))
        client_row = widgets.HBox(
            [widgets.HTML(f"<b>{t('portfolio.filter.clients')}</b>", layout=widgets.Layout(width="130px")),
             self.clients, self.without_client],
            layout=widgets.Layout(align_items="flex-start"),
        )
        lists = widgets.HBox([widgets.VBox([self.courts, self.matters]), widgets.VBox([self.stages, self.lawyers])],
                             layout=widgets.Layout(flex_flow="row wrap"))
        ranges = widgets.HBox([widgets.VBox([self.opened_from, self.opened_to]),
                               widgets.VBox([self.amount_min, self.amount_max, self.currency])],
                              layout=widgets.Layout(flex_flow="row wrap"))
        hint = widgets.HTML(f'<span class="ct-muted">{t("portfolio.filter.multi_hint")}</span>')
        advanced = widgets.VBox([client_row, lists, hint, ranges])
        self.advanced = widgets.Accordion([advanced], titles=(t("portfolio.filter.title"),), selected_index=0)
        super().__init__([search_bar, self.advanced])
        self.add_class("ct-filters")

        for control in (self.text, self.status, self.without_client, self.courts, self.matters, self.stages,
                        self.lawyers, self.opened_from, self.opened_to, self.amount_min, self.amount_max,
                        self.currency):
            control.observe(self._changed, "value")
        self.clients.observe(self._changed, "selected")
        self.clear_button.on_click(self._clear_clicked)

    def filters(self) -> CaseFilter:
        """Return the CaseFilter the controls describe; raise ValidationError for a bad amount, date or range."""
        errors: dict[str, str] = {}
        dates = {}
        for name, control in (("opened_from", self.opened_from), ("opened_to", self.opened_to)):
            try:
                dates[name] = parse_date(control.value, field=name, label=control.description)
            except FieldError as error:
                errors[name] = error.message
        amounts = {}
        for name, control in (("amount_min", self.amount_min), ("amount_max", self.amount_max)):
            try:
                amounts[name] = parse_amount(control.value, field=name, label=control.description)
            except FieldError as error:
                errors[name] = error.message
        low, high = amounts.get("amount_min"), amounts.get("amount_max")
        if low is not None and high is not None and low > high:
            errors["amount_max"] = t("portfolio.amount_order", low=self.amount_min.value, high=self.amount_max.value)
        start, end = dates.get("opened_from"), dates.get("opened_to")
        if start and end and start > end:
            errors["opened_to"] = t("portfolio.date_order", start=start.strftime("%d-%m-%Y"), end=end.strftime("%d-%m-%Y"))
        if errors:
            raise ValidationError(errors)

        return CaseFilter(
            text=self.text.value.strip(),
            client_ids=list(self.clients.selected),
            status=None if self.status.value == "todas" else self.status.value,
            courts=list(self.courts.value),
            matters=list(self.matters.value),
            stages=list(self.stages.value),
            lawyers=list(self.lawyers.value),
            opened_from=start,
            opened_to=end,
            amount_min=low,
            amount_max=high,
            currency=self.currency.value or None,
            without_client=self.without_client.value,
        )

    @contextlib.contextmanager
    def quiet(self) -> Iterator[None]:
        """Change controls without calling `on_change` for each edit."""
        quiet, self._quiet = self._quiet, True
        try:
            yield
        finally:
            self._quiet = quiet

    def reset(self) -> None:
        """Put every control back to its default (active cases, nothing else) and refresh once."""
        with self.quiet():
            self.text.value = ""
            self.status.value = "activa"
            self.clients.clear()
            self.without_client.value = False
            for control in (self.courts, self.matters, self.stages, self.lawyers):
                control.value = ()
            self.opened_from.value = ""
            self.opened_to.value = ""
            self.amount_min.value = ""
            self.amount_max.value = ""
            self.currency.value = ""
        self._on_change()

    def _changed(self, _change) -> None:
        if not self._quiet:
            self._on_change()

    @guarded()
    def _clear_clicked(self, _button) -> None:
        self.reset()
