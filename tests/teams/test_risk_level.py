"""Hur allvarligt är hotet? in Teams (issue 18 §2): Microsoft 365 Agents Playground against the
running assistant. Asked for in words, each question comes as a card with its answers as buttons;
the last click gives the level, its actions with "ersätter aldrig …", and a link to the printable
summary that opens at the gateway's address (Teams opens only absolute links)."""

from __future__ import annotations

import pytest

from knowledge.flows import load_flows
from tests.teams.conftest import TIMEOUT_MS, ChatApi, bot_messages, snippet, wait_for_new

pytestmark = pytest.mark.e2e

ASK = "hjälp mig bedöma risken som chef"
ORDER = ("risk_acute", "risk_concrete", "risk_repeated", "risk_private", "risk_capacity")
# A concrete threat, the first time, nothing known of private life or capacity: "hög".
CHOSEN = {
    "risk_acute": "nej",
    "risk_concrete": "konkret",
    "risk_repeated": "forsta",
    "risk_private": "nej",
    "risk_capacity": "nej",
}


def test_the_risk_level_in_teams(converse, teams_gateway):
    flow = load_flows().flows["risk_level"]
    q = flow.questions
    # The words start the flow in the chat API too (else this test would wait for nothing).
    first = ChatApi(teams_gateway.url).turn(text=ASK)
    assert q["risk_acute"].text in [m["text"] for m in first["messages"]], first
    verdict = flow.extra["verdicts"]["hog"]
    expected = [snippet(q[slot].text) for slot in ORDER[1:]] + [snippet(verdict["title"])]

    def steps(page) -> None:
        page.get_by_role("textbox").wait_for(timeout=TIMEOUT_MS)
        seen = bot_messages(page, snippet(q["risk_acute"].text)).count()
        page.get_by_role("textbox").click()
        page.keyboard.type(ASK)
        page.keyboard.press("Enter")
        wait_for_new(page, snippet(q["risk_acute"].text), seen)
        for slot, following in zip(ORDER, expected, strict=True):
            seen = bot_messages(page, following).count()
            page.get_by_role("button", name=q[slot].options[CHOSEN[slot]].title, exact=True).last.click()
            wait_for_new(page, following, seen)
        bot_messages(page, snippet(verdict["next_step"])).last.wait_for(timeout=TIMEOUT_MS)
        link = page.locator("a[href*='/kunskap/hotniva?']").last
        assert (link.get_attribute("href") or "").startswith(f"{teams_gateway.url}/kunskap/hotniva?")

    converse(steps)
