"""Answers as Teams activities: plain text, or an Adaptive Card when there is something to click.

The chat API's message ({"text", "buttons", "links"}) becomes one activity. Text alone stays a
plain message – so the 112 line, which always comes first, is never hidden in a card. Buttons
become Action.Submit, each in its own row (Teams cuts titles in a row of several); the click
comes back as a message whose value holds the payload. Links become markdown links in the
card's text, which wrap, where an Action.OpenUrl would cut a source's long title.

Structured parts (issue 20): the emergency line is always a plain text activity, before any
card; steps are a card with a numbered list, contacts a bulleted list whose phones and e-mail
addresses are tel:/mailto: links, sources a list of titled links (gateway.structured) – never a
raw URL as link text.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any
from urllib.parse import urljoin

from microsoft_agents.activity import Activity, ActivityTypes, Attachment, TextFormatTypes

from gateway import structured
from gateway.teams.activities import PAYLOAD_KEY, RECORD_FIELD_PREFIX, RECORD_KEY, RECORD_MAKE
from knowledge import contract, render
from knowledge.incident_record import IncidentRecord

ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
# The gateway's own address as Teams reached it (gateway.teams.routes sets it for each activity):
# a page link of ours ("/kunskap/hotniva?…", the printable summaries) is relative, and Teams
# opens only absolute links. None: links stay as they are.
PAGE_BASE: ContextVar[str | None] = ContextVar("teams_page_base", default=None)
# The newest Adaptive Card version every Teams client (desktop, web, mobile) renders.
CARD_VERSION = "1.5"


def markdown(text: str) -> str:
    """Teams' markdown joins single line breaks: keep each line of ours on its own."""
    return "\n\n".join(line for line in text.split("\n") if line.strip())


def text_activity(text: str) -> Activity:
    return Activity(type=ActivityTypes.message, text=markdown(text), text_format=TextFormatTypes.markdown)


def _row(action: dict[str, Any]) -> dict[str, Any]:
    return {"type": "ActionSet", "actions": [action]}


def _anchor(text: str, href: str | None) -> str:
    if not href:
        return text
    return f"[{text.replace('[', '(').replace(']', ')')}]({href.replace(')', '%29').replace(' ', '%20')})"


def _absolute(url: str) -> str:
    base = PAGE_BASE.get()
    return urljoin(base, url) if base and url.startswith("/") else url


def _link(link: dict) -> str:
    return "- " + _anchor(link["title"] or structured.pieces(link["url"], {})[0][0], _absolute(link["url"]))


def _listed(message: dict) -> list[dict[str, Any]]:
    """A steps, contacts or sources part: its title, then its items as a markdown list."""
    titles = structured.link_titles(message)
    numbered = message["kind"] == contract.KIND_STEPS
    lines = [
        (f"{n}. " if numbered else "- ")
        + "".join(_anchor(text, href) for text, href in structured.item_pieces(item, titles))
        for n, item in enumerate(message["items"], 1)
    ]
    heading = (
        [{"type": "TextBlock", "text": message["title"], "weight": "Bolder", "wrap": True}]
        if message.get("title")
        else []
    )
    return [*heading, {"type": "TextBlock", "text": "\n".join(lines), "wrap": True}]


def record_form(record: IncidentRecord) -> dict[str, Any]:
    """The incident record as an Adaptive Card form (issue 18). Its submit comes back to the
    gateway, which writes the text back to the person and keeps nothing (gateway.teams.bot)."""
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": record.texts["emergency"], "wrap": True, "weight": "Bolder"},
        {"type": "TextBlock", "text": record.texts["intro"], "wrap": True},
    ]
    for field in record.fields:
        input_id = f"{RECORD_FIELD_PREFIX}{field.id}"
        if field.kind == "choice":
            body.append(
                {
                    "type": "Input.ChoiceSet",
                    "id": input_id,
                    "label": field.label,
                    "style": "compact",
                    "choices": [{"title": o, "value": o} for o in field.options],
                }
            )
        else:
            body.append(
                {
                    "type": "Input.Text",
                    "id": input_id,
                    "label": field.label,
                    "placeholder": field.hint,
                    "isMultiline": field.kind == "long",
                    "maxLength": MAX_FIELD_CHARS,
                }
            )
    return {
        "type": "AdaptiveCard",
        "version": CARD_VERSION,
        "body": body,
        "actions": [
            {"type": "Action.Submit", "title": record.texts["buttons"]["build"], "data": {RECORD_KEY: RECORD_MAKE}}
        ],
    }


MAX_FIELD_CHARS = 2000


def adaptive_card(message: dict) -> dict[str, Any]:
    listed = structured.is_listed(message)
    body: list[dict[str, Any]] = (
        _listed(message) if listed else [{"type": "TextBlock", "text": message["text"], "wrap": True}]
    )
    record = render.incident_record()
    # A relative page link is no use in Teams: the record opens as a form in the card itself.
    links = [link for link in (structured.extra_links(message) if listed else message["links"]) if link != record.link]
    if links:
        body.append({"type": "TextBlock", "text": "\n".join(_link(link) for link in links), "wrap": True})
    if record.link in message["links"]:
        body.append(_row({"type": "Action.ShowCard", "title": record.texts["title"], "card": record_form(record)}))
    body += [
        _row({"type": "Action.Submit", "title": button["title"], "data": {PAYLOAD_KEY: button["payload"]}})
        for button in message["buttons"]
    ]
    return {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": CARD_VERSION,
        "body": body,
    }


def card_activity(message: dict) -> Activity:
    return Activity(
        type=ActivityTypes.message,
        attachments=[Attachment(content_type=ADAPTIVE_CARD, content=adaptive_card(message))],
        # Shown in notifications and by screen readers' message list instead of "Kort".
        summary=(message.get("title") or message["text"].split("\n", 1)[0])[:200],
    )


def _is_card(message: dict) -> bool:
    if message.get("kind") == contract.KIND_EMERGENCY:
        return False  # the 112 line is never hidden in a card
    return bool(message["buttons"] or message["links"] or structured.is_listed(message))


def reply_activities(messages: list[dict]) -> list[Activity]:
    """One activity per message, in order; the answer's first message (112 when in danger) first,
    as plain text."""
    return [card_activity(m) if _is_card(m) else text_activity(m["text"]) for m in messages]
