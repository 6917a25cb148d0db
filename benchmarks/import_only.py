"""Time the CSV import of cases next to DuckDB's read_csv and a plain SQL load of the same file.

    python -m benchmarks.import_only [--sizes medium,large] [--repeat 3]

Runs the import part of `benchmarks.run` alone (see `extras.time_import`) and prints the
Markdown rows of docs/benchmarks.md, followed by every round's seconds.
"""

from __future__ import annotations

import argparse

from . import datasets, extras


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="medium,large", help="comma-separated sizes among medium, large")
    parser.add_argument("--repeat", type=int, default=3, help="rounds per size (default: 3)")
    args = parser.parse_args()

    for size_name in args.sizes.split(","):
        timings = extras.time_import(size_name, datasets.WORK, args.repeat)
        print(extras.import_row(size_name, timings), flush=True)
        print("  " + ", ".join(f"{key} {[round(x, 2) for x in timings[key]]}"
                               for key in ("import", "read_csv", "raw_load")), flush=True)


if __name__ == "__main__":
    main()
