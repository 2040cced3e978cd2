"""Teams end to end: Microsoft 365 Agents Playground (channel msteams) against the running assistant.

A person in a personal chat gets the welcome card, asks the gift question, gets the answer,
clicks a button of the answer's card and gets the next answer. The expected answers are the
ones the chat API gives for the same turns in a session of its own: the dialogue is rules
only, so the two conversations must show the same text.
"""

from __future__ import annotations

import pytest

from gateway.teams.config import TeamsStrings
from tests.teams.conftest import TIMEOUT_MS, ChatApi, bot_messages, snippet, wait_for_new

pytestmark = pytest.mark.e2e

GIFT_QUESTION = "Vad gör jag om jag blir erbjuden en gåva?"


def test_gift_question_then_card_button_in_teams(converse, teams_gateway):
    reference = ChatApi(teams_gateway.url)
    gift = reference.turn(text=GIFT_QUESTION)
    assert gift["topic"] == "gavor" and gift["engine"] == "rasa"
    button = next(b for m in gift["messages"] for b in m["buttons"])
    following = reference.turn(payload=button["payload"])
    welcome = snippet(TeamsStrings.load().welcome)
    answer, next_answer = snippet(gift["messages"][0]["text"]), snippet(following["messages"][0]["text"])

    def steps(page) -> None:
        # Opening the page installs the app in a personal chat: conversationUpdate → welcome card.
        bot_messages(page, welcome).first.wait_for(timeout=TIMEOUT_MS)
        seen = bot_messages(page, answer).count()
        page.get_by_role("textbox").click()
        page.keyboard.type(GIFT_QUESTION)
        page.keyboard.press("Enter")
        wait_for_new(page, answer, seen)
        # The button of the newest card: the welcome card may offer the same topic.
        seen = bot_messages(page, next_answer).count()
        page.get_by_role("button", name=button["title"], exact=True).last.click()
        wait_for_new(page, next_answer, seen)

    converse(steps)
