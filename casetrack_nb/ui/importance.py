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

from .. import formatting, importance
from ..cases import facet_values
from ..i18n import add_messages, t
from ..importance import ImportanceFilter, column_label
from ..scoring import COMPONENTS, ScoreWeights
from ..store import Database
from .base import AppContext, Header, Notice, busy, esc, failed_panel, guarded, load_context, stylesheet

add_messages({
    "imp.title": {"es": "Importancia de los clientes", "en": "Client importance"},
    "imp.matters": {"es": "Materias", "en": "Matters"},
    "imp.courts": {"es": "Tribunales", "en": "Courts"},
    "imp.lawyers": {"es": "Abogados", "en": "Lawyers"},
    "imp.opened_from": {"es": "Inicio desde", "en": "Opened from"},
    "imp.opened_to": {"es": "Inicio hasta", "en": "Opened to"},
    "imp.as_of": {"es": "Fecha de corte", "en": "As of"},
    "imp.weights": {"es": "Pesos del puntaje", "en": "Score weights"},
    "imp.weight.active_cases": {"es": "Causas activas", "en": "Active cases"},
    "imp.weight.amount": {"es": "Cuantía", "en": "Amount"},
    "imp.weight.recent_intake": {"es": "Ingresos 12 meses", "en": "Intake 12 months"},
    "imp.weight.seniority": {"es": "Antigüedad", "en": "Seniority"},
    "imp.apply": {"es": "Aplicar", "en": "Apply"},
    "imp.top_n": {"es": "Clientes en el gráfico", "en": "Clients in the chart"},
    "imp.previous": {"es": "Anterior", "en": "Previous"},
    "imp.next": {"es": "Siguiente", "en": "Next"},
    "imp.page": {"es": "Página {page} de {pages}", "en": "Page {page} of {pages}"},
    "imp.export": {"es": "Exportar ranking (XLSX)", "en": "Export ranking (XLSX)"},
    "imp.export.link": {"es": "Descargar {filename}", "en": "Download {filename}"},
    "imp.kpi.clients": {"es": "Clientes con causas activas", "en": "Clients with active cases"},
    "imp.kpi.active": {"es": "Causas activas con cliente", "en": "Active cases with a client"},
    "imp.kpi.unassigned": {"es": "Causas activas sin cliente", "en": "Active cases without a client"},
    "imp.kpi.top1": {"es": "Principal cliente", "en": "Top client"},
    "imp.kpi.top5": {"es": "5 principales", "en": "Top 5"},
    "imp.kpi.top10": {"es": "10 principales", "en": "Top 10"},
    "imp.kpi.hhi": {"es": "Índice HHI (0–10.000)", "en": "HHI (0–10,000)"},
    "imp.pareto.title": {"es": "Pareto de causas activas", "en": "Pareto of active cases"},
    "imp.pareto.y": {"es": "Causas activas", "en": "Active cases"},
    "imp.pareto.cumulative": {"es": "Participación acumulada", "en": "Cumulative share"},
    "imp.pareto.mark": {"es": "80 %", "en": "80 %"},
    "imp.intake.title": {"es": "Causas iniciadas por mes", "en": "Cases opened per month"},
    "imp.intake.pick": {"es": "Clientes", "en": "Clients"},
    "imp.intake.month": {"es": "Mes", "en": "Month"},
    "imp.intake.y": {"es": "Causas iniciadas", "en": "Cases opened"},
    "imp.intake.none": {"es": "Elija uno o más clientes para ver sus ingresos por mes.",
                        "en": "Pick one or more clients to see their monthly intake."},
    "imp.amounts": {"es": "Cuantía (activas)", "en": "Amount (active)"},
    "imp.empty.none": {
        "es": "Todavía no hay causas registradas. Agregue clientes en Administración › Clientes y sus "
        "causas en Portafolio, o impórtelos; este tablero se llenará solo.",
        "en": "There are no cases yet. Add clients in Administration › Clients and their cases in "
        "Portfolio, or import them; this dashboard fills itself.",
    },
    "imp.empty.filters": {
        "es": "Ninguna causa cumple los filtros elegidos. Quite alguno de los filtros o amplíe las fechas.",
        "en": "No case matches the chosen filters. Remove a filter or widen the dates.",
    },
    "imp.empty.no_active": {
        "es": "No hay causas activas con cliente en la selección, así que no hay participaciones ni "
        "clases ABC que calcular. Las causas inactivas siguen en la tabla.",
        "en": "There are no active cases with a client in the selection, so there are no shares or "
        "ABC classes to compute. Inactive cases are still in the table.",
    },
    "imp.unassigned": {
        "es": "Causas activas sin cliente asignado: {count}. No cuentan en las participaciones; "
        "vincúlelas a su cliente en Portafolio.",
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
.ct-kpi { border: 1px solid #d9e2ec; border-radius: 6px; padding: 6px 12px; min-width: 150px; }
.ct-kpi-value { font-size: 20px; font-weight: 600; }
.ct-kpi-label { font-size: 12px; color: #52606d; }
.ct-ranking { border-collapse: collapse; font-size: 13px; width: 100%; }
.ct-ranking th { text-align: left; border-bottom: 2px solid #d9e2ec; padding: 4px 6px; color: #334e68; }
.ct-ranking td { border-bottom: 1px solid #eef2f7; padding: 3px 6px; vertical-align: top; }
.ct-ranking td.ct-num { text-align: right; white-space: nowrap; }
.ct-abc-A { color: #1e6b2f; font-weight: 600; }
.ct-abc-B { color: #8a6d1d; font-weight: 600; }
.ct-abc-C { color: #52606d; }
</style>
"""


def _date(widget: widgets.DatePicker) -> dt.date | None:
    value = widget.value
    if isinstance(value, dt.datetime):
        return value.date()
    return value


class ImportanceFilters(widgets.VBox):
    """The filters shared by every panel: matter, court, lawyer, opening dates, as-of date and weights."""

    def __init__(self, db: Database) -> None:
        layout = widgets.Layout(width="240px", height="90px")
        self.matters = widgets.SelectMultiple(options=facet_values(db, "matter"), description=t("imp.matters"),
                                              layout=layout)
        self.courts = widgets.SelectMultiple(options=facet_values(db, "court"), description=t("imp.courts"),
                                             layout=layout)
        self.lawyers = widgets.SelectMultiple(options=facet_values(db, "responsible_lawyer"),
                                              description=t("imp.lawyers"), layout=layout)
        self.opened_from = widgets.DatePicker(description=t("imp.opened_from"))
        self.opened_to = widgets.DatePicker(description=t("imp.opened_to"))
        self.as_of = widgets.DatePicker(description=t("imp.as_of"), value=dt.date.today())
        defaults = ScoreWeights()
        self.weights = {
            name: widgets.FloatSlider(value=getattr(defaults, name), min=0, max=1, step=0.05,
                                      description=t(f"imp.weight.{name}"), readout_format=".2f",
                                      style={"description_width": "120px"})
            for name in COMPONENTS
        }
        self.apply = widgets.Button(description=t("imp.apply"), button_style="primary", icon="filter")
        for control in (self.opened_from, self.opened_to, self.as_of):
            control.layout = widgets.Layout(width="260px")

        dates = widgets.VBox([self.opened_from, self.opened_to, self.as_of])
        weights = widgets.VBox([widgets.HTML(f"<b>{esc(t('imp.weights'))}</b>"), *self.weights.values()])
        super().__init__([
            widgets.HBox([self.matters, self.courts, self.lawyers], layout=widgets.Layout(flex_flow="row wrap")),
            widgets.HBox([dates, weights], layout=widgets.Layout(flex_flow="row wrap")),
            self.apply,
        ])

    @property
    def controls(self) -> list[widgets.Widget]:
        return [self.matters, self.courts, self.lawyers, self.opened_from, self.opened_to, self.as_of,
                *self.weights.values(), self.apply]

    def current(self) -> tuple[ImportanceFilter, ScoreWeights]:
        """Return the chosen filter and weights; raise ValidationError for reversed dates or all-zero weights."""
        filters = ImportanceFilter(matters=list(self.matters.value), courts=list(self.courts.value),
                                   lawyers=list(self.lawyers.value), opened_from=_date(self.opened_from),
                                   opened_to=_date(self.opened_to), as_of=_date(self.as_of))
        weights = ScoreWeights(**{name: float(slider.value) for name, slider in self.weights.items()})
        return filters, weights


class Headline(widgets.HTML):
    """The concentration figures as a row of tiles."""

    def show(self, figures: pd.Series, locale: str) -> None:
        hhi = figures["hhi"]
        tiles = [
            (t("imp.kpi.clients"), formatting.number(figures["clients_with_active_cases"], locale)),
            (t("imp.kpi.active"), formatting.number(figures["active_cases"], locale)),
            (t("imp.kpi.top1"), formatting.percent(figures["top1_share"], locale)),
            (t("imp.kpi.top5"), formatting.percent(figures["top5_share"], locale)),
            (t("imp.kpi.top10"), formatting.percent(figures["top10_share"], locale)),
            (t("imp.kpi.hhi"), formatting.number(hhi, locale) if not pd.isna(hhi) else "—"),
            (t("imp.kpi.unassigned"), formatting.number(figures["unassigned_active_cases"], locale)),
        ]
        cells = "".join(
            f'<div class="ct-kpi"><div class="ct-kpi-value">{esc(value)}</div>'
            f'<div class="ct-kpi-label">{esc(label)}</div></div>'
            for label, value in tiles
        )
        self.value = f'<div class="ct-kpis">{cells}</div>'


class RankingTable(widgets.VBox):
    """The ranking, one page of PAGE_SIZE clients at a time, formatted for reading."""

    def __init__(self) -> None:
        self.ranking = pd.DataFrame()
        self.locale = formatting.DEFAULT_LOCALE
        self.page = 1
        self.table = widgets.HTML()
        self.previous = widgets.Button(description=t("imp.previous"), layout=widgets.Layout(width="110px"))
        self.next = widgets.Button(description=t("imp.next"), layout=widgets.Layout(width="110px"))
        self.page_label = widgets.Label()
        self.previous.on_click(lambda _button: self.go_to(self.page - 1))
        self.next.on_click(lambda _button: self.go_to(self.page + 1))
        pager = widgets.HBox([self.previous, self.page_label, self.next], layout=widgets.Layout(align_items="center"))
        super().__init__([self.table, pager])

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

    def _html(self, rows: pd.DataFrame) -> str:
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
    """Bars of active cases for the top clients, the cumulative share line and the 80 % mark."""

    def __init__(self) -> None:
        x_scale = bqplot.OrdinalScale()
        y_scale = bqplot.LinearScale(min=0)
        share_scale = bqplot.LinearScale(min=0, max=1)
        tooltip = bqplot.Tooltip(fields=["x", "y"], labels=[column_label("name"), t("imp.pareto.y")])
        self.bars = bqplot.Bars(x=[], y=[], scales={"x": x_scale, "y": y_scale}, colors=["#1d4ed8"],
                                tooltip=tooltip)
        share_tooltip = bqplot.Tooltip(fields=["x", "y"], labels=[column_label("name"), t("imp.pareto.cumulative")],
                                       formats=["", ".1%"])
        self.cumulative = bqplot.Lines(x=[], y=[], scales={"x": x_scale, "y": share_scale}, colors=["#c05621"],
                                       marker="circle", marker_size=24, tooltip=share_tooltip,
                                       labels=[t("imp.pareto.cumulative")])
        self.mark = bqplot.Lines(x=[], y=[], scales={"x": x_scale, "y": share_scale}, colors=["#c53030"],
                                 line_style="dashed", labels=[t("imp.pareto.mark")])
        axes = [
            bqplot.Axis(scale=x_scale, tick_rotate=-30, tick_style={"font-size": "10px"}),
            bqplot.Axis(scale=y_scale, side="left", label=t("imp.pareto.y")),
            bqplot.Axis(scale=share_scale, side="right", tick_format=".0%",
                        label=t("imp.pareto.cumulative")),
        ]
        self.figure = bqplot.Figure(marks=[self.bars, self.cumulative, self.mark], axes=axes,
                                    title=t("imp.pareto.title"), fig_margin={"top": 50, "bottom": 110, "left": 60, "right": 70},
                                    layout=widgets.Layout(width="100%", height="420px"))
        super().__init__([self.figure])

    def show(self, ranking: pd.DataFrame, top_n: int) -> None:
        top = ranking[ranking["active_cases"] > 0].head(top_n)
        names = [f"{rank}. {_short(name)}" for rank, name in zip(top["rank"], top["name"])]
        with self.figure.hold_sync():
            self.bars.x = names
            self.bars.y = top["active_cases"].to_numpy(dtype=float)
            self.cumulative.x = names
            self.cumulative.y = top["cumulative_share"].to_numpy(dtype=float)
            self.mark.x = names
            self.mark.y = [importance.A_LIMIT] * len(names)


def _short(name: str, width: int = 28) -> str:
    """Return `name` cut to `width` characters, so long client names fit under the bars."""
    return name if len(name) <= width else name[:width - 1] + "…"


class IntakeChart(widgets.VBox):
    """Cases opened per month for the clients the user picks, one line each."""

    def __init__(self) -> None:
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
        self.figure = bqplot.Figure(marks=[self.lines], axes=axes, title=t("imp.intake.title"),
                                    legend_location="top-left", layout=widgets.Layout(width="100%", height="360px"))
        self.hint = widgets.HTML()
        super().__init__([self.picker, self.hint, self.figure])

    def set_clients(self, ranking: pd.DataFrame, *, choices: int = 50, chosen: int = 3) -> None:
        """Offer the top `choices` clients and pick the first `chosen` with active cases."""
        top = ranking.head(choices)
        self.picker.options = [(f"{row.rank}. {row.name}", int(row.Index)) for row in top.itertuples()]
        active = top[top["active_cases"] > 0]
        self.picker.value = tuple(int(client_id) for client_id in active.index[:chosen])

    def show(self, intake: pd.DataFrame) -> None:
        if intake.empty:
            self.hint.value = f'<div class="ct-muted">{esc(t("imp.intake.none"))}</div>'
            with self.figure.hold_sync():
                self.lines.x, self.lines.y, self.lines.labels = [], [], []
            return
        self.hint.value = ""
        wide = intake.pivot(index="month", columns="client_id", values="cases_opened")
        names = intake.drop_duplicates("client_id").set_index("client_id")["name"]
        with self.figure.hold_sync():
            self.lines.x = wide.index.to_numpy()
            self.lines.y = wide.T.to_numpy(dtype=float)
            self.lines.labels = [_short(names[client_id]) for client_id in wide.columns]


class ImportanceApp(widgets.VBox):
    """The Importancia dashboard; every panel reads from the same filters."""

    def __init__(self, context: AppContext | Database) -> None:
        self.context = context if isinstance(context, AppContext) else load_context(context)
        self.notice = Notice()
        self.status = Notice()
        self.ranking = pd.DataFrame()
        self.figures = pd.Series(dtype=object)
        self.filters_used = ImportanceFilter()
        self.weights_used = ScoreWeights()

        self.header = Header(self.context, active="importance", title=t("imp.title"))
        parts: list[widgets.Widget] = [stylesheet(), widgets.HTML(CSS), self.header, self.notice]
        try:
            self.filters = ImportanceFilters(self.context.db)
        except Exception as error:  # a failed panel must not blank the page
            self.filters = None
            parts.append(failed_panel(error))
        else:
            parts.append(self.filters)
            self.filters.apply.on_click(lambda _button: self.refresh())

        self.headline = Headline()
        self.table = RankingTable()
        self.pareto = ParetoChart()
        self.top_n = widgets.Dropdown(options=list(TOP_N_CHOICES), value=TOP_N_CHOICES[0], description=t("imp.top_n"),
                                      style={"description_width": "160px"}, layout=widgets.Layout(width="260px"))
        self.intake = IntakeChart()
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
    def refresh(self) -> None:
        """Recompute every panel from the current filters and weights."""
        self.notice.clear()
        filters, weights = self.filters.current() if self.filters is not None else (ImportanceFilter(), ScoreWeights())
        with busy(*self._controls()):
            ranking = importance.importance_table(self.db, filters, weights)
            figures = importance.portfolio_concentration(self.db, filters)
            total_cases = int(ranking["total_cases"].sum()) + self._unassigned_total(filters)
        self.filters_used, self.weights_used = filters, weights
        self.ranking, self.figures = ranking, figures
        self.download.value = ""

        self.status.clear()
        if total_cases == 0:
            has_filters = any([filters.matters, filters.courts, filters.lawyers, filters.opened_from, filters.opened_to])
            self.status.warn(t("imp.empty.filters" if has_filters else "imp.empty.none"))
        elif figures["active_cases"] == 0:
            self.status.warn(t("imp.empty.no_active"))
        if figures["unassigned_active_cases"] > 0:
            count = formatting.number(figures["unassigned_active_cases"], self.context.locale)
            self.notice.warn(t("imp.unassigned", count=count))

        self.headline.show(figures, self.context.locale)
        self.table.show(ranking, self.context.locale)
        self._redraw_pareto()
        self.intake.set_clients(ranking)
        self.refresh_intake()

    def _unassigned_total(self, filters: ImportanceFilter) -> int:
        """Return how many cases (any status) pass the filters without a client, for the empty-state message."""
        where, params = filters.where()
        with self.db.read() as con:
            return con.execute(f"SELECT count(*) FROM cases k WHERE k.client_id IS NULL AND {where}", params).fetchone()[0]

    @guarded()
    def _redraw_pareto(self) -> None:
        self.pareto.show(self.ranking, self.top_n.value)

    @guarded()
    def refresh_intake(self) -> None:
        """Redraw the monthly intake for the picked clients."""
        chosen = list(self.intake.picker.value)
        with busy(self.intake.picker):
            intake = importance.monthly_intake(self.db, chosen, self.filters_used, months=INTAKE_MONTHS)
        self.intake.show(intake)

    def export_bytes(self) -> tuple[str, bytes]:
        """Return (file name, XLSX content) of the ranking on screen."""
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
