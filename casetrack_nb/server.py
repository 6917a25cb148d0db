"""The dashboard server: Voilà, plus a redirect from the root address to the landing page.

Voilà 0.5 serving a folder responds to `/` with its file tree and has no option to open a
notebook there instead, so this subclass puts one redirect in front of its handlers.
Run it like Voilà itself: `python -m casetrack_nb.server notebooks/ --port=8866 ...`.
"""

from __future__ import annotations

import inspect

from jupyter_server.utils import url_path_join
from tornado.web import RedirectHandler
from traitlets import Unicode
from voila.app import Voila
from voila.tornado.handler import TornadoVoilaHandler


class _XsrfCookieRenderHandler(TornadoVoilaHandler):
    """Voilà's page handler, which also sets the `_xsrf` cookie.

    When a tab closes, Voilà's page posts the kernel shutdown with the `_xsrf` value it
    reads from the cookies, but voila 0.5.13 never sets that cookie, so the server responds
    403 and the tab's kernel lives on until culled. Reading `xsrf_token` sets the cookie.
    """

    async def prepare(self):
        result = super().prepare()
        if inspect.isawaitable(result):
            await result
        self.xsrf_token  # noqa: B018 - the property sets the cookie as a side effect


class CasetrackVoila(Voila):
    """Voilà whose root address redirects to `landing_page` when it serves a folder."""

    name = "casetrack-voila"

    landing_page = Unicode(
        "index.ipynb", config=True,
        help="Notebook, relative to the served folder, that the root address (/) opens.",
    )

    def init_handlers(self) -> list:
        handlers = [
            (rule[0], _XsrfCookieRenderHandler, *rule[2:]) if rule[1] is TornadoVoilaHandler else rule
            for rule in super().init_handlers()
        ]
        if self.notebook_path or not self.landing_page:
            return handlers
        target = url_path_join(self.server_url, "voila/render", self.landing_page)
        # Tornado uses the first matching rule, so this one wins over Voilà's tree at "/".
        return [(self.server_url, RedirectHandler, {"url": target, "permanent": False}), *handlers]


main = CasetrackVoila.launch_instance

if __name__ == "__main__":
    main()
