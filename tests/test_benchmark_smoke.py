"""The benchmark script still runs: the tiny size, queries only, into a temporary report.

No timing is asserted; speed is what the benchmark reports, not what the suite checks.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_benchmark_writes_report(tmp_path):
    report = tmp_path / "benchmarks.md"
    report.write_text("# Benchmarks\n\nHand-written findings.\n", encoding="utf-8")

    run = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--sizes", "tiny", "--repeat", "1",
         "--output", str(report), "--work", str(tmp_path / "work"), "--skip", "import,browser,memory"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )

    assert run.returncode == 0, run.stderr
    text = report.read_text(encoding="utf-8")
    assert text.startswith("# Benchmarks\n\nHand-written findings.\n")
    assert text.count("<!-- results:start") == 1
    assert text.count("<!-- results:end -->") == 1
    assert "### tiny: 40 clients, 1,000 cases" in text
    rows = re.findall(r"^\| (.+?) \| ([\d.,]+) ms \| ([\d.,]+) ms \| ([\d.,]+) ms \| ([\d.]+)× \| ([\d.]+)× \|$",
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
    assert (tmp_path / "work" / "results.json").exists()


def test_benchmark_rerun_keeps_one_block(tmp_path):
    command = [sys.executable, "-m", "benchmarks.run", "--sizes", "tiny", "--repeat", "1",
               "--output", str(tmp_path / "b.md"), "--work", str(tmp_path / "work"),
               "--skip", "import,browser,memory"]
    for _ in range(2):
        assert subprocess.run(command, cwd=ROOT, capture_output=True, timeout=120).returncode == 0

    text = (tmp_path / "b.md").read_text(encoding="utf-8")
    assert text.count("<!-- results:start") == 1
    assert text.count("### tiny:") == 1
