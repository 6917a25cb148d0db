"""Time each SQL statement of one CSV import of cases, and profile its Python side.

    python -m benchmarks.import_profile [--size large] [--top 20] [--analyze REGEX]

Runs the import of benchmarks/import_only.py once into a fresh copy of the clients-only
database. Every `execute` on the store's connections is timed (the time to fetch a
result is not included), and the statements are printed slowest first, then the
functions with the most own time under cProfile. `--analyze` runs the statements whose
SQL starts with a match of REGEX under EXPLAIN ANALYZE and prints their plans.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import re
import shutil
import time

import casetrack_nb as ct
from casetrack_nb import importing, store

from . import datasets, extras


class _TimedConnection:
    """A DuckDB connection whose `execute` records (seconds, SQL) in `timings`."""

    def __init__(self, con, timings: list, plans: list, analyze: re.Pattern | None) -> None:
        self._con, self._timings, self._plans, self._analyze = con, timings, plans, analyze

    def execute(self, sql, *args):
        started = time.perf_counter()
        if self._analyze is not None and self._analyze.match(sql.strip()):
            # EXPLAIN ANALYZE runs the statement, so its effects happen as without it.
            self._plans.append((sql, self._con.execute("EXPLAIN ANALYZE " + sql, *args).fetchall()[0][1]))
            result = self._con
        else:
            result = self._con.execute(sql, *args)
        self._timings.append((time.perf_counter() - started, sql))
        return result

    def __getattr__(self, name):
        return getattr(self._con, name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="large", help="medium or large (default: large)")
    parser.add_argument("--top", type=int, default=20, help="statements and functions to print (default: 20)")
    parser.add_argument("--analyze", help="regular expression: run the statements it matches under EXPLAIN ANALYZE")
    args = parser.parse_args()

    work = datasets.WORK
    source, _ = datasets.ensure_database(datasets.SIZES[args.size], work)
    csv_path = work / f"{args.size}-cases.csv"
    headers = extras._export_csv(source, csv_path)
    target = work / f"{args.size}-profile.duckdb"
    shutil.copyfile(extras.clients_only(source, work / f"{args.size}-clients-only.duckdb"), target)

    timings: list = []
    plans: list = []
    analyze = re.compile(args.analyze) if args.analyze else None
    cursor = store._ATTACHMENTS.cursor
    store._ATTACHMENTS.cursor = lambda alias: _TimedConnection(cursor(alias), timings, plans, analyze)
    profile = cProfile.Profile()
    try:
        started = time.perf_counter()
        profile.enable()
        report = importing.import_file(ct.open_database(target, user="socia"), "causas", csv_path,
                                       overrides=headers, only_valid=True)
        profile.disable()
        total = time.perf_counter() - started
    finally:
        store._ATTACHMENTS.cursor = cursor
        target.unlink(missing_ok=True)

    print(f"import of {report.rows:,} rows: {total:.2f} s under cProfile, {report.inserted:,} inserted,"
          f" {report.skipped:,} skipped; {len(timings)} statements took {sum(t for t, _ in timings):.2f} s")
    for seconds, sql in sorted(timings, key=lambda item: -item[0])[:args.top]:
        print(f"{seconds:7.3f} s  {' '.join(sql.split())[:160]}")
    pstats.Stats(profile).sort_stats("tottime").print_stats(args.top)
    for sql, plan in plans:
        print(" ".join(sql.split())[:160])
        print(plan)


if __name__ == "__main__":
    main()
