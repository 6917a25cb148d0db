"""The parts of the benchmark beyond queries: CSV import, dashboards in Chromium, kernel memory.

Each part reports itself as missing (with the reason) when what it measures does not
exist yet, so that the report always states what was and was not measured.
"""

from __future__ import annotations

import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from casetrack_nb.server import LocalServer

from . import datasets

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

# CSS selector that marks "widgets visible" per dashboard: its first data row or, failing that, any widget.
DASHBOARDS = {
    "clientes.ipynb": ".ct-row .ct-text-cells",
    "portafolio.ipynb": ".jupyter-widgets",
    "importancia.ipynb": ".jupyter-widgets",
}
EMPTY = "vacio.ipynb"
EMPTY_SELECTOR = ".widget-html"


def run_all(names: list[str], work: Path, repeat: int, skip: set[str], log, results: dict) -> list[str]:
    """Run the extra parts not in `skip`; return their Markdown sections."""
    sections = []
    if "import" not in skip:
        sections.append(import_section(names, work, log))
    if "browser" not in skip or "memory" not in skip:
        sections.append(dashboard_section(names, work, repeat, skip, log))
    return sections


# --- CSV import -------------------------------------------------------------------------

# Import sizes: rows of the CSV, taken from the database of the named benchmark size.
IMPORT_ROWS = {"medium": 100_000, "large": 1_000_000}
CSV_FIELDS = ("case_number", "title", "court", "matter", "stage", "status", "opened_on", "closed_on", "amount",
              "currency", "responsible_lawyer", "counterparty", "client_side")


def _export_csv(source: Path, target: Path) -> dict[str, str]:
    """Write the cases of `source` as a Spanish-headed CSV with the client's tax id; return header -> field."""
    import duckdb

    from casetrack_nb import cases

    labels = {name: es for name, es, *_ in cases.FIELDS}
    headers = {labels[name]: name for name in CSV_FIELDS}
    headers["Identificador tributario del cliente"] = "client_tax_id"
    columns = ", ".join(f'k.{name} AS "{labels[name]}"' for name in CSV_FIELDS)
    con = duckdb.connect(str(source), read_only=True)
    try:
        con.execute(f"""COPY (SELECT {columns}, c.tax_id AS "Identificador tributario del cliente"
                             FROM cases k LEFT JOIN clients c ON c.id = k.client_id ORDER BY k.id)
                        TO '{target}' (HEADER, DELIMITER ',')""")
    finally:
        con.close()
    return headers


def clients_only(source: Path, target: Path) -> Path:
    """Copy `source` without its cases, so the CSV's tax ids find the very same clients.

    A database generated with no cases draws different clients from the same seed.
    """
    import duckdb

    if target.exists() and target.stat().st_mtime >= source.stat().st_mtime:
        return target
    target.unlink(missing_ok=True)
    shutil.copyfile(source, target)
    con = duckdb.connect(str(target))
    try:
        con.execute("DELETE FROM audit_log WHERE entity = 'case'")
        con.execute("DELETE FROM cases")
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return target


def _raw_load(target: Path, csv_path: Path, headers: dict[str, str]) -> float:
    """Time the plain SQL load of the CSV into `target`'s cases table: casts, client join, no checks.

    It writes what the import writes in one transaction: the typed columns, the number key,
    the search text and the client found by tax id. It validates nothing, keeps repeated
    numbers and writes no audit entry, so it is the least a load into the real table costs.
    """
    import duckdb

    column = {field: f'r."{header}"' for header, field in headers.items()}
    typed = {"opened_on": "DATE", "closed_on": "DATE", "amount": "DECIMAL(18, 2)"}
    values = [f"CAST({column[name]} AS {typed[name]})" if name in typed else column[name] for name in CSV_FIELDS]
    number = column["case_number"]
    title = column["title"]
    con = duckdb.connect(str(target))
    try:
        started = time.perf_counter()
        con.execute("BEGIN")
        con.execute(
            f"INSERT INTO cases (id, {', '.join(CSV_FIELDS)}, client_id, case_number_key, search_text, created_at,"
            " created_by, updated_at, updated_by)"
            f" SELECT nextval('case_id_seq'), {', '.join(values)}, c.id,"
            f" regexp_replace(upper({number}), '[^0-9A-Z]', '', 'g'), concat_ws(' | ', lower({number}), lower({title})),"
            " now(), 'socia', now(), 'socia'"
            " FROM read_csv(?, all_varchar = true) r LEFT JOIN clients c"
            f" ON c.tax_id = {column['client_tax_id']} AND c.deleted_at IS NULL",
            [str(csv_path)])
        con.execute("COMMIT")
        return time.perf_counter() - started
    finally:
        con.close()


def time_import(size_name: str, work: Path, repeat: int, log=None) -> dict:
    """Time the import of the size's cases next to DuckDB's read_csv and the plain SQL load, alternating.

    Each round imports into a fresh copy of the clients-only database, then reads the CSV
    with `read_csv` into an in-memory table, then loads it into another copy with plain
    SQL. Returns the lists of seconds and the rows the import skipped.
    """
    import duckdb

    import casetrack_nb as ct
    from casetrack_nb import importing

    source, _ = datasets.ensure_database(datasets.SIZES[size_name], work)
    csv_path = work / f"{size_name}-cases.csv"
    headers = _export_csv(source, csv_path)
    empty = clients_only(source, work / f"{size_name}-clients-only.duckdb")
    target = work / f"{size_name}-import.duckdb"
    timings: dict = {"import": [], "read_csv": [], "raw_load": [], "skipped": 0}
    for round_number in range(repeat):
        if log:
            log(f"  import of {IMPORT_ROWS[size_name]:,} case rows, round {round_number + 1} of {repeat}")
        shutil.copyfile(empty, target)
        started = time.perf_counter()
        report = importing.import_file(ct.open_database(target, user="socia"), "causas", csv_path,
                                       overrides=headers, only_valid=True)
        timings["import"].append(time.perf_counter() - started)
        timings["skipped"] = report.skipped

        con = duckdb.connect()
        started = time.perf_counter()
        con.execute("CREATE TABLE t AS SELECT * FROM read_csv(?, all_varchar = true)", [str(csv_path)])
        timings["read_csv"].append(time.perf_counter() - started)
        con.close()

        shutil.copyfile(empty, target)
        timings["raw_load"].append(_raw_load(target, csv_path, headers))
    target.unlink(missing_ok=True)
    return timings


def import_row(size_name: str, timings: dict) -> str:
    """Return the Markdown table row of one size's import timings (medians)."""
    imported, floor, raw = (statistics.median(timings[key]) for key in ("import", "read_csv", "raw_load"))
    note = f" ({timings['skipped']:,} rows skipped with errors)" if timings["skipped"] else ""
    return (f"| {IMPORT_ROWS[size_name]:,} | {imported:.1f} s{note} | {floor:.2f} s | {raw:.2f} s |"
            f" {imported / floor:.1f}× | {imported / raw:.1f}× |")


def import_section(names: list[str], work: Path, log, repeat: int = 3) -> str:
    lines = ["### Importing cases from CSV", "",
             "Each round imports the file into a database holding the same clients and no cases. The import"
             " validates every cell, links each row to its client by tax id, merges repeated case numbers,"
             " matches stored cases and writes in one transaction with its audit entries, skipping rows with"
             " errors. Next to it: DuckDB's own `read_csv` of the same file into an in-memory table, and a plain"
             " SQL load of the file into the cases table (`read_csv` with casts and the client join, no checks)."
             f" Median of {repeat} alternating rounds.", "",
             "| rows | casetrack import_file | DuckDB read_csv | plain SQL load | import / read_csv |"
             " import / plain load |",
             "|---:|---:|---:|---:|---:|---:|"]
    for size_name in IMPORT_ROWS:
        if size_name in names:
            lines.append(import_row(size_name, time_import(size_name, work, repeat, log)))
    return "\n".join(lines)


# --- Dashboards in Chromium and kernel memory ---------------------------------------------

def _empty_notebook() -> dict:
    """Return a dashboard-shaped notebook that shows one widget and touches no database."""
    def cell(kind, source):
        base = {"cell_type": kind, "metadata": {}, "source": source}
        return {**base, "execution_count": None, "outputs": []} if kind == "code" else base
    return {"nbformat": 4, "nbformat_minor": 5,
            "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
            "cells": [cell("markdown", "# Vacío"), cell("code", "import ipywidgets\n\nw = ipywidgets.HTML('Listo')"),
                      cell("code", "w")]}


def rss_mb(pid: int) -> float | None:
    """Return the resident set size of `pid` in MB from /proc/PID/status, None if it ended."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _loopback_context(browser):
    """Return a browser context that blocks every request not aimed at 127.0.0.1."""
    context = browser.new_context(locale="es-CL")

    def only_loopback(route):
        if route.request.url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:", "about:")):
            route.continue_()
        else:
            route.abort()

    context.route("**/*", only_loopback)
    return context


def _open_until_visible(browser, url: str, selector: str) -> float:
    """Return seconds from the request to `selector` being visible, in a fresh context."""
    context = _loopback_context(browser)
    page = context.new_page()
    try:
        started = time.perf_counter()
        page.goto(url)
        page.locator(selector).first.wait_for(state="visible", timeout=60_000)
        return time.perf_counter() - started
    finally:
        context.close()


def dashboard_section(names: list[str], work: Path, repeat: int, skip: set[str], log) -> str:
    present = [name for name in DASHBOARDS if (NOTEBOOKS / name).exists()]
    lines = ["### Dashboards in Chromium and kernel memory", ""]
    missing = [name for name in DASHBOARDS if name not in present]
    if missing:
        lines.append(f"Missing notebooks (not measured): {', '.join(missing)}.")
        lines.append("")
    if not Path(CHROMIUM).exists():
        lines.append(f"Not measured: Chromium is not installed at {CHROMIUM}.")
        return "\n".join(lines)
    from playwright.sync_api import sync_playwright

    sizes = [names[0], names[-1]] if len(names) > 1 else names
    root = Path(tempfile.mkdtemp(prefix="bench-voila-", dir=work))
    for name in present:
        shutil.copyfile(NOTEBOOKS / name, root / name)
    (root / EMPTY).write_text(json.dumps(_empty_notebook()), encoding="utf-8")

    render: dict[str, dict[str, float]] = {}
    memory: dict[str, dict[str, float | None]] = {}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                for size_name in sizes:
                    db_path, _ = datasets.ensure_database(datasets.SIZES[size_name], work)
                    server = LocalServer(root, db_path, "socia")
                    try:
                        if "browser" not in skip and "clientes.ipynb" in present:
                            log(f"  {size_name}: first render, clientes vs empty notebook")
                            render[size_name] = _time_first_render(browser, server, repeat)
                        if "memory" not in skip:
                            log(f"  {size_name}: kernel memory per dashboard")
                            memory[size_name] = _kernel_memory(browser, server, present)
                    finally:
                        server.stop()
            finally:
                browser.close()
    finally:
        shutil.rmtree(root, ignore_errors=True)

    if render:
        lines += ["First render: from `page.goto` to the first client row visible (clientes) or the one"
                  f" widget visible (empty notebook), median of {repeat} loads each, alternating; each load"
                  " starts a new kernel.", "",
                  "| size | empty notebook | clientes | clientes / empty |", "|---|---:|---:|---:|"]
        for size_name, medians in render.items():
            lines.append(f"| {size_name} | {medians['empty']:.2f} s | {medians['clientes']:.2f} s"
                         f" | {medians['clientes'] / medians['empty']:.2f}× |")
        lines.append("")
    if memory:
        lines += ["Kernel memory: VmRSS of the kernel process (from /proc) 1 s after the dashboard showed its"
                  " widgets.", "", "| dashboard | " + " | ".join(memory) + " | growth |",
                  "|---|" + "---:|" * (len(memory) + 1)]
        for name in [EMPTY, *present]:
            values = [memory[size].get(name) for size in memory]
            growth = values[-1] - values[0] if len(values) > 1 and None not in values else None
            cells = " | ".join("—" if v is None else f"{v:.0f} MB" for v in values)
            lines.append(f"| {name} | {cells} | {'—' if growth is None else f'{growth:+.0f} MB'} |")
    return "\n".join(lines)


def _time_first_render(browser, server: LocalServer, repeat: int) -> dict[str, float]:
    samples = {"empty": [], "clientes": []}
    _open_until_visible(browser, server.page_url(EMPTY), EMPTY_SELECTOR)  # warm-up, not timed
    for round_number in range(repeat):
        order = ("empty", "clientes") if round_number % 2 == 0 else ("clientes", "empty")
        for which in order:
            if which == "empty":
                samples[which].append(_open_until_visible(browser, server.page_url(EMPTY), EMPTY_SELECTOR))
            else:
                samples[which].append(_open_until_visible(
                    browser, server.page_url("clientes.ipynb"), DASHBOARDS["clientes.ipynb"]))
    return {which: statistics.median(values) for which, values in samples.items()}


def _kernel_memory(browser, server: LocalServer, present: list[str]) -> dict[str, float | None]:
    """Open each dashboard in its own page and read its kernel's RSS while the page is open."""
    found = {}
    for name in [EMPTY, *present]:
        selector = EMPTY_SELECTOR if name == EMPTY else DASHBOARDS[name]
        before = server.kernel_pids()
        context = _loopback_context(browser)
        page = context.new_page()
        try:
            page.goto(server.page_url(name))
            page.locator(selector).first.wait_for(state="visible", timeout=60_000)
            time.sleep(1.0)
            new = server.kernel_pids() - before
            found[name] = max((rss_mb(pid) or 0.0) for pid in new) if new else None
        finally:
            context.close()
    return found

