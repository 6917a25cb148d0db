"""Two OS processes adding and editing clients on one file at the same time."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import duckdb

import casetrack_nb as ct

WORKER = textwrap.dedent(
    """
    import json, sys, time
    import casetrack_nb as ct

    path, user, tag, seconds = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
    db = ct.open_database(path, user=user, lock_timeout=30)
    added, edited, errors = [], {}, []
    deadline = time.monotonic() + seconds
    n = 0
    while time.monotonic() < deadline:
        n += 1
        try:
            client = ct.add_client(db, name=f"{tag} cliente {n}", confirm=True)
            added.append(client["id"])
            updated = ct.update_client(db, client["id"], {"notes": f"edit {n}"}, expected_version=client["version"])
            edited[client["id"]] = updated["notes"]
        except Exception as error:
            errors.append(f"{type(error).__name__}: {error}")
    print(json.dumps({"added": added, "edited": edited, "errors": errors}))
    """
)


def test_two_processes_lose_no_write(admin_db):
    workers = [
        subprocess.Popen([sys.executable, "-c", WORKER, str(admin_db.path), user, tag, "5"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for user, tag in (("admin", "A"), ("socia", "B"))
    ]
    results = []
    for worker in workers:
        out, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err
        results.append(json.loads(out))

    for result in results:
        assert result["errors"] == []
        assert len(result["added"]) > 5

    expected = {int(k): v for result in results for k, v in result["edited"].items()}
    with duckdb.connect(str(admin_db.path)) as con:
        stored = dict(con.execute("SELECT id, notes FROM clients").fetchall())
        versions = {row[0] for row in con.execute("SELECT DISTINCT version FROM clients").fetchall()}
        audit = con.execute("SELECT count(*) FROM audit_log WHERE entity = 'client'").fetchone()[0]

    assert stored == expected
    assert versions == {2}
    assert audit == 2 * len(expected)
    assert ct.list_clients(admin_db).total == len(expected)
