"""The benchmark script still runs: the tiny size, queries only, into a temporary report.

No timing is asserted; speed is what the benchmark reports, not what the suite checks.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_tiny(report: Path, work: Path) -> subprocess.CompletedProcess:
    """Run the benchmark command at the tiny size, queries only, writing `report`."""
    return subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--sizes", "tiny", "--repeat", "1",
         "--output", str(report), "--work", str(work), "--skip", "import,browser,memory"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )


def test_benchmark_writes_report(tmp_path):
    report = tmp_path / "benchmarks.md"
    report.write_text("# Benchmarks\n\nHand-written findings.\n", encoding="utf-8")

    run = run_tiny(report, tmp_path / "work")

    assert run.returncode == 0, run.stderr
    text = report.read_text(encoding="utf-8")
    assert text.startswith("# Benchmarks\n\nHand-written findings.\n")
    assert text.count("<!-- results:start") == 1
    assert text.count("<!-- results:end -->") == 1
    assert "### tiny: 40 clients, 1,000 cases" in text
    assert ("| operation | package | raw SQL, kept connection | raw SQL, connection per call | pandas"
            " | package / kept | package / per call | pandas / package |") in text
    number = r"([\d.,]+) ms"
    ratio = r"([\d.]+)×"
    rows = re.findall(rf"^\| (.+?) \| {number} \| {number} \| {number} \| {number} \| {ratio} \| {ratio} \| {ratio} \|$",
                      text, re.MULTILINE)
    assert [row[0] for row in rows] == [
        "Client list, first page with counts (list_clients)",
        "Client name search «nunez» (list_clients)",
        "Largest client's cases, first page (client_cases)",
        "Portfolio filter: client and status (search_cases)",
        "Portfolio filter: free text «sunat» (search_cases)",
        "Portfolio summary with ABC (portfolio_summary)",
        "Importance table with score (importance.importance_table)",
    ]
    assert "### Query targets at tiny" in text
    targets = re.findall(r"^\| (\w+) \| (?:met|missed) \([\d.]+×\) \| [\d.]+× \((?:within|over) 1\.5×\) \|",
                         text, re.MULTILINE)
    assert len(targets) == 7
    assert (tmp_path / "work" / "results.json").exists()


def test_benchmark_keeps_skipped_sections(tmp_path):
    report = tmp_path / "benchmarks.md"
    imported = "### Importing cases from CSV\n\n| rows | casetrack import_file |\n|---:|---:|\n| 100 | 1.0 s |"
    report.write_text("# Benchmarks\n\n<!-- results:start (written by python -m benchmarks.run) -->\n"
                      f"Old run.\n\n{imported}\n\n### Query targets at tiny\n\nold\n<!-- results:end -->\n",
                      encoding="utf-8")

    run = run_tiny(report, tmp_path / "work")

    assert run.returncode == 0, run.stderr
    text = report.read_text(encoding="utf-8")
    assert imported + "\n" in text
    assert "copied unchanged from the previous report: «Importing cases from CSV»." in text
    assert "Old run." not in text
    assert text.count("### Query targets at tiny") == 1


def test_benchmark_rerun_keeps_one_block(tmp_path):
    for _ in range(2):
        assert run_tiny(tmp_path / "b.md", tmp_path / "work").returncode == 0

    text = (tmp_path / "b.md").read_text(encoding="utf-8")
    assert text.count("<!-- results:start") == 1
    assert text.count("### tiny:") == 1


def test_floor_check_rejects_other_rows(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT))
    import pandas as pd
    import pytest

    from benchmarks.queries import Operation, check_floors

    expected = pd.DataFrame({"id": [1, 2], "name": ["Ana", "Beto"], "total": [2, 2]})
    same = Operation("same", "same", lambda: expected.drop(columns="total"), lambda: expected.copy(),
                     lambda: expected.copy(), None)
    with pytest.raises(AssertionError):
        check_floors([same])  # the package returned no total, the floors did

    package = type("Page", (), {"rows": expected.drop(columns="total"), "total": 2})()
    check_floors([Operation("page", "page", lambda: package, lambda: expected.copy(), lambda: expected.copy(), None)])

    other_order = expected.iloc[::-1]
    with pytest.raises(AssertionError, match="raw_per_call floor differs"):
        check_floors([Operation("page", "page", lambda: package, lambda: expected.copy(), lambda: other_order,
                                None)])
