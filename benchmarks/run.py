"""Run the casetrack_nb benchmark and write its results to docs/benchmarks.md.

    python -m benchmarks.run --sizes small,medium,large

Each size's demo database is generated once and cached in benchmarks/work/. Every
query runs `--repeat` times per way (package, raw SQL, pandas), interleaved in one loop
so that the machine's noise falls on all three alike. The report gives medians and
ratios. The generated part of the report sits between two HTML comments, so the
hand-written findings around it survive a re-run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

import duckdb

import casetrack_nb as ct

from . import datasets, queries

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = ROOT / "docs" / "benchmarks.md"
START = "<!-- results:start (written by python -m benchmarks.run) -->"
END = "<!-- results:end -->"
WAYS = ("package", "raw", "pandas")

# Targets at the largest size (milliseconds or ratios).
ABSOLUTE_TARGETS_MS = {"client_list": 100, "client_cases": 100, "importance_table": 500}
RAW_RATIO_TARGET = 1.5
PANDAS_RATIO_TARGET = 10


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def time_queries(size: datasets.Size, work: Path, repeat: int, pandas_repeat: int, log) -> dict:
    """Time every query of `queries.operations` three ways on the cached database of `size`."""
    path, generate_seconds = datasets.ensure_database(size, work)
    raw_path = work / f"{size.name}-raw.duckdb"
    shutil.copyfile(path, raw_path)
    raw = duckdb.connect(str(raw_path), read_only=True)
    db = ct.open_database(path, user="socia")
    client_id = queries.largest_client(str(path))
    ops = queries.operations(db, raw, str(path), client_id)

    samples: dict[str, dict[str, list[float]]] = {op.name: {way: [] for way in WAYS} for op in ops}
    try:
        for op in ops:  # one warm-up call per way, not timed
            for way in WAYS:
                getattr(op, way)()
        for round_number in range(repeat):
            for op in ops:
                # Rotate the order each round so no way always runs first after another query.
                order = WAYS[round_number % 3:] + WAYS[:round_number % 3]
                for way in order:
                    if way == "pandas" and round_number >= pandas_repeat:
                        continue
                    started = time.perf_counter()
                    getattr(op, way)()
                    samples[op.name][way].append(time.perf_counter() - started)
            log(f"  {size.name}: round {round_number + 1}/{repeat}")
    finally:
        raw.close()
        raw_path.unlink(missing_ok=True)

    counts = duckdb.connect(str(path), read_only=True)
    try:
        clients, cases = counts.execute("SELECT (SELECT count(*) FROM clients), (SELECT count(*) FROM cases)").fetchone()
        largest = counts.execute("SELECT count(*) FROM cases WHERE client_id = ?", [client_id]).fetchone()[0]
    finally:
        counts.close()
    return {
        "size": size.name, "clients": clients, "cases": cases, "largest_client_cases": largest,
        "generate_seconds": generate_seconds,
        "labels": {op.name: op.label for op in ops},
        "medians_ms": {name: {way: _median_ms(values) for way, values in by_way.items() if values}
                       for name, by_way in samples.items()},
        "runs": {name: {way: len(values) for way, values in by_way.items()} for name, by_way in samples.items()},
    }


def machine() -> dict:
    """Describe the machine, the load and the versions the run used."""
    cpu = "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    free = subprocess.run(["free", "-h"], capture_output=True, text=True).stdout.strip()
    import pandas
    import numpy

    versions = {"python": platform.python_version(), "duckdb": duckdb.__version__, "pandas": pandas.__version__,
                "numpy": numpy.__version__, "casetrack_nb": ct.__dict__.get("__version__", "0.1.0")}
    for name in ("voila", "playwright", "ipykernel", "ipywidgets"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return {"nproc": os.cpu_count(), "cpu": cpu, "free": free, "kernel": platform.release(),
            "load_before": os.getloadavg(), "versions": versions}


def _ms(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.0f} ms" if value >= 100 else f"{value:.1f} ms"


def _ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}×"


def render(results: dict) -> str:
    """Return the generated Markdown: machine, method, per-size tables and the target check."""
    info = results["machine"]
    lines = [
        f"Run of {results['started']} ({results['seconds']:.0f} s), `python -m benchmarks.run"
        f" --sizes {','.join(r['size'] for r in results['sizes'])} --repeat {results['repeat']}`.",
        "",
        f"- Machine: {info['nproc']} cores (`nproc`), {info['cpu']}, Linux {info['kernel']}.",
        f"- Load average before / after: {', '.join(f'{x:.2f}' for x in info['load_before'])} /"
        f" {', '.join(f'{x:.2f}' for x in results['load_after'])} (other work shared the cores).",
        "- Versions: " + ", ".join(f"{k} {v}" for k, v in info["versions"].items()) + ".",
        "",
        "```",
        info["free"],
        "```",
        "",
    ]
    for size in results["sizes"]:
        lines += [
            f"### {size['size']}: {size['clients']:,} clients, {size['cases']:,} cases",
            "",
            f"Demo generation: {size['generate_seconds']:.1f} s. Largest client: {size['largest_client_cases']:,} cases"
            f" ({size['largest_client_cases'] / size['cases']:.1%} of all).",
            "",
            "| operation | package | raw SQL (floor) | pandas | package / raw | pandas / package |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for name, medians in size["medians_ms"].items():
            package, raw, pandas = (medians.get(way) for way in WAYS)
            lines.append(
                f"| {size['labels'][name]} | {_ms(package)} | {_ms(raw)} | {_ms(pandas)}"
                f" | {_ratio(package / raw if package and raw else None)}"
                f" | {_ratio(pandas / package if package and pandas else None)} |"
            )
        lines.append("")
    for section in results.get("extra_sections", []):
        lines += [section, ""]
    lines += render_targets(results)
    return "\n".join(lines).rstrip() + "\n"


def render_targets(results: dict) -> list[str]:
    """Check the query targets at the largest size that ran."""
    largest = max(results["sizes"], key=lambda r: r["cases"])
    lines = [f"### Query targets at {largest['size']}", "",
             "| operation | package / raw ≤ 1.5 | pandas / package ≥ 10 | absolute |", "|---|---|---|---|"]
    for name, medians in largest["medians_ms"].items():
        package, raw, pandas = (medians.get(way) for way in WAYS)
        raw_ok = package / raw <= RAW_RATIO_TARGET if package and raw else None
        pandas_ok = pandas / package >= PANDAS_RATIO_TARGET if package and pandas else None
        limit = ABSOLUTE_TARGETS_MS.get(name)
        absolute = "—" if limit is None else f"{'met' if package <= limit else 'missed'} (< {limit} ms)"
        lines.append(f"| {name} | {_verdict(raw_ok)} | {_verdict(pandas_ok)} | {absolute} |")
    lines.append("")
    return lines


def _verdict(ok: bool | None) -> str:
    if ok is None:
        return "—"
    return "met" if ok else "missed"


def write_report(output: Path, generated: str) -> None:
    """Replace the generated block of `output`, or create the file with only that block."""
    block = f"{START}\n{generated}{END}\n"
    if output.exists():
        text = output.read_text(encoding="utf-8")
        if START in text and END in text:
            head, rest = text.split(START, 1)
            tail = rest.split(END, 1)[1]
            output.write_text(head + block + tail.lstrip("\n"), encoding="utf-8")
            return
        output.write_text(text.rstrip("\n") + "\n\n" + block, encoding="utf-8")
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text("# Benchmarks\n\n" + block, encoding="utf-8")


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="small,medium,large",
                        help=f"comma-separated sizes among {', '.join(datasets.SIZES)} (default: small,medium,large)")
    parser.add_argument("--repeat", type=int, default=7, help="timed runs per query and way (default: 7)")
    parser.add_argument("--pandas-repeat", type=int, default=None,
                        help="timed runs of the pandas way, at most --repeat (default: --repeat)")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="Markdown report to update")
    parser.add_argument("--work", type=Path, default=datasets.WORK, help="cache folder for generated databases")
    parser.add_argument("--skip", default="", help="comma-separated parts to skip: import, browser, memory")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    names = [name.strip() for name in args.sizes.split(",") if name.strip()]
    unknown = [name for name in names if name not in datasets.SIZES]
    if unknown:
        print(f"unknown size(s) {', '.join(unknown)}; choose among {', '.join(datasets.SIZES)}", file=sys.stderr)
        return 2
    skip = {part.strip() for part in args.skip.split(",") if part.strip()}
    pandas_repeat = min(args.repeat, args.pandas_repeat or args.repeat)

    def log(message: str) -> None:
        print(message, flush=True)

    started = time.perf_counter()
    results = {"started": dt.datetime.now().strftime("%Y-%m-%d %H:%M"), "repeat": args.repeat,
               "machine": machine(), "sizes": [], "extra_sections": []}
    for name in names:
        log(f"{name}: queries")
        results["sizes"].append(time_queries(datasets.SIZES[name], args.work, args.repeat, pandas_repeat, log))

    from . import extras

    results["extra_sections"] += extras.run_all(names, args.work, args.repeat, skip, log, results)
    results["load_after"] = os.getloadavg()
    results["seconds"] = time.perf_counter() - started

    write_report(args.output, render(results))
    args.work.mkdir(parents=True, exist_ok=True)
    (args.work / "results.json").write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")
    log(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
