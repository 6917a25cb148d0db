"""Run the casetrack_nb benchmark and write its results to docs/benchmarks.md.

    python -m benchmarks.run --sizes small,medium,large

Each size's demo database is generated once and cached in benchmarks/work/. Every
query runs `--repeat` times per way (package, raw SQL on a kept connection, raw SQL with
a connection per call, pandas), interleaved in one loop so that the machine's noise
falls on all four alike. The report gives medians and ratios. The generated part of the
report sits between two HTML comments, so the hand-written findings around it survive a
re-run. A part left out with `--skip` keeps its section from the previous report.
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
WAYS = ("package", "raw", "raw_per_call", "pandas")

# Targets at the largest size (milliseconds or ratios).
ABSOLUTE_TARGETS_MS = {"client_list": 100, "client_cases": 100, "importance_table": 500}
RAW_RATIO_TARGET = 1.5
PANDAS_RATIO_TARGET = 10

# The sections of extras.py, in report order, and the --skip parts that must all be
# skipped for the previous report's section to be kept.
EXTRA_SECTIONS = {
    "### Importing cases from CSV": {"import"},
    "### Dashboards in Chromium and kernel memory": {"browser", "memory"},
}


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def time_queries(size: datasets.Size, work: Path, repeat: int, pandas_repeat: int, log) -> dict:
    """Time every query of `queries.operations` four ways on the cached database of `size`.

    Before timing, both floors are checked against the package's rows, columns and total.
    """
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
        queries.check_floors(ops)
        for round_number in range(repeat):
            for op in ops:
                # Rotate the order each round so no way always runs first after another query.
                shift = round_number % len(WAYS)
                order = WAYS[shift:] + WAYS[:shift]
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
    skip = f" --skip {results['skip']}" if results.get("skip") else ""
    lines = [
        f"Run of {results['started']} ({results['seconds']:.0f} s), `python -m benchmarks.run"
        f" --sizes {','.join(r['size'] for r in results['sizes'])} --repeat {results['repeat']}"
        f" --pandas-repeat {results['pandas_repeat']}{skip}`.",
        "",
    ]
    if results.get("kept_sections"):
        lines += ["Not measured in this run and copied unchanged from the previous report: "
                  + ", ".join(f"«{heading.lstrip('# ')}»" for heading in results["kept_sections"]) + ".", ""]
    lines += [
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
            "| operation | package | raw SQL, kept connection | raw SQL, connection per call | pandas"
            " | package / kept | package / per call | pandas / package |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for name, medians in size["medians_ms"].items():
            package, raw, raw_per_call, pandas = (medians.get(way) for way in WAYS)
            lines.append(
                f"| {size['labels'][name]} | {_ms(package)} | {_ms(raw)} | {_ms(raw_per_call)} | {_ms(pandas)}"
                f" | {_ratio(package / raw if package and raw else None)}"
                f" | {_ratio(package / raw_per_call if package and raw_per_call else None)}"
                f" | {_ratio(pandas / package if package and pandas else None)} |"
            )
        lines.append("")
    for section in results.get("extra_sections", []):
        lines += [section, ""]
    lines += render_targets(results)
    return "\n".join(lines).rstrip() + "\n"


def render_targets(results: dict) -> list[str]:
    """Check the query targets at the largest size that ran.

    The 1.5× target includes the per-call connection, so it is judged against the floor
    that opens the file per call. The ratio to the kept-connection floor is shown beside it.
    """
    largest = max(results["sizes"], key=lambda r: r["cases"])
    lines = [f"### Query targets at {largest['size']}", "",
             f"| operation | package / per-call floor ≤ {RAW_RATIO_TARGET} | package / kept floor"
             f" | pandas / package ≥ {PANDAS_RATIO_TARGET} | absolute |", "|---|---|---|---|---|"]
    for name, medians in largest["medians_ms"].items():
        package, raw, raw_per_call, pandas = (medians.get(way) for way in WAYS)
        per_call_ok = package / raw_per_call <= RAW_RATIO_TARGET if package and raw_per_call else None
        if package and raw:
            within = "within" if package / raw <= RAW_RATIO_TARGET else "over"
            kept_cell = f"{_ratio(package / raw)} ({within} {RAW_RATIO_TARGET}×)"
        else:
            kept_cell = "—"
        pandas_ok = pandas / package >= PANDAS_RATIO_TARGET if package and pandas else None
        limit = ABSOLUTE_TARGETS_MS.get(name)
        absolute = "—" if limit is None else f"{'met' if package <= limit else 'missed'} (< {limit} ms)"
        per_call = "—" if per_call_ok is None else f"{_verdict(per_call_ok)} ({_ratio(package / raw_per_call)})"
        lines.append(f"| {name} | {per_call} | {kept_cell} | {_verdict(pandas_ok)} | {absolute} |")
    lines.append("")
    return lines


def _verdict(ok: bool | None) -> str:
    if ok is None:
        return "—"
    return "met" if ok else "missed"


def previous_sections(output: Path) -> dict[str, str]:
    """Return the `### ` sections of the generated block in `output`, by heading line."""
    if not output.exists():
        return {}
    text = output.read_text(encoding="utf-8")
    if START not in text or END not in text:
        return {}
    block = text.split(START, 1)[1].split(END, 1)[0]
    sections: dict[str, list[str]] = {}
    current = None
    for line in block.splitlines():
        if line.startswith("### "):
            current = line.strip()
            sections[current] = []
        if current is not None:
            sections[current].append(line)
    return {heading: "\n".join(lines).strip() for heading, lines in sections.items()}


def merge_extra_sections(measured: list[str], previous: dict[str, str], skip: set[str]) -> tuple[list[str], list[str]]:
    """Return (sections in report order, headings kept from `previous` because their parts were skipped)."""
    by_heading = {section.splitlines()[0].strip(): section for section in measured}
    merged, copied = [], []
    for heading, parts in EXTRA_SECTIONS.items():
        if heading in by_heading:
            merged.append(by_heading.pop(heading))
        elif parts <= skip and heading in previous:
            merged.append(previous[heading])
            copied.append(heading)
    return merged + list(by_heading.values()), copied


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
               "pandas_repeat": pandas_repeat, "skip": ",".join(sorted(skip)),
               "machine": machine(), "sizes": [], "extra_sections": []}
    for name in names:
        log(f"{name}: queries")
        results["sizes"].append(time_queries(datasets.SIZES[name], args.work, args.repeat, pandas_repeat, log))

    from . import extras

    measured = extras.run_all(names, args.work, args.repeat, skip, log, results)
    results["extra_sections"], results["kept_sections"] = merge_extra_sections(
        measured, previous_sections(args.output), skip)
    results["load_after"] = os.getloadavg()
    results["seconds"] = time.perf_counter() - started

    write_report(args.output, render(results))
    args.work.mkdir(parents=True, exist_ok=True)
    (args.work / "results.json").write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")
    log(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
