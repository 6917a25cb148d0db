"""Time the CSV import of cases next to DuckDB's read_csv of the same file, and nothing else.

    python -m benchmarks.import_only [--sizes medium,large] [--repeat 3]

Each round runs the import into a fresh copy of the clients-only database, then DuckDB's
`read_csv` into a table; the two alternate, and the medians are printed as Markdown rows
in the format of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import time

import duckdb

import casetrack_nb as ct
from casetrack_nb import importing

from . import datasets, extras


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="medium,large", help="comma-separated sizes among medium, large")
    parser.add_argument("--repeat", type=int, default=3, help="rounds per size (default: 3)")
    args = parser.parse_args()
    work = datasets.WORK

    for size_name in args.sizes.split(","):
        size = datasets.SIZES[size_name]
        source, _ = datasets.ensure_database(size, work)
        csv_path = work / f"{size_name}-cases.csv"
        headers = extras._export_csv(source, csv_path)
        empty = extras.clients_only(source, work / f"{size_name}-clients-only.duckdb")
        imports, floors, skipped = [], [], 0
        for _ in range(args.repeat):
            target = work / f"{size_name}-import.duckdb"
            shutil.copyfile(empty, target)
            started = time.perf_counter()
            report = importing.import_file(ct.open_database(target, user="socia"), "causas", csv_path,
                                           overrides=headers, only_valid=True)
            imports.append(time.perf_counter() - started)
            skipped = report.skipped
            target.unlink(missing_ok=True)

            con = duckdb.connect()
            started = time.perf_counter()
            con.execute("CREATE TABLE t AS SELECT * FROM read_csv(?, all_varchar = true)", [str(csv_path)])
            floors.append(time.perf_counter() - started)
            con.close()
        imported, floor = statistics.median(imports), statistics.median(floors)
        note = f" ({skipped:,} rows skipped with errors)" if skipped else ""
        print(f"| {extras.IMPORT_ROWS[size_name]:,} | {imported:.1f} s{note} | {floor:.2f} s |"
              f" {imported / floor:.0f}× |", flush=True)
        print(f"  imports {[round(x, 2) for x in imports]}, read_csv {[round(x, 2) for x in floors]}", flush=True)


if __name__ == "__main__":
    main()
