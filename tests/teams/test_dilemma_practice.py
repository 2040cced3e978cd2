"""Dilemma practice in Teams (issue 18 §3): Microsoft 365 Agents Playground against the running
assistant. Asking for a dilemma gives the case as a card with its choices; clicking a choice
gives why, the rule and the questions – the same text the chat API gives in its own session."""

from __future__ import annotations

import pytest

from knowledge.dilemmas import load_dilemmas
from tests.teams.conftest import TIMEOUT_MS, ChatApi, bot_messages, snippet, wait_for_new

pytestmark = pytest.mark.e2e

ASK = "Jag vill öva på ett dilemma"


def test_a_dilemma_and_a_choice_in_teams(converse, teams_gateway):
    case = load_dilemmas().cases[0]
    reference = ChatApi(teams_gateway.url)
    shown = reference.turn(text=ASK)
    assert shown["topic"] == case.topic
    choice = next(b for m in shown["messages"] for b in m["buttons"])
    answered = reference.turn(payload=choice["payload"])
    case_text, why = snippet(shown["messages"][0]["text"]), snippet(answered["messages"][0]["text"])

    def steps(page) -> None:
        page.get_by_role("textbox").wait_for(timeout=TIMEOUT_MS)
        seen = bot_messages(page, case_text).count()
        page.get_by_role("textbox").click()
        page.keyboard.type(ASK)
        page.keyboard.press("Enter")
        wait_for_new(page, case_text, seen)
        seen = bot_messages(page, why).count()
        page.get_by_role("button", name=choice["title"], exact=True).last.click()
        wait_for_new(page, why, seen)

    converse(steps)
