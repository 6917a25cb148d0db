"""A dashboard's kernel ends when its tab leaves the page, so kernels do not pile up."""

from __future__ import annotations

import time

import pytest


def wait_for_kernels(server, expected: int, seconds: float = 20) -> int:
    """Wait until the server has `expected` kernel processes; return the last count seen."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = len(server.kernel_pids())
        if found == expected:
            return found
        time.sleep(0.25)
    return len(server.kernel_pids())


@pytest.mark.browser
def test_navigating_away_shuts_the_kernel_down(admin_db, voila, new_page):
    server = voila(admin_db.path, "admin")
    page = new_page()

    for notebook in ("clientes.ipynb", "portafolio.ipynb", "index.ipynb"):
        page.goto(server.page_url(notebook))
        page.wait_for_selector(".ct-header")
        assert wait_for_kernels(server, 1) == 1, notebook

    assert "_xsrf" in {cookie["name"] for cookie in page.context.cookies()}
    page.goto(server.url + "/voila/tree")
    assert wait_for_kernels(server, 0) == 0
