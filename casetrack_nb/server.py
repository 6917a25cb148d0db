"""The dashboard server: Voilà with two changes, and a helper that runs it on loopback.

- Voilà 0.5 serving a folder responds to `/` with its file tree and has no option to open
  a notebook there instead, so this subclass puts one redirect in front of its handlers.
- Its page handler sets the `_xsrf` cookie, so a closed tab's kernel is shut down, and
  drops the template's CDN stylesheets, so a page requests nothing from other hosts.

Run it like Voilà itself: `python -m casetrack_nb.server notebooks/ --port=8866 ...`.
`LocalServer` starts it on a free 127.0.0.1 port for the tests and the benchmark.
"""

from __future__ import annotations

import inspect
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from jupyter_server.utils import url_path_join
from tornado.web import RedirectHandler
from traitlets import Unicode
from voila.app import Voila
from voila.tornado.handler import TornadoVoilaHandler


# The lab template's two Font Awesome stylesheets on a CDN. Voilà's own script bundle
# already carries Font Awesome 5 with its fonts, so the page loses nothing without them.
_CDN_STYLESHEET = re.compile(r'\s*<link rel="stylesheet" href="https://cdn\.jsdelivr\.net/[^"]*"[^>]*>')


class _LocalPageHandler(TornadoVoilaHandler):
    """Voilà's page handler, which also sets the `_xsrf` cookie and links nothing outside the server.

    When a tab closes, Voilà's page posts the kernel shutdown with the `_xsrf` value it
    reads from the cookies, but voila 0.5.13 never sets that cookie, so the server responds
    403 and the tab's kernel lives on until culled. Reading `xsrf_token` sets the cookie.
    The CDN stylesheets are dropped from the page, so a browser sends no request elsewhere.
    """

    async def prepare(self):
        result = super().prepare()
        if inspect.isawaitable(result):
            await result
        self.xsrf_token  # noqa: B018 - the property sets the cookie as a side effect

    def write(self, chunk):
        if isinstance(chunk, str) and "cdn.jsdelivr.net" in chunk:
            chunk = _CDN_STYLESHEET.sub("", chunk)
        super().write(chunk)


class CasetrackVoila(Voila):
    """Voilà whose root address redirects to `landing_page` when it serves a folder."""

    name = "casetrack-voila"

    landing_page = Unicode(
        "index.ipynb", config=True,
        help="Notebook, relative to the served folder, that the root address (/) opens.",
    )

    def init_handlers(self) -> list:
        handlers = [
            (rule[0], _LocalPageHandler, *rule[2:]) if rule[1] is TornadoVoilaHandler else rule
            for rule in super().init_handlers()
        ]
        if self.notebook_path or not self.landing_page:
            return handlers
        target = url_path_join(self.server_url, "voila/render", self.landing_page)
        # Tornado uses the first matching rule, so this one wins over Voilà's tree at "/".
        return [(self.server_url, RedirectHandler, {"url": target, "permanent": False}), *handlers]



class LocalServer:
    """A dashboard server process on a free 127.0.0.1 port, as the tests and the benchmark start it.

    Serves `root` for the database `db_path` acting as `user`, waits until it responds,
    and stops it (with its kernels) on `stop()`.
    """

    def __init__(self, root: Path, db_path: Path, user: str, *, extra_args=(), env: dict | None = None,
                 timeout: float = 60) -> None:
        self.root = Path(root)
        self.db_path = Path(db_path)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        environment = {**os.environ, "CASETRACK_DB": str(db_path), "CASETRACK_USER": user, **(env or {})}
        environment.pop("JUPYTERHUB_USER", None)
        self.log = tempfile.NamedTemporaryFile("w", prefix=f"voila-{self.port}-", suffix=".log", delete=False)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "casetrack_nb.server", str(self.root), "--no-browser", f"--port={self.port}",
             "--Voila.ip=127.0.0.1", "--show_tracebacks=False", *extra_args],
            env=environment, stdout=self.log, stderr=subprocess.STDOUT, cwd=str(self.root),
        )

        # Poll the file tree: "/" redirects to the landing page, which would start a kernel.
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"voila exited with {self.process.returncode}; see {self.log.name}")
            try:
                urllib.request.urlopen(self.url + "/voila/tree", timeout=2)
                return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"voila did not respond on 127.0.0.1 within {timeout:g} s; see {self.log.name}")

    def page_url(self, notebook: str, query: str = "") -> str:
        return f"{self.url}/voila/render/{notebook}{query}"

    def kernel_pids(self) -> set[int]:
        """Return the PIDs of this server's kernel processes, read from /proc (Linux)."""
        pids = set()
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
                command = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            if parent == self.process.pid and b"ipykernel" in command:
                pids.add(int(entry.name))
        return pids

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def free_port() -> int:
    """Return a TCP port that is free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


main = CasetrackVoila.launch_instance

if __name__ == "__main__":
    main()
