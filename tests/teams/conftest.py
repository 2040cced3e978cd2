"""Microsoft 365 Agents Playground as the Teams client of the running assistant.

The Playground (npm @microsoft/m365agentsplayground, installed by `make teams-playground`)
emulates Teams (channel msteams) on this machine: it posts activities to the gateway's
/api/messages and serves a Teams-like web page, which headless chromium drives here. It has
no Microsoft tenant to get tokens from, so the gateway runs in its anonymous test mode
while these tests run – switched on for them and off again afterwards.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT, free_port

PLAYGROUND_DIR = ROOT / "tools" / "teams-playground"
CLI = PLAYGROUND_DIR / "node_modules" / "@microsoft" / "m365agentsplayground" / "cli.js"
LOOPBACK_PRELOAD = PLAYGROUND_DIR / "loopback.js"
ANONYMOUS = "LOTSEN_TEAMS_ANONYMOUS"
TIMEOUT_MS = 30_000


@pytest.fixture(scope="module")
def teams_gateway(stack):
    """The shared stack's gateway, restarted with the anonymous Teams mode for this module."""
    stack.env[ANONYMOUS] = "true"
    stack.restart("gateway")
    try:
        yield stack
    finally:
        stack.env.pop(ANONYMOUS, None)
        stack.restart("gateway")


class Playground:
    """The Playground's node process; its own log shows what it sent and received."""

    def __init__(self, endpoint: str, workdir: Path) -> None:
        node = shutil.which("node")
        if not node or not CLI.exists():
            pytest.fail("Microsoft 365 Agents Playground saknas: kör make teams-playground (kräver Node.js).")
        port = free_port()
        self.log = workdir / "playground.out"
        env = {
            **os.environ,
            "TEAMSAPPTESTER_BROWSER": "none",  # no browser of its own: the test drives one
            "M365_AGENTS_PLAYGROUND_LOGFILE": str(workdir / "playground.log"),
        }
        command = [
            node,
            "--require",
            str(LOOPBACK_PRELOAD),
            str(CLI),
            "--app-endpoint",
            endpoint,
            "--channel-id",
            "msteams",
            "--port",
            str(port),
            # Replies come to 127.0.0.1, where the preload binds the Playground (not "localhost").
            "--service-url",
            f"http://127.0.0.1:{port}/_connector",
            "--disable-telemetry",
        ]
        with open(self.log, "wb") as out:
            self.process = subprocess.Popen(
                command, cwd=workdir, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.url = f"http://127.0.0.1:{self._wait_listening()}"

    def _wait_listening(self, timeout: float = 60.0) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Playground avslutades med kod {self.process.returncode}:\n{self.output()}")
            # The Playground picks another port when its is taken, and says which.
            found = re.search(r"Listening on (\d+)", self.output())
            if found:
                port = int(found.group(1))
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/", timeout=2).status_code == 200:
                        return port
                except httpx.HTTPError:
                    pass
            time.sleep(0.3)
        self.stop()
        raise TimeoutError(f"Playground svarade inte inom {timeout:.0f} s:\n{self.output()}")

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


@pytest.fixture(scope="module")
def playground(teams_gateway, tmp_path_factory):
    pg = Playground(f"{teams_gateway.url}/api/messages", tmp_path_factory.mktemp("playground"))
    yield pg
    pg.stop()


class BrowserThread:
    """Headless chromium through Playwright's sync API, on a thread of its own.

    The sync API refuses to start in a thread where an event loop runs, and the widget
    tests' session-wide browser leaves one there; every call goes through `run` instead.
    """

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="teams-chromium")
        self._playwright = self._browser = None
        self.run(self._start)

    def _start(self) -> None:
        from playwright.sync_api import sync_playwright

        from tests.widget.browser import launch

        self._playwright = sync_playwright().start()
        self._browser = launch(self._playwright)

    def run(self, step, *args):
        return self._pool.submit(step, *args).result()

    def new_page(self, url: str):
        def open_page():
            page = self._browser.new_page(viewport={"width": 1400, "height": 1000}, locale="sv-SE")
            page.goto(url)
            return page

        return self.run(open_page)

    def close(self) -> None:
        def stop():
            if self._browser:
                self._browser.close()
            if self._playwright:
                self._playwright.stop()

        self.run(stop)
        self._pool.shutdown()


@pytest.fixture(scope="module")
def chromium():
    browser = BrowserThread()
    yield browser
    browser.close()


@pytest.fixture
def page(chromium, playground):
    """A fresh Playground page: opening it installs the app in a personal chat."""
    page = chromium.new_page(playground.url)
    yield page
    chromium.run(lambda: page.close())


@pytest.fixture
def converse(chromium, playground, page, tmp_path) -> Callable[[Callable], None]:
    """Run `steps(page)` on the browser's thread; when a step fails, keep a screenshot of the
    page and print the Playground's log, which shows what it sent and received."""

    def run(steps: Callable) -> None:
        def guarded(page) -> None:
            try:
                steps(page)
            except Exception:
                page.screenshot(path=str(tmp_path / "playground.png"), full_page=True)
                print(f"Skärmbild: {tmp_path / 'playground.png'}\n--- Playground\n{playground.output()[-3000:]}")
                raise

        chromium.run(guarded, page)

    return run


def snippet(text: str, limit: int = 50) -> str:
    """A piece of a message that survives markdown rendering: its first line's first words."""
    line = text.strip().split("\n", 1)[0].strip()
    return line if len(line) <= limit else line[:limit].rsplit(" ", 1)[0]


def bot_messages(page, text: str):
    """Chat messages (header + body; the log panel has none) from the bot containing `text`."""
    messages = page.locator("div:has(> [aria-label='Message header'])")
    return messages.filter(has=page.get_by_label("Message author").filter(has_text="Test Bot")).filter(has_text=text)


def wait_for_new(page, text: str, seen: int) -> None:
    bot_messages(page, text).nth(seen).wait_for(timeout=TIMEOUT_MS)


class ChatApi:
    """The same conversation through POST /api/chat: what Teams must show."""

    def __init__(self, url: str) -> None:
        self.url, self.session = f"{url}/api/chat", f"reference-e2e-{uuid.uuid4().hex}"

    def turn(self, **body) -> dict:
        r = httpx.post(self.url, json={"session_id": self.session, **body}, timeout=30)
        assert r.status_code == 200, r.text
        return r.json()
