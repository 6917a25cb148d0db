"""The served dashboards: loopback only, no source or tracebacks, no files, no code execution from the page."""

from __future__ import annotations

import asyncio
import concurrent.futures
import http.client
import ipaddress
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from html import unescape
from pathlib import Path

import nbformat
import pytest

from casetrack_nb import cli
from casetrack_nb.server import free_port
from conftest import NOTEBOOKS, ROOT, make_users


def get(server, path: str) -> tuple[int, bytes, dict]:
    """Send the path as typed, without client-side normalisation of '..' or '%2e'."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    connection.request("GET", path)
    response = connection.getresponse()
    return response.status, response.read(), dict(response.getheaders())


def get_following(server, path: str) -> tuple[int, bytes]:
    """GET `path`, following a redirect once; the target must stay on this server."""
    status, body, headers = get(server, path)
    if status in (301, 302):
        target = headers.get("Location", "")
        assert target.startswith("/"), (path, target)
        status, body, headers = get(server, target)
    return status, body


def listening_addresses(port: int) -> set[str]:
    """Return the local addresses with a socket in LISTEN state on `port`, from /proc/net."""
    found = set()
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        if not os.path.exists(table):
            continue
        with open(table) as handle:
            next(handle)
            for line in handle:
                local, _remote, state = line.split()[1:4]
                address, port_hex = local.split(":")
                if state == "0A" and int(port_hex, 16) == port:
                    found.add(_decode_address(address, width))
    return found


def _decode_address(hex_address: str, width: int) -> str:
    if width == 8:
        return ".".join(str(b) for b in reversed(bytes.fromhex(hex_address)))
    words = [bytes.fromhex(hex_address[i:i + 8])[::-1] for i in range(0, 32, 8)]
    return str(ipaddress.IPv6Address(b"".join(words)))


@pytest.fixture
def served(voila, admin_db):
    return voila(admin_db.path, "admin")


def test_serve_command_binds_loopback(admin_db, monkeypatch):
    captured = []
    monkeypatch.setattr(cli.os, "execve", lambda program, command, env: captured.append((command, env)))

    cli.main(["--db", str(admin_db.path), "--user", "admin", "serve", "--port", "8899"])

    command, env = captured[0]
    assert "--Voila.ip=127.0.0.1" in command
    assert "--show_tracebacks=False" in command
    assert not any(arg.startswith("--strip_sources") and arg.endswith("False") for arg in command)
    assert not any("0.0.0.0" in arg or "--ip=" in arg and "127.0.0.1" not in arg for arg in command)
    assert env["CASETRACK_DB"] == str(admin_db.path.resolve())


def test_real_server_listens_on_loopback_only(admin_db):
    port = free_port()
    env = {**os.environ, "CASETRACK_USER": "admin"}
    process = subprocess.Popen(
        [sys.executable, "-m", "casetrack_nb.cli", "--db", str(admin_db.path), "serve", "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=str(ROOT), start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not listening_addresses(port):
            assert process.poll() is None, process.stdout.read().decode()
            assert time.monotonic() < deadline, "the server did not listen within 60 s"
            time.sleep(0.3)
        assert listening_addresses(port) <= {"127.0.0.1"}, listening_addresses(port)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/voila/tree", timeout=30) as response:
            assert response.status == 200

        # `casetrack serve` becomes the server, so stopping its PID stops Voilà.
        process.terminate()
        process.wait(timeout=30)
        assert not listening_addresses(port)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)


def test_page_has_no_source(served):
    status, body, _headers = get(served, "/voila/render/clientes.ipynb")
    html = body.decode("utf-8")
    # Source shown by Voilà is syntax-highlighted, one <span> per token: compare the bare text.
    text = unescape(re.sub(r"<[^>]+>", "", html))

    assert status == 200
    notebook = nbformat.read(NOTEBOOKS / "clientes.ipynb", as_version=4)
    code_lines = [line.strip() for cell in notebook.cells if cell.cell_type == "code"
                  for line in cell.source.splitlines() if len(line.strip()) > 8]
    assert code_lines, "the notebook should have code to hide"
    for line in code_lines:
        assert line not in text
    assert "casetrack_nb.ui" not in html
    assert "Traceback" not in html


def test_page_requests_nothing_from_other_hosts(served, new_page):
    status, body, _headers = get(served, "/voila/render/clientes.ipynb")
    linked = re.findall(r'(?:href|src)="(https?://[^"]+)"', body.decode("utf-8"))

    assert status == 200
    assert linked == []

    # The page's icons come from Voilà's own bundle, so nothing is missing without the CDN.
    requested = []
    page = new_page()
    page.on("request", lambda request: requested.append(request.url))
    page.goto(served.page_url("clientes.ipynb"))
    page.get_by_role("button", name="Buscar").wait_for()
    page.wait_for_load_state("networkidle")
    outside = [url for url in requested if not url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:",
                                                                "blob:", "about:"))]
    assert outside == []
    assert page.locator(".fa-search").first.evaluate("icon => getComputedStyle(icon, '::before').content") != "none"


FORBIDDEN_PATHS = [
    "/voila/files/clientes.ipynb",
    "/voila/files/../data/casetrack.duckdb",
    "/voila/files/%2e%2e/%2e%2e/pyproject.toml",
    "/voila/files/..%2f..%2fpyproject.toml",
    "/voila/files//etc/passwd",
    "/voila/files/../casetrack_nb/store.py",
    "/voila/static/../../pyproject.toml",
    "/voila/tree/..",
    "/voila/tree/../casetrack_nb",
    "/voila/render/../pyproject.toml",
    "/voila/render/%2e%2e/tests/conftest.py",
    "/api/contents",
    "/api/contents/clientes.ipynb",
    "/api/contents/..%2fpyproject.toml",
    "/api/kernels",
    "/api/sessions",
    "/api/config/notebook",
    "/api/terminals",
    "/notebooks/clientes.ipynb",
    "/files/clientes.ipynb",
    "/files/../data/casetrack.duckdb",
    "/tree",
    "/tree/..",
    "/edit/clientes.ipynb",
    "/lab",
    "/nbconvert/html/clientes.ipynb",
    "/terminals/1",
]


def test_files_and_apis_refused(served, admin_db):
    secret_markers = [b"[project]", b"DuckDB", b"def open_database", b"\"cells\"", b"root:x:0", b"import pytest"]
    database_head = admin_db.path.read_bytes()[:64]

    for path in FORBIDDEN_PATHS + [f"/voila/files/{admin_db.path}", f"/voila/files/..{admin_db.path}"]:
        status, body = get_following(served, path)
        assert status in (403, 404, 405), (path, status)
        for marker in secret_markers:
            assert marker not in body, (path, marker)
        assert database_head not in body
        assert b"Traceback" not in body


def test_database_inside_served_folder_refused(voila, tmp_path):
    # Even a database file placed next to the notebooks is not served.
    path = NOTEBOOKS / f"prueba-{uuid.uuid4().hex[:8]}.duckdb"
    try:
        make_users(path)
        server = voila(path, "admin")
        for url in (f"/voila/files/{path.name}", f"/voila/files/{path.name}.wal", f"/voila/render/{path.name}"):
            status, body = get_following(server, url)
            assert status in (403, 404), (url, status)
            assert b"DUCK" not in body
    finally:
        for leftover in (path, Path(str(path) + ".wal")):
            if leftover.exists():
                leftover.unlink()


def test_unreadable_database_shows_message_not_traceback(voila, tmp_path, new_page):
    broken = tmp_path / "rota.duckdb"
    broken.write_text("esto no es una base de datos DuckDB")
    server = voila(broken, "admin")

    page = new_page()
    page.goto(server.page_url("clientes.ipynb"))
    page.get_by_text("no se pudo cargar").first.wait_for()
    text = page.inner_text("body")

    assert "Error de la base de datos" in text
    assert "Traceback" not in text
    assert "File \"" not in text
    assert "from_environment" not in page.content()


async def _send_over_kernel_socket(server, kernel_id: str, cookie: str, marker: Path) -> list[dict]:
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    session = uuid.uuid4().hex
    url = f"ws://127.0.0.1:{server.port}/api/kernels/{kernel_id}/channels?session_id={session}"
    connection = await websocket_connect(HTTPRequest(url, headers={"Cookie": cookie}))

    def message(msg_type: str, content: dict) -> dict:
        return {
            "header": {"msg_id": uuid.uuid4().hex, "msg_type": msg_type, "username": "prueba", "session": session,
                       "date": "2026-01-01T00:00:00Z", "version": "5.3"},
            "parent_header": {}, "metadata": {}, "content": content, "channel": "shell", "buffers": [],
        }

    code = f"open({str(marker)!r}, 'w').write('ejecutado')"
    execute = message("execute_request", {"code": code, "silent": False, "store_history": False,
                                          "user_expressions": {}, "allow_stdin": False, "stop_on_error": True})
    probe = message("kernel_info_request", {})
    await connection.write_message(json.dumps(execute))
    await connection.write_message(json.dumps(probe))

    # The kernel answers shell requests in order: once the probe's reply arrives, an
    # execute_request that reached it would already have run.
    received = []
    while True:
        raw = await asyncio.wait_for(connection.read_message(), timeout=60)
        assert raw is not None, "the kernel socket closed"
        reply = json.loads(raw)
        received.append(reply)
        if reply.get("parent_header", {}).get("msg_id") == probe["header"]["msg_id"] and \
                reply["header"]["msg_type"] == "kernel_info_reply":
            break
    connection.close()
    return received


def test_kernel_refuses_code_from_page(served, tmp_path):
    with urllib.request.urlopen(served.page_url("clientes.ipynb"), timeout=60) as response:
        html = response.read().decode("utf-8")
        cookies = response.headers.get_all("Set-Cookie") or []
    kernel_id = re.search(r'"kernelId": "([0-9a-f-]{36})"', html).group(1)
    cookie = "; ".join(header.split(";", 1)[0] for header in cookies)
    marker = tmp_path / "ejecutado.txt"

    # A thread of its own, because Playwright's session may already run an event loop here.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as executor:
        received = executor.submit(asyncio.run, _send_over_kernel_socket(served, kernel_id, cookie, marker)).result()

    assert any(reply["header"]["msg_type"] == "kernel_info_reply" for reply in received)
    assert not any(reply["header"]["msg_type"] in ("execute_reply", "execute_input", "execute_result")
                   for reply in received)
    assert not marker.exists()
