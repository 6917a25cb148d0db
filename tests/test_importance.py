"""The importance API against a small portfolio whose every figure is worked out by hand below."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pandas as pd
import pytest

import casetrack_nb as ct
from casetrack_nb.importance import (
    ImportanceFilter,
    amounts_by_client,
    client_importance,
    group_importance,
    importance_table,
    monthly_intake,
    portfolio_concentration,
    ranking_xlsx,
)
from casetrack_nb.scoring import ScoreWeights, importance_score

AS_OF = dt.date(2025, 6, 30)
D = dt.date

# Windows for AS_OF: last 12 months = (2024-06-30, 2025-06-30], prior = (2023-06-30, 2024-06-30].
# Active cases linked to clients: Alfa 8, Beta 6, Gamma 3, Delta 2, Zeta 1 = 20.
# Cumulative shares 0.40, 0.70, 0.85, 0.95, 1.00: Gamma crosses 80 % and is still A,
# Delta starts at 85 % (B), Zeta starts at 95 % (C).
CASES = {
    "Alfa": [
        dict(case_number="A-1", opened_on=D(2025, 6, 30), amount=1_000_000, currency="CLP"),
        dict(case_number="A-2", opened_on=D(2024, 7, 1), amount=250_000, currency="CLP"),
        dict(case_number="A-3", opened_on=D(2025, 1, 15), amount=50_000),  # no currency: counts as CLP
        dict(case_number="A-4", opened_on=D(2024, 6, 30), amount=4_000, currency="USD"),
        dict(case_number="A-5", opened_on=D(2023, 7, 1)),
        dict(case_number="A-6", opened_on=D(2023, 6, 30)),  # exactly 24 months back: in no window
        dict(case_number="A-7", opened_on=D(2019, 5, 5)),
        dict(case_number="A-8"),  # no opening date
        dict(case_number="A-9", opened_on=D(2025, 7, 1), amount=9_999_999, currency="CLP", status="inactiva"),
    ],
    "Beta": [
        dict(case_number="B-1", opened_on=D(2025, 3, 1), amount=2_600_000, currency="CLP"),
        dict(case_number="B-2", opened_on=D(2022, 1, 10), amount=1_000, currency="USD"),
        *(dict(case_number=f"B-{n}", opened_on=D(2022, 1, 10)) for n in range(3, 7)),
    ],
    "Gamma": [
        dict(case_number="G-1", opened_on=D(2021, 5, 5), amount=10_000, currency="USD", matter="Laboral"),
        dict(case_number="G-2", opened_on=D(2021, 5, 5), matter="Laboral"),
        dict(case_number="G-3", opened_on=D(2021, 5, 5), matter="Laboral"),
        dict(case_number="G-4", opened_on=D(2020, 1, 1), status="inactiva"),
    ],
    "Delta": [
        dict(case_number="D-1", opened_on=D(2022, 2, 2), court="Corte Suprema"),
        dict(case_number="D-2", opened_on=D(2022, 2, 2), court="Corte Suprema"),
    ],
    "Zeta": [dict(case_number="Z-1", opened_on=D(2024, 12, 1))],
    None: [
        dict(case_number="U-1", opened_on=D(2025, 1, 1)),
        dict(case_number="U-2", opened_on=D(2025, 1, 1), status="inactiva"),
    ],
}
CLIENTS = {
    "Alfa": dict(client_group="Holding Uno"),
    "Beta": dict(client_group="Holding Uno", client_since=D(2010, 1, 1)),
    "Gamma": {},
    "Delta": {},
    "Zeta": {},
    "Épsilon": {},
}


def build_portfolio(db) -> dict[str, int]:
    ids = {name: ct.add_client(db, name=name, **fields)["id"] for name, fields in CLIENTS.items()}
    for client, cases in CASES.items():
        for case in cases:
            values = {"matter": "Civil", "court": "1º Juzgado Civil de Santiago", "responsible_lawyer": "Inés Núñez",
                      **case}
            if client == "Beta":
                values["responsible_lawyer"] = "Raúl Soto"
            ct.add_case(db, client_id=ids.get(client), **values)
    return ids


@pytest.fixture
def portfolio(admin_db):
    return admin_db, build_portfolio(admin_db)


def by_name(frame: pd.DataFrame, column: str = "name") -> pd.DataFrame:
    return frame.reset_index().set_index(column)


def test_client_counts_and_shares(portfolio):
    db, _ids = portfolio
    table = by_name(client_importance(db, ImportanceFilter(as_of=AS_OF)))

    assert list(table.index) == ["Alfa", "Beta", "Gamma", "Delta", "Zeta", "Épsilon"]
    assert table.loc["Alfa", "active_cases"] == 8
    assert table.loc["Alfa", "inactive_cases"] == 1
    assert table.loc["Alfa", "total_cases"] == 9
    assert table.loc["Gamma", "inactive_cases"] == 1
    assert table.loc["Épsilon", "total_cases"] == 0
    assert table["active_share"].tolist() == pytest.approx([0.40, 0.30, 0.15, 0.10, 0.05, 0.0])
    assert table["cumulative_share"].tolist() == pytest.approx([0.40, 0.70, 0.85, 0.95, 1.0, 1.0])
    assert table["rank"].tolist() == [1, 2, 3, 4, 5, 6]


def test_abc_boundaries(portfolio):
    db, _ids = portfolio
    table = by_name(client_importance(db, ImportanceFilter(as_of=AS_OF)))

    assert table.loc["Gamma", "abc_class"] == "A"  # crosses 80 % (70 % -> 85 %)
    assert table.loc["Delta", "abc_class"] == "B"  # starts at 85 %
    assert table.loc["Zeta", "abc_class"] == "C"  # starts at exactly 95 %
    assert table.loc["Épsilon", "abc_class"] == "C"  # no active cases


def test_abc_matches_portfolio_summary(portfolio):
    db, _ids = portfolio
    table = client_importance(db, ImportanceFilter(as_of=AS_OF))
    summary = ct.portfolio_summary(db)

    assert table["abc_class"].to_dict() == summary["abc_class"].to_dict()
    assert table["active_share"].to_dict() == pytest.approx(summary["active_share"].to_dict())


def test_intake_windows_and_dates(portfolio):
    db, _ids = portfolio
    table = by_name(client_importance(db, ImportanceFilter(as_of=AS_OF)))

    assert table.loc["Alfa", "opened_last_12m"] == 3  # A-1 (as_of itself), A-2, A-3
    assert table.loc["Alfa", "opened_prior_12m"] == 2  # A-4 (exactly 12 months back), A-5
    assert table.loc["Alfa", "intake_change"] == 1
    assert table.loc["Alfa", "intake_change_ratio"] == pytest.approx(0.5)
    assert table.loc["Beta", "opened_last_12m"] == 1
    assert table.loc["Beta", "opened_prior_12m"] == 0
    assert pd.isna(table.loc["Beta", "intake_change_ratio"])
    assert table.loc["Alfa", "first_opened_on"] == pd.Timestamp("2019-05-05")
    assert table.loc["Alfa", "last_opened_on"] == pd.Timestamp("2025-07-01")
    assert pd.isna(table.loc["Épsilon", "first_opened_on"])


def test_intake_moves_with_as_of(portfolio):
    db, _ids = portfolio
    table = by_name(client_importance(db, ImportanceFilter(as_of=D(2025, 7, 1))))

    assert table.loc["Alfa", "opened_last_12m"] == 3  # A-2 (2024-07-01) drops out, A-9 comes in
    assert table.loc["Alfa", "opened_prior_12m"] == 2  # A-5 (2023-07-01) is on the edge, out


def test_amounts_per_currency(portfolio):
    db, ids = portfolio
    tidy = amounts_by_client(db, ImportanceFilter(as_of=AS_OF))
    sums = {(row.name, row.currency): row.amount for row in tidy.itertuples()}

    assert sums == {("Alfa", "CLP"): 1_300_000, ("Alfa", "USD"): 4_000, ("Beta", "CLP"): 2_600_000,
                    ("Beta", "USD"): 1_000, ("Gamma", "USD"): 10_000}
    table = by_name(importance_table(db, ImportanceFilter(as_of=AS_OF)))
    assert table.loc["Alfa", "active_amount_CLP"] == 1_300_000  # the inactive 9.999.999 is left out
    assert table.loc["Delta", "active_amount_USD"] == 0
    assert table.loc["Alfa", "active_without_amount"] == 4
    assert [column for column in table.columns if column.startswith("active_amount_")] == ["active_amount_CLP", "active_amount_USD"]


def test_default_currency_setting_applies(portfolio, super_db):
    db, _ids = portfolio
    ct.set_setting(super_db, "default_currency", "USD")
    tidy = amounts_by_client(db, ImportanceFilter(as_of=AS_OF))
    alfa = tidy[tidy["name"] == "Alfa"].set_index("currency")["amount"]

    assert alfa["CLP"] == 1_250_000
    assert alfa["USD"] == 54_000


def test_group_roll_up(portfolio):
    db, ids = portfolio
    groups = group_importance(db, ImportanceFilter(as_of=AS_OF))

    holding = groups.loc["grupo:Holding Uno"]
    assert holding["clients"] == 2
    assert holding["active_cases"] == 14
    assert holding["inactive_cases"] == 1
    assert holding["opened_last_12m"] == 4
    assert holding["opened_prior_12m"] == 2
    assert holding["active_amount_CLP"] == 3_900_000
    assert holding["active_amount_USD"] == 5_000
    assert holding["active_share"] == pytest.approx(0.70)
    assert bool(holding["is_group"]) is True
    gamma = groups.loc[f"cliente:{ids['Gamma']}"]
    assert gamma["group_name"] == "Gamma"
    assert bool(gamma["is_group"]) is False
    assert list(groups["abc_class"]) == ["A", "A", "B", "C", "C"]
    assert groups["cumulative_share"].tolist() == pytest.approx([0.70, 0.85, 0.95, 1.0, 1.0])


def test_group_spellings_roll_up_together(admin_db):
    first = ct.add_client(admin_db, name="Uno", client_group="Grupo Andino")
    second = ct.add_client(admin_db, name="Dos", client_group="  grupo   ANDINO ")
    third = ct.add_client(admin_db, name="Tres", client_group="Grupo Ándino")
    for client in (first, second, third):
        ct.add_case(admin_db, case_number=f"G-{client['id']}", client_id=client["id"], amount=100, currency="CLP")

    groups = group_importance(admin_db, ImportanceFilter(as_of=AS_OF))

    assert list(groups.index) == ["grupo:Grupo Andino"]
    assert groups.loc["grupo:Grupo Andino", "clients"] == 3
    assert groups.loc["grupo:Grupo Andino", "active_cases"] == 3
    assert groups.loc["grupo:Grupo Andino", "active_amount_CLP"] == 300


def test_concentration_figures(portfolio):
    db, _ids = portfolio
    figures = portfolio_concentration(db, ImportanceFilter(as_of=AS_OF))

    assert figures["clients_with_active_cases"] == 5
    assert figures["active_cases"] == 20
    assert figures["unassigned_active_cases"] == 1
    assert figures["top1_share"] == pytest.approx(0.40)
    assert figures["top5_share"] == pytest.approx(1.0)
    assert figures["top10_share"] == pytest.approx(1.0)
    assert figures["hhi"] == pytest.approx(40**2 + 30**2 + 15**2 + 10**2 + 5**2)  # 2.850
    assert figures["hhi_unit"] == pytest.approx(0.285)
    assert figures["effective_clients"] == pytest.approx(1 / 0.285)


def seniority_days(start: dt.date) -> int:
    return (AS_OF - start).days


def test_score_components_by_hand(portfolio):
    db, _ids = portfolio
    score = by_name(importance_score(db, ImportanceFilter(as_of=AS_OF)))
    longest = seniority_days(D(2010, 1, 1))  # Beta's client_since

    expected = {
        # name: (active, amount, intake, seniority) normalised by hand
        "Alfa": (1.0, 0.5, 1.0, seniority_days(D(2019, 5, 5)) / longest),  # CLP 1.3M of 2.6M; USD 4k of 10k
        "Beta": (0.75, 1.0, 1 / 3, 1.0),
        "Gamma": (3 / 8, 1.0, 0.0, seniority_days(D(2020, 1, 1)) / longest),
        "Delta": (2 / 8, 0.0, 0.0, seniority_days(D(2022, 2, 2)) / longest),
        "Zeta": (1 / 8, 0.0, 1 / 3, seniority_days(D(2024, 12, 1)) / longest),
        "Épsilon": (0.0, 0.0, 0.0, 0.0),
    }
    for name, (active, amount, intake, seniority) in expected.items():
        row = score.loc[name]
        assert row["active_cases_norm"] == pytest.approx(active), name
        assert row["amount_norm"] == pytest.approx(amount), name
        assert row["recent_intake_norm"] == pytest.approx(intake), name
        assert row["seniority_norm"] == pytest.approx(seniority), name
        expected_score = 40 * active + 30 * amount + 20 * intake + 10 * seniority
        assert row["score"] == pytest.approx(expected_score), name


def test_score_contributions_sum_to_score(portfolio):
    db, _ids = portfolio
    weights = ScoreWeights(active_cases=3, amount=0, recent_intake=1, seniority=1)
    score = importance_score(db, ImportanceFilter(as_of=AS_OF), weights)
    points = score[["active_cases_points", "amount_points", "recent_intake_points", "seniority_points"]]

    assert points.sum(axis=1).tolist() == pytest.approx(score["score"].tolist())
    assert (score["amount_points"] == 0).all()
    assert score.loc[score["name"] == "Alfa", "active_cases_points"].item() == pytest.approx(60.0)
    assert score["score"].is_monotonic_decreasing
    assert score["score_rank"].tolist() == list(range(1, 7))


def test_score_with_exchange_rates(portfolio):
    db, _ids = portfolio
    weights = ScoreWeights(rates={"CLP": 1, "USD": 1000})
    score = by_name(importance_score(db, ImportanceFilter(as_of=AS_OF), weights))

    # Converted: Alfa 1.3M + 4M = 5.3M, Beta 2.6M + 1M = 3.6M, Gamma 10M (the maximum).
    assert score.loc["Alfa", "amount_norm"] == pytest.approx(0.53)
    assert score.loc["Beta", "amount_norm"] == pytest.approx(0.36)
    assert score.loc["Gamma", "amount_norm"] == pytest.approx(1.0)


def test_score_rejects_missing_rate(portfolio):
    db, _ids = portfolio
    with pytest.raises(ct.ValidationError) as raised:
        importance_score(db, ImportanceFilter(as_of=AS_OF), ScoreWeights(rates={"CLP": 1}))

    assert "USD" in str(raised.value)
    assert "tipos de cambio" in str(raised.value)


@pytest.mark.parametrize("weights, message", [
    (dict(active_cases=-1), "El peso «active_cases» = «-1» no es válido"),
    (dict(amount=float("nan")), "El peso «amount»"),
    (dict(active_cases=0, amount=0, recent_intake=0, seniority=0), "Todos los pesos del puntaje son 0"),
    (dict(rates={"USD": 0}), "El tipo de cambio de USD = «0» no es válido"),
])
def test_score_weights_rejected(weights, message):
    with pytest.raises(ct.ValidationError) as raised:
        ScoreWeights(**weights)

    assert message in str(raised.value)


def test_filter_by_matter(portfolio):
    db, _ids = portfolio
    filters = ImportanceFilter(matters=["Laboral"], as_of=AS_OF)
    table = by_name(client_importance(db, filters))
    figures = portfolio_concentration(db, filters)

    assert table.loc["Gamma", "active_cases"] == 3
    assert table.loc["Gamma", "inactive_cases"] == 0
    assert table.loc["Gamma", "active_share"] == pytest.approx(1.0)
    assert table.loc["Alfa", "total_cases"] == 0
    assert figures["hhi"] == pytest.approx(10_000)
    assert figures["unassigned_active_cases"] == 0


def test_filter_by_court_and_lawyer(portfolio):
    db, _ids = portfolio
    by_court = by_name(client_importance(db, ImportanceFilter(courts=["Corte Suprema"], as_of=AS_OF)))
    by_lawyer = by_name(client_importance(db, ImportanceFilter(lawyers=["Raúl Soto"], as_of=AS_OF)))

    assert by_court["active_cases"].sum() == 2
    assert by_court.loc["Delta", "active_cases"] == 2
    assert by_lawyer["active_cases"].sum() == 6
    assert by_lawyer.loc["Beta", "active_cases"] == 6


def test_filter_by_opening_dates(portfolio):
    db, _ids = portfolio
    filters = ImportanceFilter(opened_from=D(2024, 7, 1), opened_to=D(2025, 6, 30), as_of=AS_OF)
    table = by_name(client_importance(db, filters))
    figures = portfolio_concentration(db, filters)

    assert table.loc["Alfa", "active_cases"] == 3
    assert table.loc["Beta", "active_cases"] == 1
    assert table.loc["Zeta", "active_cases"] == 1
    assert table["active_cases"].sum() == 5
    assert figures["unassigned_active_cases"] == 1  # U-1, opened 2025-01-01


def test_filter_rejects_reversed_dates():
    with pytest.raises(ct.ValidationError) as raised:
        ImportanceFilter(opened_from=D(2025, 2, 1), opened_to=D(2025, 1, 1))

    assert "01-02-2025" in str(raised.value)
    assert "posterior" in str(raised.value)


def test_monthly_intake_fills_zeros(portfolio):
    db, ids = portfolio
    intake = monthly_intake(db, [ids["Alfa"], ids["Beta"]], ImportanceFilter(as_of=AS_OF), months=12)

    assert len(intake) == 24
    alfa = intake[intake["client_id"] == ids["Alfa"]].set_index("month")["cases_opened"]
    assert alfa.index[0] == pd.Timestamp("2024-07-01")
    assert alfa.index[-1] == pd.Timestamp("2025-06-01")
    assert alfa[pd.Timestamp("2024-07-01")] == 1
    assert alfa[pd.Timestamp("2025-01-01")] == 1
    assert alfa[pd.Timestamp("2025-06-01")] == 1
    assert alfa.sum() == 3
    beta = intake[intake["client_id"] == ids["Beta"]].set_index("month")["cases_opened"]
    assert beta[pd.Timestamp("2025-03-01")] == 1
    assert beta.sum() == 1


def test_monthly_intake_rejects_bad_months(admin_db):
    with pytest.raises(ct.ValidationError) as raised:
        monthly_intake(admin_db, [1], months=0)

    assert "«0»" in str(raised.value)


def test_ranking_xlsx_headers_and_formulas(admin_db):
    ct.add_client(admin_db, name="=HYPERLINK(\"http://x\")")
    ranking = importance_table(admin_db, ImportanceFilter(as_of=AS_OF))
    workbook = openpyxl.load_workbook(io.BytesIO(ranking_xlsx(ranking)))
    sheet = workbook["Importancia"]
    headers = [cell.value for cell in sheet[1]]

    assert headers[:3] == ["ID cliente", "N.º", "Cliente"]
    assert sheet.cell(row=2, column=3).value.startswith("'=")
    assert sheet.cell(row=2, column=4).value is None
    assert isinstance(sheet.cell(row=2, column=5).value, int)


def test_ranking_xlsx_number_formats(portfolio):
    db, _ids = portfolio
    ranking = importance_table(db, ImportanceFilter(as_of=AS_OF))
    sheet = openpyxl.load_workbook(io.BytesIO(ranking_xlsx(ranking)))["Importancia"]
    columns = {cell.value: cell.column for cell in sheet[1]}
    alfa = {header: sheet.cell(row=2, column=number) for header, number in columns.items()}

    assert sheet.cell(row=2, column=columns["Cliente"]).value == "Alfa"
    assert alfa["Participación"].value == pytest.approx(0.4)
    assert alfa["Participación"].number_format == "0.0 %"
    assert alfa["Participación acumulada"].number_format == "0.0 %"
    assert alfa["Puntaje"].number_format == "0.0"
    assert alfa["Puntos por cuantía"].number_format == "0.0"
    assert alfa["Cuantía CLP"].value == 1_300_000
    assert alfa["Cuantía CLP"].number_format == "#,##0"
    assert alfa["Cuantía USD"].number_format == "#,##0"
    assert alfa["En estado Activa"].number_format == "#,##0"
    assert alfa["Primera fecha de inicio"].value.date() == D(2019, 5, 5)
    assert alfa["Primera fecha de inicio"].is_date
    assert alfa["Primera fecha de inicio"].number_format == "dd-mm-yyyy"
    assert alfa["Clase ABC"].number_format == "General"


def test_ranking_xlsx_headers_in_english(portfolio):
    db, _ids = portfolio
    ct.i18n.set_language("en")
    ranking = importance_table(db, ImportanceFilter(as_of=AS_OF))
    sheet = openpyxl.load_workbook(io.BytesIO(ranking_xlsx(ranking)))["Importance"]
    headers = [cell.value for cell in sheet[1]]

    assert headers[:5] == ["Client id", "No.", "Client", "Group (holding)", "Active"]
    assert "Amount CLP" in headers
    assert "Share" in headers


# Edge portfolios: empty, only inactive cases, one client, only unassigned cases.

def test_empty_portfolio_frames(admin_db):
    filters = ImportanceFilter(as_of=AS_OF)
    table = importance_table(admin_db, filters)
    groups = group_importance(admin_db, filters)
    figures = portfolio_concentration(admin_db, filters)

    assert table.empty
    assert table["active_cases"].dtype == "int64"
    assert table["active_share"].dtype == "float64"
    assert table["first_opened_on"].dtype == "datetime64[us]"
    assert table["score"].dtype == "float64"
    assert groups.empty
    assert groups["active_cases"].dtype == "int64"
    assert figures["active_cases"] == 0
    assert figures["top1_share"] == 0.0
    assert pd.isna(figures["hhi"])
    assert monthly_intake(admin_db, [], filters).empty
    assert amounts_by_client(admin_db, filters)["amount"].dtype == "float64"
    assert ranking_xlsx(table)[:2] == b"PK"


def test_only_inactive_cases(admin_db):
    client = ct.add_client(admin_db, name="Solo Inactivas")
    ct.add_case(admin_db, case_number="I-1", client_id=client["id"], status="inactiva", amount=100, currency="CLP")
    table = importance_table(admin_db, ImportanceFilter(as_of=AS_OF))
    figures = portfolio_concentration(admin_db, ImportanceFilter(as_of=AS_OF))

    assert table["active_cases"].tolist() == [0]
    assert table["inactive_cases"].tolist() == [1]
    assert table["abc_class"].tolist() == ["C"]
    assert table["active_share"].tolist() == [0.0]
    assert not [column for column in table.columns if column.startswith("active_amount_")]
    assert figures["clients_with_active_cases"] == 0
    assert pd.isna(figures["hhi"])


def test_one_client_holds_everything(admin_db):
    client = ct.add_client(admin_db, name="Única S.A.")
    ct.add_case(admin_db, case_number="1", client_id=client["id"], opened_on=D(2025, 1, 1))
    ct.add_case(admin_db, case_number="2", client_id=client["id"])
    table = importance_table(admin_db, ImportanceFilter(as_of=AS_OF))
    figures = portfolio_concentration(admin_db, ImportanceFilter(as_of=AS_OF))

    assert table["abc_class"].tolist() == ["A"]
    assert table["active_share"].tolist() == [1.0]
    assert table["active_without_amount"].tolist() == [2]
    assert figures["hhi"] == pytest.approx(10_000)
    assert figures["effective_clients"] == pytest.approx(1.0)
    assert table["score"].iloc[0] == pytest.approx(70.0)  # active 40 + intake 20 + seniority 10, no amount


def test_only_unassigned_cases(admin_db):
    ct.add_case(admin_db, case_number="S-1")
    ct.add_case(admin_db, case_number="S-2", amount=5, currency="USD")
    table = importance_table(admin_db, ImportanceFilter(as_of=AS_OF))
    figures = portfolio_concentration(admin_db, ImportanceFilter(as_of=AS_OF))

    assert table.empty
    assert figures["unassigned_active_cases"] == 2
    assert figures["clients_with_active_cases"] == 0
    assert amounts_by_client(admin_db, ImportanceFilter(as_of=AS_OF)).empty
