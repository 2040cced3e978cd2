"""Debian's chromium, driven by Playwright: shared by the widget tests and `make screenshots`.

Playwright's own browser download cannot run here (only the package registries are reachable),
so tools/install-browser.sh installs Debian's chromium and Playwright is pointed at it.
"""

from __future__ import annotations

import os

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 800}
# WCAG 1.4.10 (reflow): 320 CSS px wide; 1280 × 720 at 200 % zoom is 640 × 360 CSS px.
NARROW = {"width": 320, "height": 640}
ZOOM_200 = {"width": 640, "height": 360}
PHONE = {"width": 375, "height": 667}  # the phone of issue 20: an answer should fit one screen
GIFT_QUESTION = "Vad gör jag om jag blir erbjuden en gåva?"


def launch(playwright):
    """Start headless chromium; a clear message when tools/install-browser.sh has not run."""
    if not os.access(CHROMIUM, os.X_OK):
        raise RuntimeError(f"{CHROMIUM} saknas: kör tools/install-browser.sh (make browser).")
    return playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)


def strings() -> dict:
    """The widget's Swedish UI strings, as the gateway serves them."""
    import json
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "web_widget" / "strings.sv.json"
    return json.loads(path.read_text(encoding="utf-8"))


def open_widget(page) -> None:
    page.get_by_role("button", name=strings()["launcher"]).click()
    panel = page.locator(".plw-panel")
    panel.wait_for(state="visible")
    # The panel fades in (150 ms from opacity 0): an accessibility check run during the fade
    # measures washed-out colours and reports contrast errors that no one ever sees (CI did).
    panel.evaluate("p => Promise.all(p.getAnimations().map(a => a.finished))")


def ask(page, text: str, timeout: float = 30_000) -> None:
    """Type a question, press Enter and wait until the answer (or an error) has arrived."""
    before = page.locator(".plw-bot").count()
    box = page.get_by_role("textbox", name=strings()["inputLabel"])
    box.fill(text)
    box.press("Enter")
    page.locator(".plw-bot").nth(before).wait_for(timeout=timeout)
