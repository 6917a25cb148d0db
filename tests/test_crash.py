"""A process killed with SIGKILL mid-write leaves a database that opens, is consistent and keeps working."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb

import casetrack_nb as ct
from casetrack_nb import case_counts

ROOT = Path(__file__).resolve().parent.parent

EDIT_BURST = textwrap.dedent("""
    import sys
    import casetrack_nb as ct
    db = ct.open_database(sys.argv[1], user="admin")
    ids = [int(x) for x in sys.argv[2].split(",")]
    n = 0
    while True:
        client_id = ids[n % len(ids)]
        version = ct.get_client(db, client_id)["version"]
        stored = ct.update_client(db, client_id, {"notes": f"edición {n} " + "x" * 3000}, expected_version=version)
        print(client_id, stored["version"], flush=True)
        n += 1
""")

# A bulk load in one transaction, the way an import writes: every row and its audit
# entry inside a single db.transaction().
BULK_LOAD = textwrap.dedent("""
    import sys
    import casetrack_nb as ct
    from casetrack_nb import cases
    db = ct.open_database(sys.argv[1], user="admin")
    rows = int(sys.argv[2])
    with db.transaction() as con:
        for n in range(rows):
            values = cases.validate({"case_number": f"LOTE-{n}-2024", "title": "Carga masiva " + "y" * 200,
                                     "amount": "1.500.000", "currency": "CLP"})
            cases.insert_case(con, "admin", values, source="lote")
            if n % 100 == 0:
                print(n, flush=True)
    print("committed", flush=True)
""")


def start(script: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", script, *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=str(ROOT),
    )


IMPORTED_CASE_IDS = """
    SELECT unnest(range(run[1], run[1] + run[3])) AS id
    FROM (SELECT unnest(CAST(after->'runs' AS BIGINT[][])) AS run FROM audit_log
          WHERE entity = 'case' AND action = 'import')
"""


def integrity_problems(path: Path) -> list[str]:
    """Check counts and the audit log against the data; return every inconsistency found."""
    problems = []
    con = duckdb.connect(str(path), read_only=True)
    try:
        for table in ("clients", "cases", "audit_log", "users", "settings", "schema_migrations"):
            con.execute(f"SELECT count(*) FROM {table}").fetchone()
        # An import logs its new cases in one entry, whose runs give their ids.
        con.execute(f"CREATE TEMP TABLE imported AS {IMPORTED_CASE_IDS}")
        for entity, table in (("client", "clients"), ("case", "cases")):
            imported = "(SELECT count(*) FROM imported i WHERE i.id = t.id)" if entity == "case" else "0"
            rows = con.execute(f"""
                SELECT t.id, t.version,
                       count(a.id) FILTER (a.action = 'create') + {imported} AS creates,
                       count(a.id) FILTER (a.action <> 'create') AS changes
                FROM {table} t
                LEFT JOIN audit_log a ON a.entity = '{entity}' AND a.entity_id = CAST(t.id AS VARCHAR)
                GROUP BY t.id, t.version
            """).fetchall()
            for record_id, version, creates, changes in rows:
                if creates != 1:
                    problems.append(f"{entity} {record_id} has {creates} create entries")
                if version != changes + 1:
                    problems.append(f"{entity} {record_id} has version {version} but {changes} change entries")
            dangling = con.execute(f"""
                SELECT count(*) FROM audit_log a WHERE a.entity = '{entity}' AND a.action <> 'import'
                AND NOT EXISTS (SELECT 1 FROM {table} t WHERE CAST(t.id AS VARCHAR) = a.entity_id)
            """).fetchone()[0]
            if entity == "case":
                dangling += con.execute(
                    "SELECT count(*) FROM imported i WHERE NOT EXISTS (SELECT 1 FROM cases t WHERE t.id = i.id)"
                ).fetchone()[0]
            if dangling:
                problems.append(f"{dangling} {entity} audit entries without their record")
        wrong = case_counts.mismatches(con)
        if wrong:
            problems.append(f"case counts differ from the cases for clients {[row[0] for row in wrong]}")
        last_after = con.execute("""
            SELECT c.id, c.notes, json_extract_string(a.after, '$.notes')
            FROM clients c JOIN audit_log a ON a.entity = 'client' AND a.entity_id = CAST(c.id AS VARCHAR)
            WHERE a.id = (SELECT max(id) FROM audit_log b WHERE b.entity = 'client' AND b.entity_id = a.entity_id)
        """).fetchall()
        for client_id, notes, logged in last_after:
            if notes != logged:
                problems.append(f"client {client_id}: notes differ from its last audit entry")
    finally:
        con.close()
    return problems


def assert_keeps_working(path: Path) -> None:
    db = ct.open_database(path, user="admin")
    added = ct.add_client(db, {"name": f"Tras el corte {time.monotonic_ns()}"}, confirm=True)
    edited = ct.update_client(db, added["id"], {"notes": "sigue funcionando"}, expected_version=added["version"])
    assert ct.get_client(db, added["id"])["notes"] == "sigue funcionando"
    assert edited["version"] == 2
    assert integrity_problems(path) == []


def test_sigkill_during_edit_burst(admin_db):
    ids = [ct.add_client(admin_db, {"name": f"Cliente {n}"}, confirm=True)["id"] for n in range(5)]
    rng = random.Random(11)

    for round_number in range(3):
        child = start(EDIT_BURST, str(admin_db.path), ",".join(map(str, ids)))
        printed: dict[int, int] = {}
        # Let the burst get going, then kill it at a random point between commits and writes.
        first = child.stdout.readline()
        assert first.strip(), child.stderr.read()
        time.sleep(rng.uniform(0.2, 0.9))
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
        assert child.returncode == -signal.SIGKILL
        for line in [first, *child.stdout.read().splitlines()]:
            client_id, version = map(int, line.split())
            printed[client_id] = max(printed.get(client_id, 0), version)

        assert integrity_problems(admin_db.path) == [], round_number
        con = duckdb.connect(str(admin_db.path), read_only=True)
        stored = dict(con.execute("SELECT id, version FROM clients").fetchall())
        con.close()
        # Every edit the child reported as saved is there; at most one more (committed, not yet printed).
        for client_id, version in printed.items():
            assert stored[client_id] >= version
        unreported = sum(stored[c] - printed[c] for c in printed)
        assert 0 <= unreported <= 1

    assert_keeps_working(admin_db.path)


def test_sigkill_during_bulk_load(admin_db):
    for n in range(3):
        ct.add_case(admin_db, {"case_number": f"C-{n}-2023"})
    all_cases = ct.CaseFilter(status=None)
    before = ct.search_cases(admin_db, all_cases).total
    child = start(BULK_LOAD, str(admin_db.path), "50000")
    progress = ""
    while progress.strip() != "500":
        progress = child.stdout.readline()
        assert progress, child.stderr.read()
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=10)
    assert child.returncode == -signal.SIGKILL

    con = duckdb.connect(str(admin_db.path), read_only=True)
    partial_cases = con.execute("SELECT count(*) FROM cases WHERE case_number LIKE 'LOTE-%'").fetchone()[0]
    partial_audit = con.execute("SELECT count(*) FROM audit_log WHERE source = 'lote'").fetchone()[0]
    con.close()
    assert partial_cases == 0
    assert partial_audit == 0
    assert integrity_problems(admin_db.path) == []
    assert ct.search_cases(admin_db, all_cases).total == before == 3

    # The same load, left to finish, writes every row: the batch is all or nothing.
    finished = start(BULK_LOAD, str(admin_db.path), "300")
    out, err = finished.communicate(timeout=120)
    assert finished.returncode == 0, err
    assert out.splitlines()[-1] == "committed"
    con = duckdb.connect(str(admin_db.path), read_only=True)
    assert con.execute("SELECT count(*) FROM cases WHERE case_number LIKE 'LOTE-%'").fetchone()[0] == 300
    con.close()
    assert_keeps_working(admin_db.path)


def test_integrity_check_detects_bypassed_writes(admin_db):
    added = ct.add_client(admin_db, {"name": "Cliente Auditado"}, confirm=True)
    assert integrity_problems(admin_db.path) == []

    con = duckdb.connect(str(admin_db.path))
    con.execute("UPDATE clients SET notes = 'sin auditoría', version = version + 1 WHERE id = ?", [added["id"]])
    con.execute("INSERT INTO audit_log (logged_at, action, entity, entity_id) VALUES (now(), 'update', 'case', '999')")
    con.close()
    problems = integrity_problems(admin_db.path)

    assert f"client {added['id']} has version 2 but 0 change entries" in problems
    assert f"client {added['id']}: notes differ from its last audit entry" in problems
    assert "1 case audit entries without their record" in problems


def test_sigkill_during_casetrack_import(admin_db, tmp_path):
    rows = 150_000
    source = tmp_path / "causas.csv"
    source.write_text("numero,caratula,cuantia,moneda\n" + "".join(
        f"IMP-{n}-2024,Causa importada {n},1500000,CLP\n" for n in range(rows)), encoding="utf-8")
    before = ct.search_cases(admin_db, ct.CaseFilter(status=None)).total

    child = subprocess.Popen(
        [sys.executable, "-m", "casetrack_nb.cli", "--db", str(admin_db.path), "--user", "admin",
         "import", "causas", str(source)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=str(ROOT),
    )
    # The progress bar prints "Guardando" when the import starts writing inside its transaction.
    seen = b""
    while b"Guardando" not in seen:
        chunk = os.read(child.stderr.fileno(), 4096)
        assert chunk, (seen[-2000:], child.stdout.read())
        seen += chunk
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=10)
    assert child.returncode == -signal.SIGKILL
    assert b"completada" not in child.stdout.read()

    con = duckdb.connect(str(admin_db.path), read_only=True)
    imported = con.execute("SELECT count(*) FROM cases WHERE case_number LIKE 'IMP-%'").fetchone()[0]
    created = con.execute("SELECT count(*) FROM audit_log WHERE entity = 'case' AND action = 'create'").fetchone()[0]
    created_by_imports = con.execute(f"SELECT count(*) FROM ({IMPORTED_CASE_IDS})").fetchone()[0]
    audited = created + created_by_imports
    con.close()
    # NOTE: the kill can land just after the commit; either way no partial import may remain.
    assert imported in (0, rows)
    assert audited == before + imported
    assert integrity_problems(admin_db.path) == []
    assert_keeps_working(admin_db.path)
