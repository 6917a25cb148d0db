"""The per-client case counts table: every case write keeps it equal to a count of the cases."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

import casetrack_nb as ct
from casetrack_nb import case_counts, demo, importing

ROOT = Path(__file__).resolve().parent.parent


def stored_counts(db) -> dict[int, tuple[int, int]]:
    with db.read() as con:
        rows = con.execute("SELECT client_id, active_cases, total_cases FROM client_case_counts").fetchall()
    return {client_id: (active, total) for client_id, active, total in rows}


def mismatches(db) -> list[tuple]:
    with db.read() as con:
        return case_counts.mismatches(con)


def listed(db, client_id: int) -> tuple[int, int, int]:
    rows = ct.list_clients(db, page_size=500).rows.set_index("id")
    row = rows.loc[client_id]
    return int(row["active_cases"]), int(row["inactive_cases"]), int(row["total_cases"])


def test_counts_follow_case_writes(admin_db):
    first = ct.add_client(admin_db, name="Banco Austral")
    second = ct.add_client(admin_db, name="Minera Norte")
    cases = [ct.add_case(admin_db, case_number=f"C-{n}-2024", client_id=first["id"]) for n in range(3)]
    loose = ct.add_case(admin_db, case_number="C-9-2024")
    assert stored_counts(admin_db) == {first["id"]: (3, 3)}

    ct.set_case_status(admin_db, cases[0]["id"], "inactiva")
    assert stored_counts(admin_db) == {first["id"]: (2, 3)}
    assert listed(admin_db, first["id"]) == (2, 1, 3)

    ct.update_case(admin_db, cases[1]["id"], client_id=second["id"])
    ct.update_case(admin_db, loose["id"], client_id=second["id"])
    assert stored_counts(admin_db) == {first["id"]: (1, 2), second["id"]: (2, 2)}

    ct.update_case(admin_db, cases[2]["id"], client_id=None)
    ct.update_case(admin_db, cases[0]["id"], client_id=second["id"])
    assert stored_counts(admin_db) == {second["id"]: (2, 3)}
    assert listed(admin_db, first["id"]) == (0, 0, 0)
    assert ct.client_counts(admin_db, first["id"]) == {"active": 0, "inactive": 0, "total": 0}
    assert ct.client_counts(admin_db, second["id"]) == {"active": 2, "inactive": 1, "total": 3}
    assert mismatches(admin_db) == []


def test_failed_write_leaves_counts_unchanged(admin_db):
    client = ct.add_client(admin_db, name="Banco Austral")
    case = ct.add_case(admin_db, case_number="C-1-2024", client_id=client["id"])

    with pytest.raises(ct.CasetrackError):
        ct.update_case(admin_db, case["id"], client_id=client["id"] + 100)

    assert stored_counts(admin_db) == {client["id"]: (1, 1)}


def test_import_and_demo_keep_counts(admin_db, tmp_path):
    demo.generate(admin_db, n_clients=30, n_cases=600, seed=3)
    assert mismatches(admin_db) == []
    with admin_db.read() as con:
        tax_id, client_id = con.execute(
            "SELECT c.tax_id, c.id FROM clients c JOIN cases k ON k.client_id = c.id"
            " GROUP BY ALL ORDER BY count(*) DESC LIMIT 1").fetchone()
        numbers = [row[0] for row in con.execute(
            "SELECT case_number FROM cases WHERE client_id <> ? AND status = 'activa' ORDER BY id LIMIT 2",
            [client_id]).fetchall()]
    before = ct.client_counts(admin_db, client_id)

    # Two stored cases move to the client and close; one new case is added for it.
    path = tmp_path / "causas.csv"
    path.write_text("Rol;Estado;RUT cliente\n" + "".join(f"{number};inactiva;{tax_id}\n" for number in numbers)
                    + f"N-1-2024;activa;{tax_id}\n", encoding="utf-8")
    report = importing.import_file(admin_db, "causas", path)

    assert report.imported, report.to_frame().to_string()
    assert (report.inserted, report.updated) == (1, 2)
    after = ct.client_counts(admin_db, client_id)
    assert after["total"] == before["total"] + 3
    assert after["inactive"] == before["inactive"] + 2
    assert mismatches(admin_db) == []


def test_migration_counts_existing_cases(db_path):
    admin = ct.open_database(db_path, user="socia")
    ct.add_user(admin, "socia", role="superadmin", bootstrap=True)
    client = ct.add_client(admin, name="Banco Austral")
    for n in range(4):
        ct.add_case(admin, case_number=f"C-{n}-2024", client_id=client["id"], status="activa" if n else "inactiva")

    # A file written before the counts table existed: the table and its migration record removed.
    con = duckdb.connect(str(db_path))
    con.execute("DROP TABLE client_case_counts")
    con.execute("DELETE FROM schema_migrations WHERE version = 2")
    con.close()
    reopened = ct.open_database(db_path, user="socia")

    assert stored_counts(reopened) == {client["id"]: (3, 4)}
    assert mismatches(reopened) == []


def client_with_changed_counts(db, sql: str) -> dict:
    """Add a client with one case, then change the counts table with `sql`, outside the package."""
    client = ct.add_client(db, name="Banco Austral")
    ct.add_case(db, case_number="C-1-2024", client_id=client["id"])
    con = duckdb.connect(str(db.path))
    con.execute(sql)
    con.close()
    return client


def test_mismatch_is_detected(admin_db):
    client = client_with_changed_counts(admin_db, "UPDATE client_case_counts SET total_cases = 5")

    assert mismatches(admin_db) == [(client["id"], 1, 5, 1, 1)]


def test_recount_command_repairs_counts(admin_db):
    client = client_with_changed_counts(admin_db, "DELETE FROM client_case_counts")

    rejected = run_cli(admin_db.path, "analista", "recount")
    assert rejected.returncode == 2
    assert "admin" in rejected.stderr
    assert mismatches(admin_db) == [(client["id"], None, None, 1, 1)]

    repaired = run_cli(admin_db.path, "admin", "recount")
    assert repaired.returncode == 0, repaired.stderr
    assert "Conteos corregidos para 1 cliente(s)." in repaired.stdout
    assert mismatches(admin_db) == []
    assert ct.client_counts(admin_db, client["id"])["total"] == 1
    again = run_cli(admin_db.path, "admin", "recount")
    assert "ya estaban correctos" in again.stdout
    with admin_db.read() as con:
        logged = con.execute("SELECT actor, after FROM audit_log WHERE action = 'recount'").fetchall()
    assert logged == [("admin", f'{{"clients": [{client["id"]}]}}')]


def run_cli(path, user: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "casetrack_nb.cli", "--db", str(path), "--user", user, *args],
                          capture_output=True, text=True, timeout=60, cwd=ROOT)
