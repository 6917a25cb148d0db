"""A multi-process load test on one database file, with a check that nothing was lost.

Several OS processes (started with `spawn`, like separate Voilà kernels) mix client
adds, edits with `expected_version`, deletes, searches and list pages on the same
file for a bounded time. Each worker logs the operations that succeeded; afterwards
`reconcile()` checks the file against those logs: every add exists once, every
client carries its last successful edit, deleted ones are deleted, versions and audit
entries count exactly the successful writes. Conflicts and DatabaseBusy are legitimate
outcomes under contention; any other exception is reported as a failure.

    python -m casetrack_nb.loadtest --workers 8 --seconds 60 --db /tmp/carga.duckdb
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import statistics
import tempfile
import time
import traceback
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

OPERATIONS = ("add", "edit", "delete", "search", "page")

# Share of each operation in a worker's mix; edits dominate, as in daily use.
MIX = {"add": 2, "edit": 5, "delete": 1, "search": 2, "page": 2}

SEED_CLIENTS = 8
SEED_PREFIX = "Semilla"
WORKER_USER = "admin"

# Upper bound of the pause between reading a client and saving the edit.
THINK_SECONDS = 0.03


@dataclass
class LoadReport:
    """What a load run did: successful and refused operations, latencies and reconciliation problems."""

    workers: int
    seconds: float
    succeeded: Counter = field(default_factory=Counter)
    expected_refusals: Counter = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    problems: list[str] = field(default_factory=list)

    def latency_summary(self) -> dict[str, dict[str, float]]:
        """Return, per operation, the count, median and 99th percentile in milliseconds."""
        summary = {}
        for operation in OPERATIONS:
            samples = sorted(self.latencies.get(operation, []))
            if not samples:
                continue
            p99_index = min(len(samples) - 1, max(0, round(0.99 * len(samples)) - 1))
            summary[operation] = {
                "count": len(samples),
                "median_ms": statistics.median(samples) * 1000,
                "p99_ms": samples[p99_index] * 1000,
            }
        return summary

    def table(self) -> str:
        """Render the latency summary and outcome counts as a plain-text table."""
        lines = [f"{self.workers} procesos, {self.seconds:.0f} s",
                 f"{'operación':<10}{'n':>7}{'mediana ms':>13}{'p99 ms':>10}{'rechazos':>10}"]
        for operation, stats in self.latency_summary().items():
            lines.append(
                f"{operation:<10}{stats['count']:>7}{stats['median_ms']:>13.1f}{stats['p99_ms']:>10.1f}"
                f"{self.expected_refusals.get(operation, 0):>10}"
            )
        lines.append(f"fallas inesperadas: {len(self.failures)}; problemas de conciliación: {len(self.problems)}")
        return "\n".join(lines)


def prepare(path: Path) -> list[int]:
    """Create the users the workers act as and the shared clients they all edit; return those ids."""
    from . import add_client, add_user, open_database

    boot = open_database(path, user="socia")
    add_user(boot, "socia", role="superadmin", bootstrap=True)
    add_user(boot, WORKER_USER, role="admin")
    return [add_client(boot, {"name": f"{SEED_PREFIX} {number}"}, confirm=True)["id"] for number in range(SEED_CLIENTS)]


def _worker(number: int, path: str, seconds: float, seed_ids: list[int], barrier, results) -> None:
    """Run random operations until the deadline, then send (log, latencies, refusals, failures)."""
    from . import add_client, delete_client, get_client, list_clients, open_database, update_client
    from .errors import Conflict, DatabaseBusy

    db = open_database(path, user=WORKER_USER)
    rng = random.Random(number)
    log: list[tuple] = []
    latencies: dict[str, list[float]] = defaultdict(list)
    refusals: Counter = Counter()
    failures: list[str] = []
    own_live: list[int] = []
    names = list(MIX)
    weights = list(MIX.values())
    counter = 0

    barrier.wait()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        operation = rng.choices(names, weights)[0]
        counter += 1
        started = time.perf_counter()
        try:
            if operation == "add":
                name = f"W{number}-{counter}"
                stored = add_client(db, {"name": name, "notes": "alta"}, confirm=True)
                own_live.append(stored["id"])
                log.append(("add", stored["id"], name))
            elif operation == "edit":
                pool = seed_ids + own_live
                client_id = rng.choice(pool)
                version = get_client(db, client_id)["version"]
                notes = f"w{number}-{counter}"
                # A user reads the form before saving; the pause lets other workers save first.
                pause = rng.uniform(0, THINK_SECONDS)
                time.sleep(pause)
                started += pause
                stored = update_client(db, client_id, {"notes": notes}, expected_version=version)
                log.append(("edit", client_id, stored["version"], notes))
            elif operation == "delete":
                if not own_live:
                    continue
                client_id = own_live.pop(rng.randrange(len(own_live)))
                version = get_client(db, client_id)["version"]
                delete_client(db, client_id, expected_version=version)
                log.append(("delete", client_id))
            elif operation == "search":
                list_clients(db, search=rng.choice([SEED_PREFIX.lower(), f"w{rng.randrange(4)}", "semilla 1"]))
            else:
                list_clients(db, page=rng.randint(1, 3), page_size=10, sort=rng.choice(["name", "updated_at"]))
        except (Conflict, DatabaseBusy):
            refusals[operation] += 1
            if operation == "delete":
                own_live.append(client_id)
            continue
        except Exception:  # reported to the parent, which fails the run
            failures.append(f"worker {number} {operation}: {traceback.format_exc(limit=3)}")
            continue
        latencies[operation].append(time.perf_counter() - started)
    results.put((number, log, dict(latencies), dict(refusals), failures))


def run(path: str | Path | None = None, *, workers: int = 4, seconds: float = 7.0) -> LoadReport:
    """Run `workers` processes for `seconds` on a new database file and reconcile the result.

    `path` must not exist yet; by default a temporary file is used and removed.
    """
    if path is None:
        with tempfile.TemporaryDirectory() as folder:
            return run(Path(folder) / "carga.duckdb", workers=workers, seconds=seconds)
    path = Path(path)
    if path.exists():
        raise FileExistsError(f"{path} already exists; the load test needs a new file")
    seed_ids = prepare(path)

    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(workers)
    results = context.Queue()
    processes = [
        context.Process(target=_worker, args=(number, str(path), seconds, seed_ids, barrier, results))
        for number in range(workers)
    ]
    for process in processes:
        process.start()

    report = LoadReport(workers=workers, seconds=seconds)
    logs = []
    for _ in processes:
        number, log, latencies, refusals, failures = results.get(timeout=seconds + 120)
        logs.append(log)
        report.failures.extend(failures)
        report.expected_refusals.update(refusals)
        for operation, samples in latencies.items():
            report.latencies[operation].extend(samples)
    for process in processes:
        process.join(timeout=30)
        if process.exitcode != 0:
            report.failures.append(f"worker pid {process.pid} exited with {process.exitcode}")
    for log in logs:
        report.succeeded.update(entry[0] for entry in log)
    for operation in ("search", "page"):
        report.succeeded[operation] = len(report.latencies.get(operation, []))

    report.problems = reconcile(path, seed_ids, [entry for log in logs for entry in log])
    return report


def reconcile(path: Path, seed_ids: list[int], log: list[tuple]) -> list[str]:
    """Compare the file with the successful operations; return every mismatch found."""
    import duckdb

    added: dict[int, str] = {}
    problems: list[str] = []
    edits: dict[int, list[tuple[int, str]]] = defaultdict(list)
    deleted: set[int] = set()
    for entry in log:
        if entry[0] == "add":
            if entry[1] in added:
                problems.append(f"client id {entry[1]} was returned by two adds")
            added[entry[1]] = entry[2]
        elif entry[0] == "edit":
            edits[entry[1]].append((entry[2], entry[3]))
        else:
            deleted.add(entry[1])

    con = duckdb.connect(str(path), read_only=True)
    try:
        rows = {
            row[0]: row[1:]
            for row in con.execute("SELECT id, name, notes, version, deleted_at FROM clients").fetchall()
        }
        audit = Counter(
            (int(entity_id), action)
            for entity_id, action in con.execute(
                "SELECT entity_id, action FROM audit_log WHERE entity = 'client'"
            ).fetchall()
        )
    finally:
        con.close()

    expected_ids = set(seed_ids) | set(added)
    if set(rows) != expected_ids:
        problems.append(f"clients without a successful add: {sorted(set(rows) - expected_ids)[:10]}; "
                        f"successful adds missing: {sorted(expected_ids - set(rows))[:10]}")

    for client_id in sorted(expected_ids & set(rows)):
        name, notes, version, deleted_at = rows[client_id]
        client_edits = sorted(edits.get(client_id, []))
        was_deleted = client_id in deleted
        if client_id in added and name != added[client_id]:
            problems.append(f"client {client_id}: name {name!r}, added as {added[client_id]!r}")
        expected_version = 1 + len(client_edits) + int(was_deleted)
        if version != expected_version:
            problems.append(f"client {client_id}: version {version}, successful writes say {expected_version}")
        versions = [edit_version for edit_version, _ in client_edits]
        if len(set(versions)) != len(versions):
            problems.append(f"client {client_id}: two successful edits produced the same version")
        if client_edits and notes != client_edits[-1][1]:
            problems.append(f"client {client_id}: notes {notes!r}, last successful edit wrote {client_edits[-1][1]!r}")
        if (deleted_at is not None) != was_deleted:
            problems.append(f"client {client_id}: deleted_at {deleted_at}, delete logged: {was_deleted}")
        expected_audit = {"create": 1, "update": len(client_edits), "delete": int(was_deleted)}
        found_audit = {action: audit[(client_id, action)] for action in expected_audit}
        if found_audit != expected_audit:
            problems.append(f"client {client_id}: audit entries {found_audit}, expected {expected_audit}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Prueba de carga multiproceso sobre un archivo DuckDB.")
    parser.add_argument("--workers", type=int, default=8, help="procesos simultáneos")
    parser.add_argument("--seconds", type=float, default=60.0, help="duración de la carga en segundos")
    parser.add_argument("--db", help="archivo DuckDB nuevo (por omisión uno temporal)")
    parser.add_argument("--json", action="store_true", help="imprimir el resumen como JSON")
    args = parser.parse_args(argv)
    report = run(args.db, workers=args.workers, seconds=args.seconds)
    if args.json:
        print(json.dumps({"latency": report.latency_summary(), "succeeded": report.succeeded,
                          "refused": report.expected_refusals, "failures": report.failures,
                          "problems": report.problems}, indent=2))
    else:
        print(report.table())
        for line in report.failures + report.problems:
            print(line)
    return 0 if not report.failures and not report.problems else 1


if __name__ == "__main__":
    raise SystemExit(main())
