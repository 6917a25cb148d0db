"""Several OS processes on one database file: nothing lost, nothing doubled, only expected refusals."""

from __future__ import annotations

import duckdb

import casetrack_nb as ct
from casetrack_nb import loadtest


def test_four_processes_mixed_load(tmp_path):
    report = loadtest.run(tmp_path / "carga.duckdb", workers=4, seconds=6)
    print()
    print(report.table())

    assert report.failures == []
    assert report.problems == []
    summary = report.latency_summary()
    for operation in loadtest.OPERATIONS:
        assert report.succeeded[operation] > 0, operation
        assert summary[operation]["count"] == len(report.latencies[operation])
        assert 0 < summary[operation]["median_ms"] <= summary[operation]["p99_ms"]


def test_reconcile_detects_tampering(tmp_path):
    path = tmp_path / "carga.duckdb"
    seed_ids = loadtest.prepare(path)
    db = ct.open_database(path, user=loadtest.WORKER_USER)
    added = ct.add_client(db, {"name": "W0-1"}, confirm=True)
    edited = ct.update_client(db, seed_ids[0], {"notes": "w0-2"}, expected_version=1)
    ct.delete_client(db, added["id"], expected_version=1)
    log = [("add", added["id"], "W0-1"), ("edit", seed_ids[0], edited["version"], "w0-2"), ("delete", added["id"])]

    assert loadtest.reconcile(path, seed_ids, log) == []

    # A write that bypassed the package (no audit entry, no log line) must show up.
    con = duckdb.connect(str(path))
    con.execute("UPDATE clients SET notes = 'perdido', version = version + 1 WHERE id = ?", [seed_ids[1]])
    con.execute(
        "INSERT INTO clients (name, name_key, search_text, created_at, updated_at) "
        "VALUES ('W0-1', 'w0 1', 'w0-1', now(), now())"
    )
    con.close()
    problems = loadtest.reconcile(path, seed_ids, log)

    assert any(f"client {seed_ids[1]}: version 2" in problem for problem in problems)
    assert any("clients without a successful add" in problem for problem in problems)

    # An edit logged as successful but absent from the file is a lost write.
    lost = [*log, ("edit", seed_ids[2], 2, "w0-3")]
    assert any(f"client {seed_ids[2]}" in problem for problem in loadtest.reconcile(path, seed_ids, lost))
