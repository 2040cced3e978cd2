"""`make screenshots`: PNGs of the open widget answering the gift question (desktop, 320 px, phone)
and a message about danger right now (phone, 375 × 667: the emergency card); PDFs of the first
page of an article as printed and of the printable pages (issue 18: the incident record form,
the APT-underlag, the risk level's summary) as Chromium prints them.

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

from tests.widget.browser import DESKTOP, GIFT_QUESTION, NARROW, PHONE, ask, launch, open_widget
from tools.stack import ROOT, Stack

DANGER_QUESTION = "en man står i receptionen och skriker att han ska döda mig"
SHOTS = {
    "widget-desktop": (DESKTOP, GIFT_QUESTION),
    "widget-320px": (NARROW, GIFT_QUESTION),
    "widget-phone-gift": (PHONE, GIFT_QUESTION),
    "widget-phone-emergency": (PHONE, DANGER_QUESTION),
}
PRINTED_ARTICLE = "hot"
PRINTS = {
    "kunskap-dokumentera": "/kunskap/dokumentera",
    "kunskap-ova": "/kunskap/ova",
    # The risk level's summary as the chat links it after a "hög" assessment.
    "kunskap-hotniva": "/kunskap/hotniva?risk_acute=nej&risk_concrete=konkret&risk_repeated=upprepat"
    "&risk_private=nej&risk_capacity=nej",
    # The process review as the chat links it: the page opens with the answers ticked and the
    # ranked list shown (web_widget/process_review.js).
    "kunskap-granska": "/kunskap/granska?review_process=utbetalning&review_single_decider=ja"
    "&review_steer_cases=delvis&review_no_rotation=ja&review_wide_access=nej&review_no_logging=delvis"
    "&review_contact_threats=nej&review_no_routines=nej&review_single_knowledge=ja",
}


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
            for name, (viewport, question) in SHOTS.items():
                # Reduced motion: the picture must not catch the panel half-way through fading in.
                page = browser.new_page(viewport=viewport, reduced_motion="reduce", locale="sv-SE")
                page.goto(f"{base_url}/")
                open_widget(page)
                ask(page, question)
                path = out / f"{name}.png"
                page.screenshot(path=str(path))
                saved.append(path)
                page.close()
            saved.append(print_article(browser, base_url, out))
            for name, path_on_site in PRINTS.items():
                page = browser.new_page(locale="sv-SE")
                page.goto(f"{base_url}{path_on_site}")
                path = out / f"{name}.pdf"
                page.pdf(
                    path=str(path),
                    format="A4",
                    print_background=False,
                    margin={"top": "15mm", "bottom": "15mm", "left": "15mm", "right": "15mm"},
                )
                saved.append(path)
                page.close()
        finally:
            browser.close()
    return saved


def print_article(browser, base_url: str, out: Path) -> Path:
    """The article's first A4 page as Chromium prints it: numbered steps, each address once."""
    page = browser.new_page(locale="sv-SE")
    page.goto(f"{base_url}/kunskap/{PRINTED_ARTICLE}")
    path = out / f"artikel-{PRINTED_ARTICLE}-utskrift.pdf"
    page.pdf(
        path=str(path),
        format="A4",
        page_ranges="1",
        margin={"top": "15mm", "bottom": "15mm", "left": "15mm", "right": "15mm"},
    )
    page.close()
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Skärmbilder av widgeten")
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "lotsen.tar.gz")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="lotsen-shots-") as tmp:
        stack = Stack(
            port=free_port(),
            rasa_port=free_port(),
            actions_port=free_port(),
            model=args.model,
            app_python=sys.executable,
            log_dir=Path(tmp) / "logs",
            data_dir=Path(tmp) / "data",
        )
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
