"""The incident record in Teams (issue 18 §1): Microsoft 365 Agents Playground against the
running assistant. The threat answer's card holds "Skriv ner händelsen" as a form; what the
person writes comes back as the record's text, and no log of the stack holds it."""

from __future__ import annotations

import secrets

import pytest

from knowledge import render
from tests.teams.conftest import TIMEOUT_MS, bot_messages, snippet, wait_for_new

pytestmark = pytest.mark.e2e

ASK = "jag har blivit hotad av en klient"


def test_the_record_is_written_back_in_teams_and_logged_nowhere(converse, teams_gateway):
    record = render.incident_record()
    what = record.fields[0]
    marker = "Xq" + secrets.token_hex(6)  # unlike anything else in the logs
    written = f"Jag vet var du bor {marker}"

    def steps(page) -> None:
        page.get_by_role("textbox").first.wait_for(timeout=TIMEOUT_MS)
        page.get_by_role("textbox").first.click()
        page.keyboard.type(ASK)
        page.keyboard.press("Enter")
        page.get_by_role("button", name=record.texts["title"]).last.wait_for(timeout=TIMEOUT_MS)
        page.get_by_role("button", name=record.texts["title"]).last.click()
        field = page.get_by_label(what.label).last
        field.wait_for(timeout=TIMEOUT_MS)
        field.fill(written)
        seen = bot_messages(page, snippet(record.texts["record_heading"])).count()
        page.get_by_role("button", name=record.texts["buttons"]["build"]).last.click()
        wait_for_new(page, snippet(record.texts["record_heading"]), seen)
        assert bot_messages(page, marker).count() >= 1

    converse(steps)
    # The gateway, Rasa and the action server wrote their logs while this ran: none holds it.
    logs = sorted(teams_gateway.log_dir.glob("*.log")) if teams_gateway.log_dir else []
    assert logs, "the stack writes no logs to look in"
    for log in logs:
        assert marker not in log.read_text(encoding="utf-8", errors="replace"), log.name
