"""The Importancia dashboard: filters, headline figures, ranking, Pareto chart, intake chart and export.

The figures come from casetrack_nb.importance and casetrack_nb.scoring as numeric
DataFrames. This module only formats them with casetrack_nb.formatting (Babel) and draws
them with bqplot, which renders in JupyterLab and in Voilà.
"""

from __future__ import annotations

import base64
import datetime as dt

import bqplot
import ipywidgets as widgets
import pandas as pd

from .. import formatting, importance, permissions
from ..settings import set_setting
from ..cases import facet_values
from ..errors import ValidationError
from ..i18n import add_messages, t
from ..importance import ImportanceFilter, column_label
from ..scoring import COMPONENTS, ScoreWeights
from ..store import Database
from ..values import FieldError, parse_date
from .base import AppContext, Header, Notice, busy, esc, failed_panel, guarded, load_context, stylesheet

# Texts that name cases take the firm's case label ({label} or {label_lower}), which can be
# "Causas", "Procesos", "Casos", "Expedientes" or "Causas/Procesos/Casos/Expediente", so no
# Spanish article or adjective may agree with it: the status appears as «en estado Activa».
add_messages({
    "imp.title": {"es": "Importancia de los clientes", "en": "Client importance"},
    "imp.intro": {
        "es": "Quiénes sostienen la cartera activa del estudio: ranking con clase ABC, concentración, "
        "cuantías por moneda, ingresos recientes y un puntaje con pesos configurables. Los filtros del "
        "tablero se aplican a todas las cifras.",
        "en": "Who carries the firm's active portfolio: ranking with ABC class, concentration, amounts "
        "per currency, recent intake and a score with adjustable weights. The dashboard's filters apply "
        "to every figure.",
    },
    "imp.matters": {"es": "Materias", "en": "Matters"},
    "imp.courts": {"es": "Tribunales", "en": "Courts"},
    "imp.lawyers": {"es": "Abogados", "en": "Lawyers"},
    "imp.opened_from": {"es": "Inicio desde", "en": "Opened from"},
    "imp.opened_to": {"es": "Inicio hasta", "en": "Opened to"},
    "imp.as_of": {"es": "Fecha de corte", "en": "As of"},
    "imp.date_hint": {"es": "dd-mm-aaaa", "en": "dd-mm-yyyy"},
    "imp.weights": {"es": "Pesos del puntaje", "en": "Score weights"},
    "imp.save_weights": {"es": "Guardar como pesos del estudio", "en": "Save as the firm's weights"},
    "imp.weights_saved": {
        "es": "Pesos guardados: desde ahora son los pesos por omisión del estudio.",
        "en": "Weights saved: they are now the firm's default weights.",
    },
    "imp.weights.hint": {
        "es": "Cada porcentaje es el peso efectivo: los pesos se reescalan para sumar 100 %.",
        "en": "Each percentage is the effective weight: the weights are rescaled to add up to 100 %.",
    },
    "imp.weight.active_cases": {"es": "{label} en estado Activa", "en": "Active cases"},
    "imp.weight.amount": {"es": "Cuantía", "en": "Amount"},
    "imp.weight.recent_intake": {"es": "Ingresos de los últimos 12 meses", "en": "Intake in the last 12 months"},
    "imp.weight.seniority": {"es": "Antigüedad", "en": "Seniority"},
    "imp.apply": {"es": "Aplicar", "en": "Apply"},
    "imp.top_n": {"es": "Clientes en el gráfico", "en": "Clients in the chart"},
    "imp.previous": {"es": "‹ Anterior", "en": "‹ Previous"},
    "imp.next": {"es": "Siguiente ›", "en": "Next ›"},
    "imp.page": {"es": "Página {page} de {pages}", "en": "Page {page} of {pages}"},
    "imp.export": {"es": "Exportar ranking (XLSX)", "en": "Export ranking (XLSX)"},
    "imp.export.link": {"es": "Descargar {filename}", "en": "Download {filename}"},
    "imp.kpi.clients": {"es": "Clientes con {label_lower} en estado Activa", "en": "Clients with active cases"},
    "imp.kpi.active": {"es": "{label} en estado Activa con cliente", "en": "Active cases with a client"},
    "imp.kpi.unassigned": {"es": "{label} en estado Activa sin cliente", "en": "Active cases without a client"},
    "imp.kpi.top1": {"es": "Principal cliente", "en": "Top client"},
    "imp.kpi.top5": {"es": "5 principales", "en": "Top 5"},
    "imp.kpi.top10": {"es": "10 principales", "en": "Top 10"},
    "imp.kpi.hhi": {"es": "Índice HHI (0–10.000)", "en": "HHI (0–10,000)"},
    "imp.pareto.title": {"es": "Pareto: {label_lower} en estado Activa por cliente",
                         "en": "Pareto of active cases by client"},
    "imp.pareto.x": {"es": "N.º en el ranking (pase el mouse por una barra para ver el cliente)",
                     "en": "Ranking no. (hover over a bar to see the client)"},
    "imp.pareto.y": {"es": "En estado Activa", "en": "Active cases"},
    "imp.pareto.cumulative": {"es": "Participación acumulada", "en": "Cumulative share"},
    "imp.pareto.mark": {"es": "80 %", "en": "80 %"},
    "imp.intake.title": {"es": "Ingresos de {label_lower} por mes", "en": "Cases opened per month"},
    "imp.intake.pick": {"es": "Clientes", "en": "Clients"},
    "imp.intake.month": {"es": "Mes", "en": "Month"},
    "imp.intake.y": {"es": "Ingresos", "en": "Cases opened"},
    "imp.intake.partial": {"es": "El último mes cuenta solo hasta el {date}, así que aún no está completo.",
                           "en": "The last month counts only up to {date}, so it is not complete yet."},
    "imp.intake.none": {"es": "Elija uno o más clientes para ver sus ingresos por mes.",
                        "en": "Pick one or more clients to see their monthly intake."},
    "imp.amounts": {"es": "Cuantía (estado Activa)", "en": "Amount (active)"},
    "imp.pareto.none": {
        "es": "El gráfico de Pareto no tiene barras: ningún cliente tiene {label_lower} en estado Activa en la "
        "selección.",
        "en": "The Pareto chart has no bars: no client has active cases in the selection.",
    },
    "imp.ranking.none": {
        "es": "Ningún cliente tiene {label_lower} en la selección, así que el ranking está vacío.",
        "en": "No client has cases in the selection, so the ranking is empty.",
    },
    "imp.empty.none": {
        "es": "Aún no hay registros de {label_lower}. Impórtelos desde una planilla con «Importar» en "
        "Administración › Clientes (o con «casetrack import causas ARCHIVO»); este tablero se llenará solo.",
        "en": "There are no cases yet. Import them from a spreadsheet with 'Import' in "
        "Administration › Clients (or with 'casetrack import causas FILE'); this dashboard fills itself.",
    },
    "imp.empty.filters": {
        "es": "Ningún registro de {label_lower} cumple los filtros elegidos. Quite alguno de los filtros o "
        "amplíe las fechas.",
        "en": "No case matches the chosen filters. Remove a filter or widen the dates.",
    },
    "imp.empty.no_active": {
        "es": "La selección no tiene {label_lower} en estado Activa con cliente, así que no hay "
        "participaciones ni clases ABC que calcular. Los clientes con {label_lower} en estado Inactiva "
        "siguen en la tabla.",
        "en": "There are no active cases with a client in the selection, so there are no shares or "
        "ABC classes to compute. Clients with inactive cases are still in the table.",
    },
    "imp.unassigned": {
        "es": "{label} en estado Activa sin cliente asignado: {count}. No cuentan en las participaciones; "
        "asigne el cliente de cada registro en Portafolio.",
        "en": "Active cases without a client: {count}. They are not in the shares; "
        "link them to their client in Portfolio.",
    },
})

PAGE_SIZE = 20
TOP_N_CHOICES = (10, 20, 30, 50)
INTAKE_MONTHS = 24
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Voilà's lab template puts data-voila="voila" on <body> and wraps each cell in a
# div[cell-index]. The notebook's analyst section starts with a markdown cell holding
# an element of class ct-analyst-only. In Voilà that cell and every later one are hidden.
# JupyterLab has no such body attribute, so it shows them.
CSS = """
<style>
body[data-voila="voila"] div[cell-index]:has(.ct-analyst-only),
body[data-voila="voila"] div[cell-index]:has(.ct-analyst-only) ~ div[cell-index] { display: none; }
.ct-kpis { display: flex; flex-wrap: wrap; gap: 10px; margin: 6px 0 10px 0; }
.ct-kpi { border: 1px solid #d9e2ec; border-radius: 6px; padding: 6px 12px; flex: 1 1 0; min-width: 120px; }
.ct-kpi-value { font-size: 20px; font-weight: 600; }
.ct-kpi-label { font-size: 12px; color: #52606d; line-height: 1.3; overflow-wrap: anywhere; }
.ct-ranking { border-collapse: collapse; font-size: 13px; width: 100%; }
.ct-ranking th { text-align: left; border-bottom: 2px solid #d9e2ec; padding: 4px 6px; color: #334e68; }
.ct-ranking td { border-bottom: 1px solid #eef2f7; padding: 3px 6px; vertical-align: top; }
.ct-ranking td.ct-num { text-align: right; white-space: nowrap; }
.ct-abc-A { color: #1e6b2f; font-weight: 600; }
.ct-abc-B { color: #8a6d1d; font-weight: 600; }
.ct-abc-C { color: #52606d; }
.ct-intro { color: #334e68; margin: 0 0 8px 0; max-width: 70em; line-height: 1.4; }
.ct-weight-label { text-align: right; padding-right: 6px; line-height: 1.2; }
.ct-weight-share { font-variant-numeric: tabular-nums; padding-left: 6px; }
a.ct-download { display: inline-block; margin-left: 12px; padding: 4px 12px; border: 1px solid #1d4ed8;
    border-radius: 4px; color: #1d4ed8; background: #eff4ff; text-decoration: underline; font-weight: 500; }
a.ct-download:hover { background: #dbe6ff; }
.ct-pareto-tip { background: white; border: 1px solid #d9e2ec; padding: 4px 8px; font-size: 12px; }
</style>
"""


def _parse_date_field(widget: widgets.Text, field: str, label_key: str) -> dt.date | None:
    """Parse a dd-mm-aaaa (or ISO) date typed in `widget`; raise ValidationError naming the value."""
    try:
        return parse_date(widget.value, field=field, label=t(label_key))
    except FieldError as error:
        raise ValidationError({error.field: error.message}) from None


class ImportanceFilters(widgets.VBox):
    """The filters shared by every panel: matter, court, lawyer, opening dates, as-of date and weights.

    Dates are text fields (dd-mm-aaaa or ISO) because Chromium's native date input shows
    mm/dd/yyyy whatever the page's locale.
    """

    def __init__(self, db: Database, *, locale: str = formatting.DEFAULT_LOCALE, case_label: str = "",
                 weights: ScoreWeights | None = None, can_save_weights: bool = False) -> None:
        self.locale = locale
        layout = widgets.Layout(width="240px", height="90px")
        self.matters = widgets.SelectMultiple(options=facet_values(db, "matter"), description=t("imp.matters"),
                                              layout=layout)
        self.courts = widgets.SelectMultiple(options=facet_values(db, "court"), description=t("imp.courts"),
                                             layout=layout)
        self.lawyers = widgets.SelectMultiple(options=facet_values(db, "responsible_lawyer"),
                                              description=t("imp.lawyers"), layout=layout)
        date_style = {"description_width": "110px"}
        date_layout = {"width": "250px"}
        hint = t("imp.date_hint")
        self.opened_from = widgets.Text(description=t("imp.opened_from"), placeholder=hint, style=date_style,
                                        layout=widgets.Layout(**date_layout))
        self.opened_to = widgets.Text(description=t("imp.opened_to"), placeholder=hint, style=date_style,
                                      layout=widgets.Layout(**date_layout))
        self.as_of = widgets.Text(description=t("imp.as_of"), placeholder=hint, style=date_style,
                                  value=formatting.date(dt.date.today(), locale),
                                  layout=widgets.Layout(**date_layout))

        # The slider's own readout is d3-formatted (always a decimal point), so it is hidden
        # and a Babel-formatted percentage of the rescaled weight is shown next to each slider.
        defaults = weights or ScoreWeights()
        self.weights = {
            name: widgets.FloatSlider(value=getattr(defaults, name), min=0, max=1, step=0.01, readout=False,
                                      layout=widgets.Layout(width="160px"))
            for name in COMPONENTS
        }
        self.weight_shares = {name: widgets.HTML(layout=widgets.Layout(width="70px")) for name in COMPONENTS}
        weight_rows = []
        for name in COMPONENTS:
            text = t(f"imp.weight.{name}", label=case_label)
            label = widgets.HTML(f'<div class="ct-weight-label">{esc(text)}</div>',
                                 layout=widgets.Layout(width="250px"))
            weight_rows.append(widgets.HBox([label, self.weights[name], self.weight_shares[name]],
                                            layout=widgets.Layout(align_items="center")))
            self.weights[name].observe(lambda _change: self.show_weight_shares(), "value")
        self.show_weight_shares()
        self.apply = widgets.Button(description=t("imp.apply"), button_style="primary", icon="filter")
        # Only a superadmin changes firm settings, so only they get the button.
        self.save_weights = None
        if can_save_weights:
            self.save_weights = widgets.Button(description=t("imp.save_weights"), icon="save",
                                               layout=widgets.Layout(width="260px"))
            weight_rows.append(self.save_weights)

        dates = widgets.VBox([self.opened_from, self.opened_to, self.as_of])
        heading = widgets.HTML(f'<b>{esc(t("imp.weights"))}</b> '
                               f'<span class="ct-muted">{esc(t("imp.weights.hint"))}</span>')
        weights = widgets.VBox([heading, *weight_rows], layout=widgets.Layout(margin="0 0 0 24px"))
        super().__init__([
            widgets.HBox([self.matters, self.courts, self.lawyers], layout=widgets.Layout(flex_flow="row wrap")),
            widgets.HBox([dates, weights], layout=widgets.Layout(flex_flow="row wrap")),
            self.apply,
        ])

    @property
    def controls(self) -> list[widgets.Widget]:
        controls = [self.matters, self.courts, self.lawyers, self.opened_from, self.opened_to, self.as_of,
                    *self.weights.values(), self.apply]
        return controls + ([self.save_weights] if self.save_weights is not None else [])

    def show_weight_shares(self) -> None:
        """Show each weight as its share of the total, the way the score rescales it ('40,0 %')."""
        total = sum(float(slider.value) for slider in self.weights.values())
        for name, slider in self.weights.items():
            share = formatting.percent(float(slider.value) / total, self.locale) if total > 0 else "—"
            self.weight_shares[name].value = f'<span class="ct-weight-share">{esc(share)}</span>'

    def weights_setting(self) -> str:
        """Return the sliders as the `score_weights` setting text, in percent ('40,30,20,10')."""
        return ",".join(f"{round(float(self.weights[name].value) * 100, 2):g}" for name in COMPONENTS)

    def current(self) -> tuple[ImportanceFilter, ScoreWeights]:
        """Return the chosen filter and weights; raise ValidationError for a bad or reversed date or all-zero weights."""
        filters = ImportanceFilter(matters=list(self.matters.value), courts=list(self.courts.value),
                                   lawyers=list(self.lawyers.value),
                                   opened_from=_parse_date_field(self.opened_from, "opened_from", "imp.opened_from"),
                                   opened_to=_parse_date_field(self.opened_to, "opened_to", "imp.opened_to"),
                                   as_of=_parse_date_field(self.as_of, "as_of", "imp.as_of"))
        weights = ScoreWeights(**{name: float(slider.value) for name, slider in self.weights.items()})
        return filters, weights


class Headline(widgets.HTML):
    """The concentration figures as a row of tiles."""

    def show(self, figures: pd.Series, locale: str, case_label: str) -> None:
        hhi = figures["hhi"]
        label = {"label": case_label, "label_lower": case_label.lower()}
        tiles = [
            (t("imp.kpi.clients", **label), formatting.number(figures["clients_with_active_cases"], locale)),
            (t("imp.kpi.active", **label), formatting.number(figures["active_cases"], locale)),
            (t("imp.kpi.top1"), formatting.percent(figures["top1_share"], locale)),
            (t("imp.kpi.top5"), formatting.percent(figures["top5_share"], locale)),
            (t("imp.kpi.top10"), formatting.percent(figures["top10_share"], locale)),
            (t("imp.kpi.hhi"), formatting.number(hhi, locale) if not pd.isna(hhi) else "—"),
            (t("imp.kpi.unassigned", **label), formatting.number(figures["unassigned_active_cases"], locale)),
        ]
        cells = "".join(
            f'<div class="ct-kpi"><div class="ct-kpi-value">{esc(value)}</div>'
            f'<div class="ct-kpi-label">{esc(label)}</div></div>'
            for label, value in tiles
        )
        self.value = f'<div class="ct-kpis">{cells}</div>'


class RankingTable(widgets.VBox):
    """The ranking, one page of PAGE_SIZE clients at a time, formatted for reading."""

    def __init__(self, case_label: str = "") -> None:
        self.case_label = case_label
        self.ranking = pd.DataFrame()
        self.locale = formatting.DEFAULT_LOCALE
        self.page = 1
        self.table = widgets.HTML()
        self.previous = widgets.Button(description=t("imp.previous"), layout=widgets.Layout(width="110px"))
        self.next = widgets.Button(description=t("imp.next"), layout=widgets.Layout(width="110px"))
        self.page_label = widgets.Label()
        self.previous.on_click(lambda _button: self.go_to(self.page - 1))
        self.next.on_click(lambda _button: self.go_to(self.page + 1))
        self.pager = widgets.HBox([self.previous, self.page_label, self.next],
                                  layout=widgets.Layout(align_items="center", grid_gap="10px"))
        super().__init__([self.table, self.pager])

    @property
    def pages(self) -> int:
        return max(1, -(-len(self.ranking) // PAGE_SIZE))

    def show(self, ranking: pd.DataFrame, locale: str) -> None:
        self.ranking = ranking
        self.locale = locale
        self.go_to(1)

    def go_to(self, page: int) -> None:
        self.page = min(max(1, page), self.pages)
        rows = self.ranking.iloc[(self.page - 1) * PAGE_SIZE:self.page * PAGE_SIZE]
        self.table.value = self._html(rows)
        self.page_label.value = t("imp.page", page=self.page, pages=self.pages)
        self.previous.disabled = self.page <= 1
        self.next.disabled = self.page >= self.pages
        self.pager.layout.display = "none" if self.ranking.empty else "flex"

    def _html(self, rows: pd.DataFrame) -> str:
        if rows.empty:
            message = t("imp.ranking.none", label_lower=self.case_label.lower())
            return f'<p class="ct-muted ct-ranking-empty">{esc(message)}</p>'
        locale = self.locale
        amount_columns = [column for column in rows.columns if column.startswith(importance.AMOUNT_PREFIX)]
        headers = ["rank", "name", "client_group", "active_cases", "inactive_cases", "active_share",
                   "cumulative_share", "abc_class", "opened_last_12m", "intake_change", "score"]
        head = "".join(f"<th>{esc(column_label(column))}</th>" for column in headers)
        head += f"<th>{esc(t('imp.amounts'))}</th>"
        body = []
        for row in rows.itertuples():
            amounts = "<br>".join(
                esc(formatting.money(getattr(row, column), column[len(importance.AMOUNT_PREFIX):], locale))
                for column in amount_columns if getattr(row, column) > 0
            )
            cells = [
                f'<td class="ct-num">{esc(formatting.number(row.rank, locale))}</td>',
                f"<td>{esc(row.name)}</td>",
                f"<td>{esc(row.client_group or '')}</td>",
                f'<td class="ct-num">{esc(formatting.number(row.active_cases, locale))}</td>',
                f'<td class="ct-num">{esc(formatting.number(row.inactive_cases, locale))}</td>',
                f'<td class="ct-num">{esc(formatting.percent(row.active_share, locale))}</td>',
                f'<td class="ct-num">{esc(formatting.percent(row.cumulative_share, locale))}</td>',
                f'<td class="ct-abc-{esc(row.abc_class)}">{esc(row.abc_class)}</td>',
                f'<td class="ct-num">{esc(formatting.number(row.opened_last_12m, locale))}</td>',
                f'<td class="ct-num">{esc(_signed(row.intake_change, locale))}</td>',
                f'<td class="ct-num">{esc(formatting.number(row.score, locale, decimals=1))}</td>',
                f'<td class="ct-num">{amounts}</td>',
            ]
            body.append(f'<tr class="ct-row">{"".join(cells)}</tr>')
        return f'<table class="ct-ranking"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def _signed(value: int, locale: str) -> str:
    text = formatting.number(value, locale)
    return f"+{text}" if value > 0 else text


class ParetoChart(widgets.VBox):
    """Bars of active cases for the top clients, the cumulative share line and the 80 % mark.

    The x axis shows rank numbers, which always fit under the bars. Hovering over a bar
    shows the client's full name in a tooltip widget that the hover callback fills in.
    """

    def __init__(self, case_label: str = "") -> None:
        self.names: dict[str, tuple[str, int, float]] = {}
        self.locale = formatting.DEFAULT_LOCALE
        x_scale = bqplot.OrdinalScale()
        y_scale = bqplot.LinearScale(min=0)
        share_scale = bqplot.LinearScale(min=0, max=1)
        self.bar_tip = widgets.HTML()
        self.bar_tip.add_class("ct-pareto-tip")
        self.bars = bqplot.Bars(x=[], y=[], scales={"x": x_scale, "y": y_scale}, colors=["#1d4ed8"],
                                tooltip=self.bar_tip)
        self.bars.on_hover(self._hover)
        share_tooltip = bqplot.Tooltip(fields=["x", "y"], labels=[column_label("rank"), t("imp.pareto.cumulative")],
                                       formats=["", ".1%"])
        self.cumulative = bqplot.Lines(x=[], y=[], scales={"x": x_scale, "y": share_scale}, colors=["#c05621"],
                                       marker="circle", marker_size=24, tooltip=share_tooltip,
                                       labels=[t("imp.pareto.cumulative")])
        self.mark = bqplot.Lines(x=[], y=[], scales={"x": x_scale, "y": share_scale}, colors=["#c53030"],
                                 line_style="dashed", labels=[t("imp.pareto.mark")])
        axes = [
            bqplot.Axis(scale=x_scale, label=t("imp.pareto.x"), label_offset="36px"),
            bqplot.Axis(scale=y_scale, side="left", label=t("imp.pareto.y")),
            bqplot.Axis(scale=share_scale, side="right", tick_format=".0%",
                        label=t("imp.pareto.cumulative"), label_offset="50px"),
        ]
        self.figure = bqplot.Figure(marks=[self.bars, self.cumulative, self.mark], axes=axes,
                                    title=t("imp.pareto.title", label_lower=case_label.lower()),
                                    fig_margin={"top": 50, "bottom": 60, "left": 70, "right": 70},
                                    layout=widgets.Layout(width="100%", height="420px"))
        self.case_label = case_label
        self.hint = widgets.HTML()
        super().__init__([self.hint, self.figure])

    def show(self, ranking: pd.DataFrame, top_n: int, locale: str = formatting.DEFAULT_LOCALE) -> None:
        top = ranking[ranking["active_cases"] > 0].head(top_n)
        if top.empty:
            # An empty chart shows nothing useful, and bqplot logged a JavaScript error for empty bars.
            self.figure.layout.display = "none"
            message = t("imp.pareto.none", label_lower=self.case_label.lower())
            self.hint.value = f'<div class="ct-muted">{esc(message)}</div>'
            return
        self.figure.layout.display = None
        self.hint.value = ""
        ranks = [str(rank) for rank in top["rank"]]
        self.locale = locale
        self.names = {
            str(row.rank): (row.name, int(row.active_cases), float(row.cumulative_share)) for row in top.itertuples()
        }
        with self.figure.hold_sync():
            self.bars.x = ranks
            self.bars.y = top["active_cases"].to_numpy(dtype=float)
            self.cumulative.x = ranks
            self.cumulative.y = top["cumulative_share"].to_numpy(dtype=float)
            self.mark.x = ranks
            self.mark.y = [importance.A_LIMIT] * len(ranks)

    def _hover(self, _mark, content: dict) -> None:
        """Fill the tooltip with the hovered bar's client: rank, full name, active cases, cumulative share."""
        point = content.get("point") or content.get("data") or {}
        entry = self.names.get(str(point.get("x")))
        if entry is None:
            self.bar_tip.value = ""
            return
        name, active, cumulative = entry
        locale = self.locale
        self.bar_tip.value = (
            f"<b>{esc(str(point.get('x')))}. {esc(name)}</b><br>"
            f"{esc(column_label('active_cases'))}: {esc(formatting.number(active, locale))}<br>"
            f"{esc(t('imp.pareto.cumulative'))}: {esc(formatting.percent(cumulative, locale))}"
        )


def _short(name: str, width: int = 28) -> str:
    """Return `name` cut to `width` characters, so long client names fit under the bars."""
    return name if len(name) <= width else name[:width - 1] + "…"


class IntakeChart(widgets.VBox):
    """Cases opened per month for the clients the user picks, one line each."""

    def __init__(self, case_label: str = "") -> None:
        self.picker = widgets.SelectMultiple(description=t("imp.intake.pick"),
                                             layout=widgets.Layout(width="420px", height="110px"))
        x_scale = bqplot.DateScale()
        y_scale = bqplot.LinearScale(min=0)
        tooltip = bqplot.Tooltip(fields=["name", "x", "y"], labels=[column_label("name"), t("imp.intake.month"),
                                                                    t("imp.intake.y")],
                                 formats=["", "%m-%Y", ""])
        self.lines = bqplot.Lines(x=[], y=[], scales={"x": x_scale, "y": y_scale}, marker="circle",
                                  marker_size=16, display_legend=True, tooltip=tooltip)
        axes = [
            bqplot.Axis(scale=x_scale, label=t("imp.intake.month"), tick_format="%m-%Y"),
            bqplot.Axis(scale=y_scale, side="left", label=t("imp.intake.y"), tick_format="d"),
        ]
        self.figure = bqplot.Figure(marks=[self.lines], axes=axes, title=t("imp.intake.title", label_lower=case_label.lower()),
                                    legend_location="top-left", layout=widgets.Layout(width="100%", height="360px"))
        self.hint = widgets.HTML()
        super().__init__([self.picker, self.hint, self.figure])

    def set_clients(self, ranking: pd.DataFrame, *, choices: int = 50, chosen: int = 3) -> None:
        """Offer the top `choices` clients and pick the first `chosen` with active cases."""
        top = ranking.head(choices)
        self.picker.options = [(f"{row.rank}. {row.name}", int(row.Index)) for row in top.itertuples()]
        active = top[top["active_cases"] > 0]
        self.picker.value = tuple(int(client_id) for client_id in active.index[:chosen])

    def show(self, intake: pd.DataFrame, as_of: dt.date | None = None, locale: str = formatting.DEFAULT_LOCALE) -> None:
        """Draw one line per client; `as_of` is the last day counted, so a month that ends later is partial."""
        if intake.empty:
            self.hint.value = f'<div class="ct-muted">{esc(t("imp.intake.none"))}</div>'
            with self.figure.hold_sync():
                self.lines.x, self.lines.y, self.lines.labels = [], [], []
            return
        self.hint.value = ""
        if as_of is not None and (as_of + dt.timedelta(days=1)).day != 1:
            # Without this, the current month's low count reads as a drop in intake.
            self.hint.value = (f'<div class="ct-muted">'
                               f'{esc(t("imp.intake.partial", date=formatting.date(as_of, locale)))}</div>')
        wide = intake.pivot(index="month", columns="client_id", values="cases_opened")
        names = intake.drop_duplicates("client_id").set_index("client_id")["name"]
        with self.figure.hold_sync():
            self.lines.x = wide.index.to_numpy()
            self.lines.y = wide.T.to_numpy(dtype=float)
            self.lines.labels = [_short(names[client_id]) for client_id in wide.columns]


def with_cases(ranking: pd.DataFrame) -> pd.DataFrame:
    """Keep the clients with at least one case in the selection, numbered 1..n in ranking order.

    The package ranking lists every live client. Clients with active cases come first and
    keep their rank, so only clients with nothing but inactive cases are renumbered.
    """
    shown = ranking[ranking["total_cases"] > 0].copy()
    shown["rank"] = range(1, len(shown) + 1)
    return shown


class ImportanceApp(widgets.VBox):
    """The Importancia dashboard; every panel reads from the same filters."""

    def __init__(self, context: AppContext | Database) -> None:
        self.context = context if isinstance(context, AppContext) else load_context(context)
        self.notice = Notice()
        self.status = Notice()
        self.ranking = pd.DataFrame()
        self.figures = pd.Series(dtype=object)
        self.filters_used = ImportanceFilter()
        self.weights_used = ScoreWeights.from_setting(self.context.settings["score_weights"])

        self.header = Header(self.context, active="importance", title=t("imp.title"))
        self.intro = widgets.HTML(f'<p class="ct-intro">{esc(t("imp.intro"))}</p>')
        parts: list[widgets.Widget] = [stylesheet(), widgets.HTML(CSS), self.header, self.intro, self.notice]
        try:
            self.filters = ImportanceFilters(self.context.db, locale=self.context.locale,
                                             case_label=self.context.case_label, weights=self.weights_used,
                                             can_save_weights=permissions.can(self.context.role, "settings.write"))
        except Exception as error:  # a failed panel must not blank the page
            self.filters = None
            parts.append(failed_panel(error))
        else:
            parts.append(self.filters)
            self.filters.apply.on_click(lambda _button: self.refresh())
            if self.filters.save_weights is not None:
                self.filters.save_weights.on_click(lambda _button: self.save_weights())

        self.headline = Headline()
        self.table = RankingTable(self.context.case_label)
        self.pareto = ParetoChart(self.context.case_label)
        self.top_n = widgets.Dropdown(options=list(TOP_N_CHOICES), value=TOP_N_CHOICES[0], description=t("imp.top_n"),
                                      style={"description_width": "160px"}, layout=widgets.Layout(width="260px"))
        self.intake = IntakeChart(self.context.case_label)
        self.export_button = widgets.Button(description=t("imp.export"), icon="download",
                                            layout=widgets.Layout(width="240px"))
        self.download = widgets.HTML()
        self.download.add_class("ct-export")

        parts += [
            self.status, self.headline,
            widgets.HBox([self.export_button, self.download], layout=widgets.Layout(align_items="center")),
            self.table, self.top_n, self.pareto, self.intake,
        ]
        super().__init__(parts)
        self.add_class("ct-app")

        self.top_n.observe(lambda _change: self._redraw_pareto(), "value")
        self.intake.picker.observe(lambda _change: self.refresh_intake(), "value")
        self.export_button.on_click(lambda _button: self.offer_download())
        self.refresh()

    @classmethod
    def from_environment(cls, db: Database | None = None, *, user: str | None = None) -> "ImportanceApp":
        """Build the app for Voilà or JupyterLab: the database from $CASETRACK_DB, the user from the server."""
        return cls(load_context(db, user=user))

    @property
    def db(self) -> Database:
        return self.context.db

    def _controls(self) -> list[widgets.Widget]:
        controls = [self.top_n, self.export_button, self.intake.picker]
        return controls + (self.filters.controls if self.filters is not None else [])

    @guarded()
    def save_weights(self) -> None:
        """Save the sliders as the firm's default weights (superadmin only) and recompute."""
        with busy(*self._controls()):
            saved = set_setting(self.db, "score_weights", self.filters.weights_setting())
        self.context.settings.update(saved)
        self.refresh()
        self.notice.ok(t("imp.weights_saved"))

    @guarded()
    def refresh(self) -> None:
        """Recompute every panel from the current filters and weights."""
        self.notice.clear()
        filters, weights = self.filters.current() if self.filters is not None else (ImportanceFilter(), self.weights_used)
        with busy(*self._controls()):
            ranking = importance.importance_table(self.db, filters, weights)
            figures = importance.portfolio_concentration(self.db, filters)
            total_cases = int(ranking["total_cases"].sum()) + self._unassigned_total(filters)
        self.filters_used, self.weights_used = filters, weights
        self.ranking, self.figures = with_cases(ranking), figures
        self.download.value = ""

        label = {"label": self.context.case_label, "label_lower": self.context.case_label.lower()}
        self.status.clear()
        if total_cases == 0:
            has_filters = any([filters.matters, filters.courts, filters.lawyers, filters.opened_from, filters.opened_to])
            self.status.warn(t("imp.empty.filters" if has_filters else "imp.empty.none", **label))
        elif figures["active_cases"] == 0:
            self.status.warn(t("imp.empty.no_active", **label))
        if figures["unassigned_active_cases"] > 0:
            count = formatting.number(figures["unassigned_active_cases"], self.context.locale)
            self.notice.warn(t("imp.unassigned", count=count, **label))

        self.headline.show(figures, self.context.locale, self.context.case_label)
        self.table.show(self.ranking, self.context.locale)
        self._redraw_pareto()
        self.intake.set_clients(self.ranking)
        self.refresh_intake()

    def _unassigned_total(self, filters: ImportanceFilter) -> int:
        """Return how many cases (any status) pass the filters without a client, for the empty-state message."""
        where, params = filters.where()
        with self.db.read() as con:
            return con.execute(f"SELECT count(*) FROM cases k WHERE k.client_id IS NULL AND {where}", params).fetchone()[0]

    @guarded()
    def _redraw_pareto(self) -> None:
        self.pareto.show(self.ranking, self.top_n.value, self.context.locale)

    @guarded()
    def refresh_intake(self) -> None:
        """Redraw the monthly intake for the picked clients."""
        chosen = list(self.intake.picker.value)
        with busy(self.intake.picker):
            intake = importance.monthly_intake(self.db, chosen, self.filters_used, months=INTAKE_MONTHS)
        self.intake.show(intake, self.filters_used.reference_date, self.context.locale)

    def export_bytes(self) -> tuple[str, bytes]:
        """Return (file name, XLSX content) of the ranking on screen: the clients with cases in the selection."""
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M")
        return f"importancia-{stamp}.xlsx", importance.ranking_xlsx(self.ranking)

    @guarded()
    def offer_download(self) -> None:
        """Build the XLSX of the ranking and show it as a download link."""
        self.download.value = ""
        with busy(self.export_button):
            filename, content = self.export_bytes()
        payload = base64.b64encode(content).decode("ascii")
        text = t("imp.export.link", filename=filename)
        self.download.value = (f'<a class="ct-download" download="{esc(filename)}" '
                               f'href="data:{XLSX_MIME};base64,{payload}">{esc(text)}</a>')
