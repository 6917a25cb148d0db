"""Shared fixtures: a fresh database file per test, Voilà servers on free loopback ports, Chromium."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import casetrack_nb as ct
from casetrack_nb import demo
from casetrack_nb.i18n import set_language
from casetrack_nb.server import LocalServer

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


@pytest.fixture(autouse=True)
def spanish():
    """Every test starts in Spanish, whatever an earlier test selected."""
    set_language("es")
    yield
    set_language("es")


@pytest.fixture
def db_path(tmp_path) -> Path:
    return tmp_path / "casetrack.duckdb"


def make_users(path: Path) -> None:
    """Create the three roles on an empty database: socia (superadmin), admin, analista (usuario)."""
    boot = ct.open_database(path, user="socia")
    ct.add_user(boot, "socia", role="superadmin", bootstrap=True)
    ct.add_user(boot, "admin", role="admin")
    ct.add_user(boot, "analista", role="usuario")


@pytest.fixture
def admin_db(db_path):
    """An empty database with users, opened as the `admin` role."""
    make_users(db_path)
    return ct.open_database(db_path, user="admin")


@pytest.fixture
def super_db(admin_db):
    return ct.open_database(admin_db.path, user="socia")


@pytest.fixture
def user_db(admin_db):
    """The same database opened as `analista`, whose role is `usuario` (read-only)."""
    return ct.open_database(admin_db.path, user="analista")


@pytest.fixture
def demo_db(tmp_path):
    """A small demo database (demo users included), opened as `socia`."""
    path = tmp_path / "demo.duckdb"
    db = ct.open_database(path, user="socia")
    demo.generate(db, n_clients=40, n_cases=600)
    return db


class VoilaServer(LocalServer):
    """A real Voilà process serving notebooks/ on 127.0.0.1, as `casetrack serve` starts it."""

    def __init__(self, db_path: Path, user: str, *, language_env: dict | None = None, extra_args=()):
        super().__init__(NOTEBOOKS, db_path, user, extra_args=extra_args, env=language_env)


@pytest.fixture
def voila():
    """Factory: `voila(db_path, user)` starts a server; all are stopped at the end of the test."""
    servers: list[VoilaServer] = []

    def start(db_path: Path, user: str, **options) -> VoilaServer:
        server = VoilaServer(Path(db_path), user, **options)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright; the browser tests are skipped where it is missing."""
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed (scripts/test installs it when run as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser):
    """Factory for pages whose context blocks every request not aimed at 127.0.0.1."""
    contexts = []

    def open_page():
        context = browser.new_context(locale="es-CL")

        def only_loopback(route):
            url = route.request.url
            if url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:", "about:")):
                route.continue_()
            else:
                route.abort()

        context.route("**/*", only_loopback)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(30_000)
        return page

    yield open_page
    for context in contexts:
        context.close()
