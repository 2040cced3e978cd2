"""Fixtures for the widget in a real browser: Debian's chromium, intranet pages on other origins."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import sync_playwright

from tests.conftest import free_port
from tests.widget.browser import DESKTOP, launch

# An intranet page in English on purpose: the widget must still speak Swedish (lang="sv").
INTRANET_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Intranet</title>
<style>button{{all:unset;color:red}} .plw-panel{{display:none}}</style></head>
<body><main><h1>Staff pages</h1><p>Some intranet content.</p></main>
<script src="{gateway}/widget.js" data-title="Stöd vid påverkan" data-position="left"></script>
</body></html>
"""


class IntranetSite:
    """A tiny static web server on its own origin that embeds the widget with one script tag."""

    def __init__(self, port: int, gateway: str) -> None:
        body = INTRANET_PAGE.format(gateway=gateway).encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's naming)
                status = 200 if self.path in ("/", "/intranat.html") else 404
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body) if status == 200 else 0))
                self.end_headers()
                if status == 200:
                    self.wfile.write(body)

            def log_message(self, *args):  # keep the test output clean
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="session")
def intranet(stack, embed_origin):
    """An intranet page on the origin the stack allows (LOTSEN_ALLOWED_ORIGINS)."""
    site = IntranetSite(urlsplit(embed_origin).port, stack.url)
    yield site
    site.close()


@pytest.fixture(scope="session")
def foreign_site(stack):
    """A page on an origin the gateway was not told about: its requests must be refused."""
    site = IntranetSite(free_port(), stack.url)
    yield site
    site.close()


@pytest.fixture(scope="session")
def browser():
    """One headless chromium for the whole session; every test gets a fresh context."""
    playwright = sync_playwright().start()
    chromium = launch(playwright)
    yield chromium
    chromium.close()
    playwright.stop()


@pytest.fixture
def context(browser):
    ctx = browser.new_context(viewport=DESKTOP, locale="sv-SE")
    yield ctx
    ctx.close()


@pytest.fixture
def page(context):
    """A page that records every dialog (alert, confirm) so a test can assert none appeared."""
    pg = context.new_page()
    pg.dialogs = []

    def on_dialog(dialog):
        pg.dialogs.append(dialog.message)
        dialog.dismiss()

    pg.on("dialog", on_dialog)
    return pg
