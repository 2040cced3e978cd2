"""Teams end to end: Microsoft 365 Agents Playground (channel msteams) against the running assistant.

A person in a personal chat gets the welcome card, asks the gift question, gets the answer,
clicks a button of the answer's card and gets the next answer. The expected answers are the
ones the chat API gives for the same turns in a session of its own: the dialogue is rules
only, so the two conversations must show the same text.
"""

from __future__ import annotations

import uuid

import httpx
import pytest

from gateway.teams.config import TeamsStrings

pytestmark = pytest.mark.e2e

GIFT_QUESTION = "Vad gör jag om jag blir erbjuden en gåva?"
TIMEOUT_MS = 30_000


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


@pytest.fixture
def page(chromium, playground, tmp_path):
    page = chromium.new_page(playground.url)
    yield page

    def close():
        page.close()

    chromium.run(close)


def test_gift_question_then_card_button_in_teams(chromium, playground, page, teams_gateway, tmp_path):
    reference = ChatApi(teams_gateway.url)
    gift = reference.turn(text=GIFT_QUESTION)
    assert gift["topic"] == "gavor" and gift["engine"] == "rasa"
    button = next(b for m in gift["messages"] for b in m["buttons"])
    following = reference.turn(payload=button["payload"])
    welcome = snippet(TeamsStrings.load().welcome)
    answer, next_answer = snippet(gift["messages"][0]["text"]), snippet(following["messages"][0]["text"])

    def converse(page) -> None:
        try:
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
        except Exception:
            page.screenshot(path=str(tmp_path / "playground.png"), full_page=True)
            print(f"Skärmbild: {tmp_path / 'playground.png'}\n--- Playground\n{playground.output()[-3000:]}")
            raise

    chromium.run(converse, page)
