"""A dashboard's kernel ends when its tab leaves the page, so kernels do not pile up."""

from __future__ import annotations

import time
from pathlib import Path

import pytest


def kernel_processes(server_pid: int) -> int:
    """Count the ipykernel processes whose parent is the Voilà server."""
    count = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (entry / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue
        if parent == server_pid and b"ipykernel" in command:
            count += 1
    return count


def wait_for_kernels(server_pid: int, expected: int, seconds: float = 20) -> int:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = kernel_processes(server_pid)
        if found == expected:
            return found
        time.sleep(0.25)
    return kernel_processes(server_pid)


@pytest.mark.browser
def test_navigating_away_shuts_the_kernel_down(admin_db, voila, new_page):
    server = voila(admin_db.path, "admin")
    page = new_page()

    for notebook in ("clientes.ipynb", "portafolio.ipynb", "index.ipynb"):
        page.goto(server.page_url(notebook))
        page.wait_for_selector(".ct-header")
        assert wait_for_kernels(server.process.pid, 1) == 1, notebook

    assert "_xsrf" in {cookie["name"] for cookie in page.context.cookies()}
    page.goto(server.url + "/voila/tree")
    assert wait_for_kernels(server.process.pid, 0) == 0
