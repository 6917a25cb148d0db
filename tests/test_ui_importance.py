"""The Importancia app built headless: panels, formatting, filters, export and the edge portfolios."""

from __future__ import annotations

import base64
import datetime as dt
import io
import re

import openpyxl

import casetrack_nb as ct
from casetrack_nb.ui.importance import PAGE_SIZE, ImportanceApp

from test_importance import AS_OF, build_portfolio


def build_app(db) -> ImportanceApp:
    app = ImportanceApp(db)
    app.filters.as_of.value = AS_OF
    app.filters.apply.click()
    return app


def test_ranking_and_figures_formatted(admin_db):
    build_portfolio(admin_db)
    app = build_app(admin_db)

    assert app.notice.value.count("ct-notice-error") == 0
    assert "Causas activas sin cliente asignado: 1." in app.notice.value
    assert ">40,0 %<" in app.headline.value  # top client
    assert ">2.850<" in app.headline.value  # HHI
    assert "$ 1.300.000" in app.table.table.value  # Alfa's CLP, Babel es_CL
    assert "US$ 4.000,00" in app.table.table.value
    assert app.ranking["active_share"].dtype == "float64"  # the frame behind the table stays numeric
    assert list(app.pareto.bars.y) == [8, 6, 3, 2, 1]
    assert list(app.pareto.cumulative.y) == [0.4, 0.7, 0.85, 0.95, 1.0]
    assert set(app.pareto.mark.y) == {0.8}


def test_intake_follows_picked_clients(admin_db):
    ids = build_portfolio(admin_db)
    app = build_app(admin_db)

    assert app.intake.picker.value == (ids["Alfa"], ids["Beta"], ids["Gamma"])
    app.intake.picker.value = (ids["Alfa"],)

    assert app.intake.lines.labels == ["Alfa"]
    assert len(app.intake.lines.y) == 24  # bqplot stores a single line as one row
    assert app.intake.lines.y.sum() == 5  # July 2023 to June 2025


def test_filters_and_weights_apply(admin_db):
    build_portfolio(admin_db)
    app = build_app(admin_db)
    app.filters.matters.value = ("Laboral",)
    app.filters.weights["amount"].value = 0.0
    app.filters.apply.click()

    assert ">100,0 %<" in app.headline.value
    assert list(app.pareto.bars.y) == [3]
    assert (app.ranking["amount_points"] == 0).all()


def test_reversed_dates_show_message(admin_db):
    build_portfolio(admin_db)
    app = build_app(admin_db)
    app.filters.opened_from.value = dt.date(2025, 2, 1)
    app.filters.opened_to.value = dt.date(2025, 1, 1)
    app.filters.apply.click()

    assert "ct-notice-error" in app.notice.value
    assert "01-02-2025" in app.notice.value
    assert not app.filters.apply.disabled


def test_all_zero_weights_show_message(admin_db):
    build_portfolio(admin_db)
    app = build_app(admin_db)
    for slider in app.filters.weights.values():
        slider.value = 0.0
    app.filters.apply.click()

    assert "Todos los pesos del puntaje son 0" in app.notice.value


def test_export_link_holds_ranking(admin_db):
    build_portfolio(admin_db)
    app = build_app(admin_db)
    app.export_button.click()

    match = re.search(r'href="data:[^;]+;base64,([^"]+)"', app.download.value)
    assert match
    sheet = openpyxl.load_workbook(io.BytesIO(base64.b64decode(match.group(1))))["Importancia"]
    assert sheet.cell(row=1, column=3).value == "Cliente"
    assert [sheet.cell(row=row, column=3).value for row in range(2, 5)] == ["Alfa", "Beta", "Gamma"]
    assert app.export_button.description == "Exportar ranking (XLSX)"


def test_ranking_pages(admin_db):
    for number in range(PAGE_SIZE + 3):
        client = ct.add_client(admin_db, name=f"Cliente {number:02d}")
        ct.add_case(admin_db, case_number=f"P-{number}", client_id=client["id"])
    app = build_app(admin_db)

    assert app.table.page_label.value == "Página 1 de 2"
    assert app.table.previous.disabled
    app.table.next.click()
    assert app.table.page_label.value == "Página 2 de 2"
    assert app.table.table.value.count('class="ct-row"') == 3


def test_client_name_escaped(admin_db):
    client = ct.add_client(admin_db, name="<img src=x onerror=alert(1)>")
    ct.add_case(admin_db, case_number="X-1", client_id=client["id"])
    app = build_app(admin_db)

    assert "<img" not in app.table.table.value
    assert "&lt;img src=x" in app.table.table.value


# Edge portfolios: each one shows a Spanish message and no error.

def test_empty_database_message(admin_db):
    app = build_app(admin_db)

    assert "Todavía no hay causas registradas" in app.status.value
    assert "ct-notice-error" not in app.notice.value
    assert ">—<" in app.headline.value  # HHI undefined
    assert list(app.pareto.bars.x) == []
    assert "Elija uno o más clientes" in app.intake.hint.value


def test_only_inactive_cases_message(admin_db):
    client = ct.add_client(admin_db, name="Solo Inactivas")
    ct.add_case(admin_db, case_number="I-1", client_id=client["id"], status="inactiva")
    app = build_app(admin_db)

    assert "No hay causas activas con cliente" in app.status.value
    assert "Solo Inactivas" in app.table.table.value
    assert "ct-notice-error" not in app.notice.value


def test_one_client_dashboard(admin_db):
    client = ct.add_client(admin_db, name="Única S.A.")
    ct.add_case(admin_db, case_number="1", client_id=client["id"], amount=1_250_000, currency="CLP")
    ct.add_case(admin_db, case_number="2", client_id=client["id"], amount=10, currency="EUR")
    app = build_app(admin_db)

    assert app.status.value == ""
    assert ">10.000<" in app.headline.value
    assert "$ 1.250.000" in app.table.table.value
    assert "€ 10,00" in app.table.table.value or "EUR 10,00" in app.table.table.value
    assert list(app.pareto.bars.y) == [2]


def test_only_unassigned_cases_message(admin_db):
    ct.add_case(admin_db, case_number="S-1")
    app = build_app(admin_db)

    assert "No hay causas activas con cliente" in app.status.value
    assert "Causas activas sin cliente asignado: 1." in app.notice.value


def test_filters_matching_nothing_message(admin_db):
    client = ct.add_client(admin_db, name="Cliente Civil")
    ct.add_case(admin_db, case_number="C-1", client_id=client["id"], matter="Civil", opened_on=dt.date(2020, 1, 1))
    app = build_app(admin_db)
    app.filters.opened_from.value = dt.date(2024, 1, 1)
    app.filters.apply.click()

    assert "Ninguna causa cumple los filtros" in app.status.value
