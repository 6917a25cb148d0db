"""The Importancia app built headless: panels, formatting, filters, export and the edge portfolios."""

from __future__ import annotations

import base64
import datetime as dt
import io
import re

import openpyxl
import pytest

import casetrack_nb as ct
from casetrack_nb.ui.importance import PAGE_SIZE, ImportanceApp

from test_importance import AS_OF, build_portfolio


def build_app(db) -> ImportanceApp:
    app = ImportanceApp(db)
    app.filters.as_of.value = AS_OF.strftime("%d-%m-%Y")
    app.filters.apply.click()
    return app


def set_case_label(db, label: str) -> None:
    ct.set_setting(ct.open_database(db.path, user="socia"), "case_label", label)


def test_ranking_and_figures_formatted(admin_db):
    build_portfolio(admin_db)
    app = build_app(admin_db)

    assert app.notice.value.count("ct-notice-error") == 0
    assert "Causas/Procesos/Casos/Expediente en estado Activa sin cliente asignado: 1." in app.notice.value
    assert ">40,0 %<" in app.headline.value  # top client
    assert ">2.850<" in app.headline.value  # HHI
    assert "$ 1.300.000" in app.table.table.value  # Alfa's CLP, Babel es_CL
    assert "US$ 4.000,00" in app.table.table.value
    assert app.ranking["active_share"].dtype == "float64"  # the frame behind the table stays numeric
    assert list(app.pareto.bars.y) == [8, 6, 3, 2, 1]
    assert app.pareto.figure.layout.display is None
    assert app.pareto.hint.value == ""
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
    app.filters.opened_from.value = "01-02-2025"
    app.filters.opened_to.value = "2025-01-01"
    app.filters.apply.click()

    assert "ct-notice-error" in app.notice.value
    assert "01-02-2025" in app.notice.value
    assert not app.filters.apply.disabled


def test_date_fields_are_text_with_hint(admin_db):
    app = ImportanceApp(admin_db)

    for field in (app.filters.opened_from, app.filters.opened_to, app.filters.as_of):
        assert field.placeholder == "dd-mm-aaaa"
    assert app.filters.as_of.value == dt.date.today().strftime("%d-%m-%Y")


def test_date_fields_parse_day_first_and_iso(admin_db):
    build_portfolio(admin_db)
    app = build_app(admin_db)
    app.filters.opened_from.value = "01-01-2025"
    app.filters.opened_to.value = "2025-06-30"
    app.filters.apply.click()

    assert app.filters_used.opened_from == dt.date(2025, 1, 1)
    assert app.filters_used.opened_to == dt.date(2025, 6, 30)
    assert app.filters_used.as_of == AS_OF
    assert "ct-notice-error" not in app.notice.value


def test_bad_date_message_names_value(admin_db):
    build_portfolio(admin_db)
    app = build_app(admin_db)
    app.filters.as_of.value = "12/31/2025"
    app.filters.apply.click()

    assert "ct-notice-error" in app.notice.value
    assert "«12/31/2025»" in app.notice.value
    assert "«Fecha de corte»" in app.notice.value
    assert "dd-mm-aaaa" in app.notice.value
    assert app.filters_used.as_of == AS_OF  # the last good filters stay in use


def test_all_zero_weights_show_message(admin_db):
    build_portfolio(admin_db)
    app = build_app(admin_db)
    for slider in app.filters.weights.values():
        slider.value = 0.0
    app.filters.apply.click()

    assert "Todos los pesos del puntaje son 0" in app.notice.value


def test_weight_shares_use_decimal_comma(admin_db):
    app = ImportanceApp(admin_db)
    shares = app.filters.weight_shares

    assert all(not slider.readout for slider in app.filters.weights.values())
    assert ">40,0 %<" in shares["active_cases"].value
    assert ">10,0 %<" in shares["seniority"].value
    app.filters.weights["amount"].value = 0.0
    assert ">57,1 %<" in shares["active_cases"].value  # 0.4 / 0.7, as the score rescales it
    assert ">0,0 %<" in shares["amount"].value
    for slider in app.filters.weights.values():
        slider.value = 0.0
    assert ">—<" in shares["active_cases"].value


def test_export_link_holds_ranking(admin_db):
    build_portfolio(admin_db)
    app = build_app(admin_db)
    app.export_button.click()

    match = re.search(r'href="data:[^;]+;base64,([^"]+)"', app.download.value)
    assert match
    sheet = openpyxl.load_workbook(io.BytesIO(base64.b64decode(match.group(1))))["Importancia"]
    assert sheet.cell(row=1, column=3).value == "Cliente"
    assert [sheet.cell(row=row, column=3).value for row in range(2, 8)] == ["Alfa", "Beta", "Gamma", "Delta",
                                                                            "Zeta", None]  # Épsilon has no cases
    assert app.export_button.description == "Exportar ranking (XLSX)"
    assert 'class="ct-download"' in app.download.value


def test_ranking_pages(admin_db):
    for number in range(PAGE_SIZE + 3):
        client = ct.add_client(admin_db, name=f"Cliente {number:02d}")
        ct.add_case(admin_db, case_number=f"P-{number}", client_id=client["id"])
    app = build_app(admin_db)

    assert app.table.page_label.value == "Página 1 de 2"
    assert app.table.previous.description == "‹ Anterior"
    assert app.table.next.description == "Siguiente ›"
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

    assert "Aún no hay registros de causas/procesos/casos/expediente" in app.status.value
    assert "ct-notice-error" not in app.notice.value
    assert ">—<" in app.headline.value  # HHI undefined
    assert list(app.pareto.bars.x) == []
    assert app.pareto.figure.layout.display == "none"
    assert "ningún cliente tiene causas/procesos/casos/expediente en estado Activa" in app.pareto.hint.value
    assert "Elija uno o más clientes" in app.intake.hint.value


def test_only_inactive_cases_message(admin_db):
    client = ct.add_client(admin_db, name="Solo Inactivas")
    ct.add_case(admin_db, case_number="I-1", client_id=client["id"], status="inactiva")
    app = build_app(admin_db)

    assert "La selección no tiene causas/procesos/casos/expediente en estado Activa con cliente" in app.status.value
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

    assert "La selección no tiene causas/procesos/casos/expediente en estado Activa" in app.status.value
    assert "en estado Activa sin cliente asignado: 1." in app.notice.value


def test_filters_matching_nothing_message(admin_db):
    client = ct.add_client(admin_db, name="Cliente Civil")
    ct.add_case(admin_db, case_number="C-1", client_id=client["id"], matter="Civil", opened_on=dt.date(2020, 1, 1))
    app = build_app(admin_db)
    app.filters.opened_from.value = "01-01-2024"
    app.filters.apply.click()

    assert "Ningún registro de causas/procesos/casos/expediente cumple los filtros" in app.status.value
    assert "Ningún cliente tiene causas/procesos/casos/expediente en la selección" in app.table.table.value


def test_ranking_lists_clients_with_cases(admin_db):
    ids = build_portfolio(admin_db)
    app = build_app(admin_db)

    assert ids["Épsilon"] not in app.ranking.index  # a client without cases
    assert app.ranking["rank"].tolist() == [1, 2, 3, 4, 5]
    assert "Épsilon" not in app.table.table.value
    assert [option[1] for option in app.intake.picker.options] == [ids[name] for name in
                                                                   ("Alfa", "Beta", "Gamma", "Delta", "Zeta")]
    assert len(ct.importance_table(admin_db)) == 6  # the package frame keeps every live client


def test_inactive_only_client_renumbered(admin_db):
    build_portfolio(admin_db)
    ct.add_client(admin_db, name="Aaa Sin Casos")  # no cases, so it is not ranked
    client = ct.add_client(admin_db, name="Omega")
    ct.add_case(admin_db, case_number="O-1", client_id=client["id"], status="inactiva")
    app = build_app(admin_db)

    assert app.ranking["name"].tolist() == ["Alfa", "Beta", "Gamma", "Delta", "Zeta", "Omega"]
    assert app.ranking["rank"].tolist() == [1, 2, 3, 4, 5, 6]
    assert app.ranking["abc_class"].tolist()[-1] == "C"


def test_clients_without_cases_not_ranked(admin_db):
    for number in range(3):
        ct.add_client(admin_db, name=f"Importado {number}")
    app = build_app(admin_db)

    assert app.ranking.empty
    assert 'class="ct-row"' not in app.table.table.value
    assert "Ningún cliente tiene causas/procesos/casos/expediente en la selección" in app.table.table.value
    assert app.table.pager.layout.display == "none"
    assert "Aún no hay registros de causas/procesos/casos/expediente" in app.status.value


CASE_LABELS = ("Causas", "Procesos", "Casos", "Expedientes", "Causas/Procesos/Casos/Expediente")


def test_case_label_in_every_text(admin_db):
    build_portfolio(admin_db)
    for label in CASE_LABELS:
        set_case_label(admin_db, label)
        app = build_app(admin_db)
        texts = " ".join([app.headline.value, app.notice.value, app.pareto.figure.title,
                          app.intake.figure.title,
                          *(row.children[0].value for row in app.filters.children[1].children[1].children[1:])])

        assert f"Clientes con {label.lower()} en estado Activa" in texts
        assert f"{label} en estado Activa con cliente" in texts
        assert f"{label} en estado Activa sin cliente asignado: 1." in texts
        assert f"Pareto: {label.lower()} en estado Activa por cliente" in texts
        assert f"Ingresos de {label.lower()} por mes" in texts
        for wrong in ("ausas activas", "ausa activa", "las " + label.lower(), "los " + label.lower(),
                      label.lower() + " activ", label.lower() + " inactiv"):
            assert wrong not in texts.lower(), (label, wrong)


def test_case_label_in_empty_messages(admin_db):
    set_case_label(admin_db, "Procesos")
    app = build_app(admin_db)
    assert "Aún no hay registros de procesos." in app.status.value
    # The only "causas" left is the command's fixed entity name.
    assert app.status.value.lower().count("causas") == 1
    assert "casetrack import causas ARCHIVO" in app.status.value

    client = ct.add_client(admin_db, name="Solo Inactivos")
    ct.add_case(admin_db, case_number="I-1", client_id=client["id"], status="inactiva")
    app = build_app(admin_db)
    assert "La selección no tiene procesos en estado Activa con cliente" in app.status.value
    assert "Los clientes con procesos en estado Inactiva siguen en la tabla." in app.status.value


def test_intro_is_localized(admin_db):
    app = ImportanceApp(admin_db)
    assert "Quiénes sostienen la cartera activa del estudio" in app.intro.value

    ct.set_setting(ct.open_database(admin_db.path, user="socia"), "language", "en")
    app = ImportanceApp(admin_db)
    assert "Who carries the firm&#x27;s active portfolio" in app.intro.value
    assert "Client importance" in app.header.title.value
    assert "Quiénes" not in app.intro.value


def test_pareto_ranks_and_hover_name(admin_db):
    client = ct.add_client(admin_db, name="Constructora <Muy> Larga del Pacífico Sur S.A.")
    ct.add_case(admin_db, case_number="L-1", client_id=client["id"])
    app = build_app(admin_db)

    assert list(app.pareto.bars.x) == ["1"]
    app.pareto.bars._handle_custom_msgs(None, {"event": "hover", "point": {"x": "1", "y": 1.0, "index": 0}})
    assert "1. Constructora &lt;Muy&gt; Larga del Pacífico Sur S.A." in app.pareto.bar_tip.value
    assert "Participación acumulada: 100,0 %" in app.pareto.bar_tip.value


def test_firm_weights_saved_and_reloaded(super_db):
    from casetrack_nb.scoring import ScoreWeights

    ct.set_setting(super_db, "score_weights", "50, 50, 0, 0")
    app = ImportanceApp(super_db)

    assert app.filters.weights["active_cases"].value == pytest.approx(0.5)
    assert app.filters.weights["recent_intake"].value == 0
    assert app.weights_used == ScoreWeights(active_cases=0.5, amount=0.5, recent_intake=0, seniority=0)

    app.filters.weights["seniority"].value = 0.5
    app.filters.save_weights.click()

    assert "Pesos guardados" in app.notice.value
    # Stored to hundredths of a percent, so reloading shows the same shares to the tenth.
    assert ct.get_settings(super_db)["score_weights"] == "33.34,33.33,0,33.33"
    assert ScoreWeights.for_firm(super_db).shares()["seniority"] == pytest.approx(0.3333)
    reloaded = ImportanceApp(super_db)
    assert reloaded.filters.weights["active_cases"].value == pytest.approx(0.3334)
    assert [share.value for share in reloaded.filters.weight_shares.values()] == \
        [share.value for share in app.filters.weight_shares.values()]


def test_only_superadmin_gets_the_save_weights_button(admin_db):
    app = ImportanceApp(admin_db)

    assert app.filters.save_weights is None
