"""The private incident record in real Chromium against the real stack (issue 18 §1).

Filled in, built, copied and downloaded with the keyboard only; then no field value may be
in any request the browser made, nor in any file the stack wrote (logs, conversation store,
statistics). The clipboard and the downloaded file must hold the values, so the test fails
when the record stops working rather than passing on an empty record.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.widget.browser import DESKTOP, open_widget

pytestmark = pytest.mark.e2e

# Unique words per field: were any of them sent or stored, a search of the bytes finds it.
TYPED = {
    "record-what": "Jag vet var du bor Xq7Ordagrant",
    "record-when": "3 december kl 14.10 Xq7Tid",
    "record-where": "Receptionen Xq7Plats",
    "record-who": "Zlatan Jovanovic 070-123 45 67 Xq7Vem",
    "record-witnesses": "Karin Exempel Xq7Vittne",
    "record-evidence": "Skärmbild av sms Xq7Bevis",
    "record-told": "Min chef Xq7Berattat",
    "record-other": "Sover dåligt Xq7Ovrigt",
}
CHOSEN = {"record-channel": "Telefon", "record-police": "Inte än", "record-internal": "Ja"}
MARKERS = [v.split()[-1] for v in TYPED.values()] + ["Zlatan", "070-123"]


def serious_violations(page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def active_id(page) -> str:
    return page.evaluate("() => document.activeElement && document.activeElement.id || ''")


def active_text(page) -> str:
    return page.evaluate("() => (document.activeElement && document.activeElement.textContent || '').trim()")


def tab_to(page, wanted, by=active_id, limit: int = 80) -> None:
    for _ in range(limit):
        if by(page) == wanted:
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{wanted} is not reachable with Tab")


def files_under(*roots: Path) -> list[Path]:
    return [p for root in roots for p in root.rglob("*") if p.is_file()]


def test_the_record_is_made_with_the_keyboard_and_nothing_leaves_the_browser(browser, stack, kb):
    from knowledge.incident_record import load_incident_record

    buttons = load_incident_record().texts["buttons"]
    context = browser.new_context(viewport=DESKTOP, locale="sv-SE", accept_downloads=True)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=stack.url)
    requests: list[str] = []
    context.on(
        "request",
        lambda r: requests.append(
            " ".join([r.method, r.url, r.post_data or "", *(f"{k}={v}" for k, v in r.headers.items())])
        ),
    )
    try:
        page = context.new_page()
        page.goto(f"{stack.url}/kunskap/dokumentera")
        expect(page.locator("#skriv-ner")).to_be_visible()
        tab_to(page, "record-what")
        for field in [
            "record-what",
            "record-when",
            "record-where",
            "record-channel",
            "record-who",
            "record-witnesses",
            "record-evidence",
            "record-told",
            "record-police",
            "record-internal",
            "record-other",
        ]:
            tab_to(page, field, limit=3)
            page.keyboard.type(TYPED.get(field) or CHOSEN[field])
        for field, value in CHOSEN.items():
            assert page.locator(f"#{field}").input_value() == value
        tab_to(page, buttons["build"], by=active_text, limit=3)
        page.keyboard.press("Enter")
        result = page.locator("#record-result")
        for value in TYPED.values():
            assert value in result.input_value()

        tab_to(page, buttons["copy"], by=active_text, limit=3)
        page.keyboard.press("Enter")
        expect(page.locator(".record-status")).not_to_be_empty()
        copied = page.evaluate("() => navigator.clipboard.readText()")
        assert TYPED["record-what"] in copied

        tab_to(page, buttons["download"], by=active_text, limit=3)
        with page.expect_download() as info:
            page.keyboard.press("Enter")
        downloaded = Path(info.value.path()).read_text(encoding="utf-8")
        assert downloaded == result.input_value()
        assert all(value in downloaded for value in CHOSEN.values())

        assert serious_violations(page) == []
        open_widget(page)
        assert serious_violations(page) == []
    finally:
        context.close()

    leaked = [r for r in requests if any(m in r for m in MARKERS)]
    assert leaked == []
    written = [
        (p.name, m) for p in files_under(stack.log_dir, stack.data_dir) for m in MARKERS if m.encode() in p.read_bytes()
    ]
    assert written == []
