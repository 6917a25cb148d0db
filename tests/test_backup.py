"""`casetrack backup` and `casetrack restore`: consistent copies, also while another process writes."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

import casetrack_nb as ct
from casetrack_nb import backup

ROOT = Path(__file__).resolve().parent.parent


def casetrack(*args: str, db: Path, user: str = "socia") -> subprocess.CompletedProcess:
    """Run the real `casetrack` command line in a child process."""
    return subprocess.run(
        [sys.executable, "-m", "casetrack_nb.cli", "--db", str(db), "--user", user, *args],
        capture_output=True, text=True, cwd=str(ROOT), timeout=120,
    )


def table_differences(first: Path, second: Path) -> dict[str, int]:
    """Count rows present in one file and not the other, per table, and sequence mismatches."""
    con = duckdb.connect()
    con.execute(f"ATTACH '{first}' AS a (READ_ONLY)")
    con.execute(f"ATTACH '{second}' AS b (READ_ONLY)")
    tables = sorted(r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = 'a'").fetchall())
    other = sorted(r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = 'b'").fetchall())
    assert tables == other
    differences = {}
    for table in tables:
        missing = con.execute(f"SELECT count(*) FROM (FROM a.{table} EXCEPT ALL FROM b.{table})").fetchone()[0]
        extra = con.execute(f"SELECT count(*) FROM (FROM b.{table} EXCEPT ALL FROM a.{table})").fetchone()[0]
        differences[table] = missing + extra
    sequences = con.execute(
        "SELECT database_name, sequence_name, last_value FROM duckdb_sequences() ORDER BY sequence_name"
    ).fetchall()
    by_db = {name: {seq: value for d, seq, value in sequences if d == name} for name in ("a", "b")}
    differences["sequences"] = int(by_db["a"] != by_db["b"])
    con.close()
    return differences


def row_counts(path: Path) -> dict[str, int]:
    return backup.check_backup(path)


def test_backup_round_trip_identical(demo_db, tmp_path):
    copy = tmp_path / "respaldo" / "copia.duckdb"

    result = casetrack("backup", str(copy), db=demo_db.path)

    assert result.returncode == 0, result.stderr
    assert "Respaldo creado" in result.stdout
    assert copy.is_file()
    differences = table_differences(demo_db.path, copy)
    assert set(differences) >= {"clients", "cases", "audit_log", "users", "settings", "schema_migrations"}
    assert all(count == 0 for count in differences.values()), differences


def test_backup_refuses_existing_file(demo_db, tmp_path):
    copy = tmp_path / "copia.duckdb"
    copy.write_bytes(b"previous content")

    result = casetrack("backup", str(copy), db=demo_db.path)

    assert result.returncode == 2
    assert "ya existe" in result.stderr
    assert copy.read_bytes() == b"previous content"


def test_restore_round_trip_and_bak(demo_db, tmp_path):
    copy = tmp_path / "copia.duckdb"
    backup.backup(demo_db, copy)
    before_changes = tmp_path / "antes.duckdb"
    backup.backup(demo_db, before_changes)

    # Change the live database after the backup: one edit, one new client.
    first = ct.list_clients(demo_db, page_size=1).rows.iloc[0]
    ct.update_client(demo_db, int(first["id"]), {"notes": "cambio posterior"}, expected_version=int(first["version"]))
    ct.add_client(demo_db, {"name": "Cliente Posterior Ltda."}, confirm=True)
    changed = tmp_path / "cambiada.duckdb"
    backup.backup(demo_db, changed)

    refused = casetrack("restore", str(copy), db=demo_db.path)
    assert refused.returncode == 2
    assert "--force" in refused.stderr
    assert table_differences(demo_db.path, changed)["clients"] == 0

    result = casetrack("restore", str(copy), "--force", db=demo_db.path)

    assert result.returncode == 0, result.stderr
    assert all(count == 0 for count in table_differences(demo_db.path, before_changes).values())
    kept = sorted(demo_db.path.parent.glob(demo_db.path.name + ".*.bak"))
    assert len(kept) == 1
    assert all(count == 0 for count in table_differences(kept[0], changed).values())
    assert not list(demo_db.path.parent.glob("*.restoring"))

    # The restored file keeps working and its id sequence continues past the restored rows.
    db = ct.open_database(demo_db.path, user="socia")
    added = ct.add_client(db, {"name": "Cliente Tras Restaurar"}, confirm=True)
    assert added["id"] > row_counts(copy)["clients"]


def test_restore_rejects_non_casetrack_file(demo_db, tmp_path):
    stranger = tmp_path / "otra.duckdb"
    con = duckdb.connect(str(stranger))
    con.execute("CREATE TABLE t (x INTEGER)")
    con.close()
    not_duckdb = tmp_path / "texto.duckdb"
    not_duckdb.write_text("esto no es una base de datos")
    before = row_counts(demo_db.path)

    for source in (stranger, not_duckdb, tmp_path / "no-existe.duckdb"):
        result = casetrack("restore", str(source), "--force", db=demo_db.path)
        assert result.returncode == 2, source
        assert "Error:" in result.stderr
        assert "Traceback" not in result.stderr

    assert row_counts(demo_db.path) == before
    assert not list(demo_db.path.parent.glob("*.bak"))


def test_restore_into_missing_path(demo_db, tmp_path):
    copy = tmp_path / "copia.duckdb"
    backup.backup(demo_db, copy)
    fresh = tmp_path / "nueva" / "casetrack.duckdb"

    result = casetrack("restore", str(copy), db=fresh)

    assert result.returncode == 0, result.stderr
    assert all(count == 0 for count in table_differences(fresh, copy).values())


WRITER = textwrap.dedent("""
    import sys, time
    import casetrack_nb as ct
    db = ct.open_database(sys.argv[1], user="socia")
    deadline = time.monotonic() + float(sys.argv[2])
    done = 0
    while time.monotonic() < deadline:
        ct.add_client(db, {"name": f"Concurrente {done}", "notes": "x" * 200}, confirm=True)
        done += 1
        print(done, flush=True)
""")


def test_backup_while_another_process_writes(admin_db, tmp_path):
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(admin_db.path), "8"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=str(ROOT),
    )
    # Wait until the writer has committed something, then back up twice during its burst.
    first_line = writer.stdout.readline()
    assert first_line.strip(), writer.stderr.read()
    copies = []
    for number in range(2):
        copy = tmp_path / f"copia-{number}.duckdb"
        result = casetrack("backup", str(copy), db=admin_db.path)
        assert result.returncode == 0, result.stderr
        copies.append(copy)
        time.sleep(0.5)
    out, err = writer.communicate(timeout=60)

    assert writer.returncode == 0, err
    written = int(out.split()[-1])
    for copy in copies:
        counts = row_counts(copy)
        assert 1 <= counts["clients"] <= written
        con = duckdb.connect(str(copy), read_only=True)
        # A consistent copy: every client has its create entry, no entry lacks its client.
        orphans = con.execute(
            "SELECT count(*) FROM clients c WHERE NOT EXISTS (SELECT 1 FROM audit_log a"
            " WHERE a.entity = 'client' AND a.action = 'create' AND a.entity_id = CAST(c.id AS VARCHAR))"
        ).fetchone()[0]
        dangling = con.execute(
            "SELECT count(*) FROM audit_log a WHERE a.entity = 'client' AND NOT EXISTS"
            " (SELECT 1 FROM clients c WHERE CAST(c.id AS VARCHAR) = a.entity_id)"
        ).fetchone()[0]
        ids = con.execute("SELECT min(id), max(id), count(*) FROM clients").fetchone()
        con.close()
        assert orphans == 0
        assert dangling == 0
        assert ids[1] - ids[0] + 1 == ids[2]
    assert row_counts(copies[0])["clients"] <= row_counts(copies[1])["clients"]
    assert row_counts(admin_db.path)["clients"] == written
