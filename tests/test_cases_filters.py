"""The case search behind the Portafolio list: each filter alone and combined, paging and sorting."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pandas as pd
import pytest

from casetrack_nb import CaseFilter, search_cases, update_case
from casetrack_nb.cases import export_cases, export_table, facet_values, value_label, write_cases
from casetrack_nb.i18n import set_language

from portfolio_sample import CIVIL_1, build_portfolio

ACTIVE = {1, 2, 3, 5, 7, 10, 11, 12, 13, 14}
INACTIVE = {4, 6, 8, 9, 15}


@pytest.fixture
def sample(admin_db):
    client_ids, case_ids = build_portfolio(admin_db)
    return admin_db, client_ids, case_ids


def found(sample, **filters) -> set[int]:
    """Return the sample positions of every case the filter matches."""
    db, _clients, case_ids = sample
    position = {case_id: pos for pos, case_id in case_ids.items()}
    page = search_cases(db, CaseFilter(**filters), page_size=500)
    assert page.total == len(page.rows)
    return {position[case_id] for case_id in page.rows["id"]}


def test_default_filter_shows_active_cases(sample):
    assert found(sample) == ACTIVE


def test_status_inactive_and_all(sample):
    assert found(sample, status="inactiva") == INACTIVE
    assert found(sample, status=None) == ACTIVE | INACTIVE


@pytest.mark.parametrize(
    ("text", "active", "everything"),
    [
        ("nunez", {3, 10}, {3, 4, 10}),
        ("NÚÑEZ", {3, 10}, {3, 4, 10}),
        ("ÑUBLE", {1, 2}, {1, 2, 9}),
        ("proteccion", {12}, {12}),
        ("c-101", {2}, {2}),
        ("C101 2023", {2}, {2}),
        ("no existe", set(), set()),
        ("%", set(), set()),
        ("_", set(), set()),
        ("100%", {1}, {1}),
    ],
)
def test_text_ignores_case_and_accents(sample, text, active, everything):
    assert found(sample, text=text) == active
    assert found(sample, text=text, status=None) == everything


def test_client_filter(sample):
    _db, clients, _cases = sample
    assert found(sample, client_ids=[clients["A"]]) == {1, 2, 11, 14}
    assert found(sample, client_ids=[clients["A"]], status=None) == {1, 2, 9, 11, 14}
    assert found(sample, client_ids=[clients["A"], clients["C"]]) == {1, 2, 5, 11, 13, 14}
    assert found(sample, client_ids=[clients["D"]], status=None) == set()


def test_without_client(sample):
    _db, clients, _cases = sample
    assert found(sample, without_client=True) == {7, 12}
    assert found(sample, without_client=True, status=None) == {7, 8, 12}
    assert found(sample, without_client=True, client_ids=[clients["B"]]) == {3, 7, 10, 12}


def test_court_matter_stage_lawyer(sample):
    assert found(sample, courts=[CIVIL_1]) == {1, 5, 11, 13}
    assert found(sample, matters=["Laboral"]) == {3, 10}
    assert found(sample, matters=["Laboral"], status=None) == {3, 4, 10}
    assert found(sample, stages=["Prueba"]) == {2, 7, 10, 14}
    assert found(sample, lawyers=["Carla Soto"]) == {7, 10, 13}
    assert found(sample, lawyers=["Carla Soto", "Bruno Díaz"]) == {3, 7, 10, 12, 13}


def test_opened_date_range(sample):
    year_2024 = {"opened_from": dt.date(2024, 1, 1), "opened_to": dt.date(2024, 12, 31)}
    assert found(sample, **year_2024) == {5, 7}
    assert found(sample, **year_2024, status=None) == {4, 5, 6, 7, 8, 9}
    assert found(sample, opened_from=dt.date(2025, 3, 3)) == {12, 13, 14}
    assert found(sample, opened_to=dt.date(2023, 3, 5)) == {1, 2}


def test_amount_range_and_currency(sample):
    assert found(sample, amount_min=1_000_000, amount_max=20_000_000) == {1, 7, 10, 14}
    assert found(sample, amount_min=1_000_000, amount_max=20_000_000, currency="CLP") == {1, 7, 10, 14}
    assert found(sample, currency="USD") == {3, 11}
    assert found(sample, currency="USD", status=None) == {3, 4, 11}
    assert found(sample, amount_max=5_000) == {3}


def test_filters_combine_with_and(sample):
    _db, clients, _cases = sample
    combined = found(sample, client_ids=[clients["A"]], matters=["Civil"], stages=["Discusión"], status=None)
    assert combined == {1}
    assert found(sample, text="minera", amount_min=10_000_000, status=None) == {2, 9}
    assert found(sample, courts=[CIVIL_1], lawyers=["Ana Rojas"], opened_from=dt.date(2024, 1, 1)) == {5, 11}


def test_paging_in_opening_order(sample):
    db, _clients, case_ids = sample
    filters = CaseFilter(status=None)
    first = search_cases(db, filters, page=1, page_size=4, sort="opened_on", descending=False)
    second = search_cases(db, filters, page=2, page_size=4, sort="opened_on", descending=False)
    last = search_cases(db, filters, page=4, page_size=4, sort="opened_on", descending=False)
    beyond = search_cases(db, filters, page=5, page_size=4, sort="opened_on", descending=False)

    assert first.total == 15
    assert first.pages == 4
    assert list(first.rows["id"]) == [case_ids[i] for i in (1, 2, 3, 4)]
    assert list(second.rows["id"]) == [case_ids[i] for i in (5, 6, 7, 8)]
    assert list(last.rows["id"]) == [case_ids[i] for i in (13, 14, 15)]
    assert beyond.rows.empty
    assert beyond.total == 15


def test_sorting_by_amount_and_client(sample):
    db, _clients, case_ids = sample
    by_amount = search_cases(db, CaseFilter(), sort="amount", descending=True)
    assert list(by_amount.rows["id"]) == [case_ids[i] for i in (2, 14, 10, 7, 1, 13, 11, 3, 12, 5)]

    # Spanish collation: Constructora < Minera < Pérez, cases without a client last.
    by_client = search_cases(db, CaseFilter(), sort="client", descending=False)
    assert list(by_client.rows["id"]) == [case_ids[i] for i in (3, 10, 1, 2, 11, 14, 5, 13, 7, 12)]

    with pytest.raises(ValueError, match="sort must be one of"):
        search_cases(db, CaseFilter(), sort="title; DROP TABLE cases")


def test_facet_values_sorted_the_spanish_way(sample):
    db, _clients, _cases = sample
    assert facet_values(db, "matter") == [
        "Ambiental", "Civil", "Constitucional", "Familia", "Laboral", "Penal", "Tributaria",
    ]
    assert facet_values(db, "currency") == ["CLP", "USD"]
    assert facet_values(db, "responsible_lawyer") == ["Ana Rojas", "Bruno Díaz", "Carla Soto"]


def test_export_matches_search_and_writes_files(sample, tmp_path):
    db, clients, case_ids = sample
    filters = CaseFilter(client_ids=[clients["C"]], status=None)
    exported = export_cases(db, filters, sort="opened_on", descending=False)
    assert list(exported["id"]) == [case_ids[i] for i in (5, 6, 13)]

    csv_path = write_cases(db, tmp_path / "causas.csv", filters, sort="opened_on", descending=False)
    raw = csv_path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    table = pd.read_csv(csv_path, sep=";", decimal=",", encoding="utf-8-sig", dtype={"Moneda": str})
    assert list(table["Número (rol, radicado, expediente)"]) == ["C-102-2024", "T-300-2024", "C-106-2025"]
    assert list(table["Cliente"]) == ["Pérez y Cía Ltda."] * 3
    assert table["Carátula"].iloc[2] == "'=cmd() demanda"
    assert table["Cuantía"].iloc[1] == 800_000

    xlsx_path = write_cases(db, tmp_path / "causas.xlsx", filters, sort="opened_on", descending=False)
    sheet = openpyxl.load_workbook(xlsx_path).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Número (rol, radicado, expediente)"
    assert [row[0] for row in rows[1:]] == ["C-102-2024", "T-300-2024", "C-106-2025"]
    assert rows[2][1] == "Tributario Pérez"
    assert rows[3][1] == "'=cmd() demanda"


def test_export_uses_display_labels(sample, tmp_path):
    db, clients, case_ids = sample
    update_case(db, case_ids[5], client_side="demandante")
    update_case(db, case_ids[6], client_side="demandado")
    filters = CaseFilter(client_ids=[clients["C"]], status=None)

    table = export_table(db, filters, sort="opened_on", descending=False)
    assert list(table["Estado"]) == ["Activa", "Inactiva", "Activa"]
    assert list(table["Calidad del cliente"].fillna("")) == ["Demandante", "Demandado", ""]
    assert table["Cuantía"].iloc[1] == 800_000

    set_language("en")
    english = export_table(db, filters, sort="opened_on", descending=False)
    assert list(english["Status"]) == ["Active", "Inactive", "Active"]
    assert list(english["Client's side"].fillna("")) == ["Plaintiff", "Defendant", ""]

    set_language("es")
    sheet = openpyxl.load_workbook(write_cases(db, tmp_path / "causas.xlsx", filters, sort="opened_on",
                                               descending=False)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert [row[6] for row in rows[1:]] == ["Activa", "Inactiva", "Activa"]
    assert rows[1][13] == "Demandante"
    assert isinstance(rows[2][9], (int, float))
    assert rows[2][9] == 800_000


def test_value_label_keeps_unknown_codes():
    assert value_label("status", "activa") == "Activa"
    assert value_label("status", None) is None
    assert value_label("client_side", "otro") == "otro"
    assert value_label("court", "activa") == "activa"


def test_csv_export_writes_amounts_with_two_decimals(sample, tmp_path):
    db, clients, _case_ids = sample
    filters = CaseFilter(client_ids=[clients["C"]], status=None)

    path = write_cases(db, tmp_path / "causas.csv", filters, sort="opened_on", descending=False)
    lines = path.read_text(encoding="utf-8-sig").splitlines()

    header = lines[0].split(";")
    amounts = [line.split(";")[header.index("Cuantía")] for line in lines[1:]]
    assert amounts[1] == "800000,00"
