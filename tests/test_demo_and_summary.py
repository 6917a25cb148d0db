"""The demo firm and the per-client portfolio summary."""

from __future__ import annotations

import duckdb
import pytest

import casetrack_nb as ct
from casetrack_nb import demo


def test_demo_is_deterministic_and_realistic(tmp_path):
    first = ct.open_database(tmp_path / "a.duckdb", user="socia")
    second = ct.open_database(tmp_path / "b.duckdb", user="socia")
    demo.generate(first, n_clients=60, n_cases=2000, seed=3)
    demo.generate(second, n_clients=60, n_cases=2000, seed=3)

    query = ("SELECT c.name, c.tax_id, k.case_number, k.status, k.amount FROM cases k"
             " LEFT JOIN clients c ON c.id = k.client_id ORDER BY k.id")
    with duckdb.connect(str(first.path)) as a, duckdb.connect(str(second.path)) as b:
        assert a.execute(query).fetchall() == b.execute(query).fetchall()
        countries = {row[0] for row in a.execute("SELECT DISTINCT tax_country FROM clients").fetchall()}
        currencies = {row[0] for row in a.execute("SELECT DISTINCT currency FROM cases WHERE currency IS NOT NULL").fetchall()}
        unassigned = a.execute("SELECT count(*) FROM cases WHERE client_id IS NULL").fetchone()[0]
        statuses = dict(a.execute("SELECT status, count(*) FROM cases GROUP BY 1").fetchall())
        bad_dates = a.execute("SELECT count(*) FROM cases WHERE closed_on < opened_on").fetchone()[0]

    assert {"CL", "CO", "MX", "PE", "EC", "AR"} <= countries
    assert {"CLP", "COP", "MXN", "PEN", "USD", "ARS"} <= currencies
    assert unassigned > 0
    assert statuses["activa"] > statuses["inactiva"] > 0
    assert bad_dates == 0


def test_demo_tax_ids_pass_validation(tmp_path):
    db = ct.open_database(tmp_path / "demo.duckdb", user="socia")
    demo.generate(db, n_clients=80, n_cases=100)

    with duckdb.connect(str(db.path)) as con:
        rows = con.execute("SELECT tax_country, tax_kind, tax_id FROM clients").fetchall()
    for country, kind, tax_id in rows:
        parsed = ct.parse_tax_id(tax_id, country=country, kind=kind)
        assert parsed.compact == tax_id
        assert parsed.warning is None


def test_demo_is_skewed_with_idle_clients(tmp_path):
    db = ct.open_database(tmp_path / "demo.duckdb", user="socia")
    demo.generate(db, n_clients=100, n_cases=5000)

    summary = ct.portfolio_summary(db)

    top_five_share = summary["active_share"].head(5).sum()
    assert top_five_share > 0.3
    assert (summary["total_cases"] == 0).sum() >= 5


def test_demo_refuses_a_non_empty_database(demo_db):
    with pytest.raises(ValueError):
        demo.generate(demo_db, n_clients=5, n_cases=5)


def test_summary_shares_and_abc_by_hand(admin_db):
    sizes = {"A grande": 6, "B mediano": 2, "C chico": 1, "D chico": 1, "E sin": 0}
    for name, active in sizes.items():
        client = ct.add_client(admin_db, name=name)
        for number in range(active):
            ct.add_case(admin_db, case_number=f"{name}-{number}", client_id=client["id"])
        ct.add_case(admin_db, case_number=f"{name}-cerrada", client_id=client["id"], status="inactiva")
    ct.add_case(admin_db, case_number="sin-cliente")

    summary = ct.portfolio_summary(admin_db).set_index("name")

    assert list(summary.index) == ["A grande", "B mediano", "C chico", "D chico", "E sin"]
    assert list(summary["active_cases"]) == [6, 2, 1, 1, 0]
    assert list(summary["inactive_cases"]) == [1, 1, 1, 1, 1]
    # The unassigned case counts in no client's share: 10 assigned active cases.
    assert summary["active_share"].tolist() == pytest.approx([0.6, 0.2, 0.1, 0.1, 0.0])
    assert summary["cumulative_share"].tolist() == pytest.approx([0.6, 0.8, 0.9, 1.0, 1.0])
    # A while the share before it is under 80 %; B under 95 %; C otherwise or without active cases.
    assert list(summary["abc_class"]) == ["A", "A", "B", "B", "C"]


def test_summary_of_empty_portfolio(admin_db):
    summary = ct.portfolio_summary(admin_db)

    assert summary.empty
    assert "abc_class" in summary.columns
