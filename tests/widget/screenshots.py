"""`make screenshots`: PNGs of the open widget answering the gift question, desktop and 320 px,
and PDFs of the printable pages (issue 18: the incident record form, the APT-underlag) as
Chromium prints them.

Starts its own stack on free ports (the trained model), so it runs beside `make run`.
    python -m tests.widget.screenshots [--model models/lotsen.tar.gz] [--out docs/screenshots]
"""
from __future__ import annotations

import argparse
import socket
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from tests.widget.browser import DESKTOP, GIFT_QUESTION, NARROW, ask, launch, open_widget
from tools.stack import ROOT, Stack

SHOTS = {"widget-desktop": DESKTOP, "widget-320px": NARROW}
PRINTS = {"kunskap-dokumentera": "/kunskap/dokumentera", "kunskap-ova": "/kunskap/ova"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def capture(base_url: str, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    saved = []
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            for name, viewport in SHOTS.items():
                # Reduced motion: the picture must not catch the panel half-way through fading in.
                page = browser.new_page(viewport=viewport, reduced_motion="reduce", locale="sv-SE")
                page.goto(f"{base_url}/")
                open_widget(page)
                ask(page, GIFT_QUESTION)
                path = out / f"{name}.png"
                page.screenshot(path=str(path))
                saved.append(path)
                page.close()
            for name, path_on_site in PRINTS.items():
                page = browser.new_page(locale="sv-SE")
                page.goto(f"{base_url}{path_on_site}")
                path = out / f"{name}.pdf"
                page.pdf(path=str(path), format="A4", print_background=False,
                         margin={"top": "15mm", "bottom": "15mm", "left": "15mm", "right": "15mm"})
                saved.append(path)
                page.close()
        finally:
            browser.close()
    return saved


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Skärmbilder av widgeten")
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "lotsen.tar.gz")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="lotsen-shots-") as tmp:
        stack = Stack(port=free_port(), rasa_port=free_port(), actions_port=free_port(), model=args.model,
                      app_python=sys.executable, log_dir=Path(tmp) / "logs", data_dir=Path(tmp) / "data")
        stack.start()
        try:
            stack.wait_ready(timeout=240)
            for path in capture(stack.url, args.out):
                print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
        finally:
            stack.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
