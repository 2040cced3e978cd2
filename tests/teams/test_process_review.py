"""Granska en process in Teams (issue 18 §4): Microsoft 365 Agents Playground against the running
assistant. Asked for in words, each question comes as a card with its answers as buttons; the
last click gives the ranked risks and a link to the printable list that opens at the gateway's
address (Teams opens only absolute links)."""

from __future__ import annotations

import pytest

from knowledge.flows import load_flows
from tests.teams.conftest import TIMEOUT_MS, ChatApi, bot_messages, snippet, wait_for_new

pytestmark = pytest.mark.e2e

ASK = "Jag vill granska en process"


def test_a_process_review_in_teams(converse, teams_gateway):
    flow = load_flows().flows["process_review"]
    q = flow.questions
    # The words start the flow in the chat API too (else this test would wait for nothing).
    assert q["review_process"].text in [m["text"] for m in ChatApi(teams_gateway.url).turn(text=ASK)["messages"]]
    chosen = {"review_process": "tillsyn", **dict.fromkeys(list(q)[1:], "nej"), "review_contact_threats": "ja"}
    expected = [snippet(q[slot].text) for slot in list(q)[1:]] + [snippet(flow.extra["ranking"]["heading"])]

    def steps(page) -> None:
        page.get_by_role("textbox").wait_for(timeout=TIMEOUT_MS)
        seen = bot_messages(page, snippet(q["review_process"].text)).count()
        page.get_by_role("textbox").click()
        page.keyboard.type(ASK)
        page.keyboard.press("Enter")
        wait_for_new(page, snippet(q["review_process"].text), seen)
        for (slot, value), following in zip(chosen.items(), expected, strict=True):
            seen = bot_messages(page, following).count()
            page.get_by_role("button", name=q[slot].options[value].title, exact=True).last.click()
            wait_for_new(page, following, seen)
        bot_messages(page, q["review_contact_threats"].risk).last.wait_for(timeout=TIMEOUT_MS)
        link = page.locator("a[href*='/kunskap/granska?']").last
        assert (link.get_attribute("href") or "").startswith(f"{teams_gateway.url}/kunskap/granska?")

    converse(steps)
