"""The shapes the engine and the gateway exchange, defined once for both environments.

Pure Python (standard library only): the action server (Python 3.10, Rasa's pins) and the
gateway (3.11+, pydantic 2) import this same module, so a message means the same on both sides.

A message is a plain dict {"text", "buttons", "links", "kind", "title", "items"}: buttons are
{"title", "payload"}, links {"title", "url"}, items {"text", "href"}. `text`, `buttons` and
`links` are what every client has always read; `kind`, `title` and `items` (issue 20) say what
the part is, so that a client can show the steps as a list and put contacts and sources behind
one control each, and `text` still carries everything for a client that reads nothing else.

The way there (issue 19): an action sends each message as one bot utterance, its text and
buttons as Rasa knows them and the rest under META_KEY in the utterance's custom payload
(encode_message), then the turn's metadata (topic, emergency, suggestions …) as one custom
payload of its own (encode_turn). Rasa stores both in the tracker and hands them to the custom
channel (bot/channel.py), which keeps every utterance whole and answers the gateway with
answer(): {"messages": [...], "meta": {...}}. The gateway reads that with decode_answer().
"""

from __future__ import annotations

import re
from typing import Any

# What a part of an answer is. A client shows emergency, lead, steps and question at once;
# contacts, sources and feedback sit behind one control each.
KIND_EMERGENCY = "emergency"
KIND_LEAD = "lead"
KIND_STEPS = "steps"
KIND_CONTACTS = "contacts"
KIND_SOURCES = "sources"
KIND_QUESTION = "question"
KIND_FEEDBACK = "feedback"
KIND_TEXT = "text"
KINDS = (KIND_EMERGENCY, KIND_LEAD, KIND_STEPS, KIND_CONTACTS, KIND_SOURCES, KIND_QUESTION, KIND_FEEDBACK, KIND_TEXT)

Message = dict[str, Any]

# The key of our part of a bot utterance's custom payload, in the tracker and on the wire.
META_KEY = "lotsen"
# The custom Rasa channel (bot/channel.py): its name in bot/credentials.yml gives its URL.
CHANNEL_NAME = "lotsen"
WEBHOOK_PATH = f"/webhooks/{CHANNEL_NAME}/webhook"
# A message's fields besides Rasa's own text and buttons.
PART_FIELDS = ("kind", "title", "items", "links")

_NOT_DIALLED = re.compile(r"[^0-9+]")


def item(text: str, href: str | None = None) -> dict[str, Any]:
    return {"text": text, "href": href}


def tel_href(phone: str) -> str:
    """ "114 14" → "tel:11414", "010-730 90 00" → "tel:0107309000": what a phone dials."""
    return "tel:" + _NOT_DIALLED.sub("", phone)


def message(
    text: str,
    buttons: list[dict] | None = None,
    links: list[dict] | None = None,
    *,
    kind: str = KIND_TEXT,
    title: str | None = None,
    items: list[dict] | None = None,
) -> Message:
    if kind not in KINDS:
        raise ValueError(f"unknown message kind {kind!r}")
    return {
        "text": text,
        "buttons": buttons or [],
        "links": links or [],
        "kind": kind,
        "title": title,
        "items": items or [],
    }


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _buttons(raw: Any) -> list[dict]:
    return (
        [
            {"title": str(b.get("title", "")), "payload": str(b["payload"])}
            for b in raw or []
            if isinstance(b, dict) and b.get("payload")
        ]
        if isinstance(raw, list)
        else []
    )


def _links(raw: Any) -> list[dict]:
    return (
        [
            {"title": str(link.get("title", "")), "url": str(link["url"])}
            for link in raw or []
            if isinstance(link, dict) and link.get("url")
        ]
        if isinstance(raw, list)
        else []
    )


def _items(raw: Any) -> list[dict]:
    return (
        [
            item(i["text"], str(i["href"]) if i.get("href") else None)
            for i in raw or []
            if isinstance(i, dict) and isinstance(i.get("text"), str)
        ]
        if isinstance(raw, list)
        else []
    )


def checked_message(raw: Any) -> Message | None:
    """A message from outside this process in the contract's shape, or None when it has no
    text. Malformed buttons, links and items are dropped; an unknown kind is plain text."""
    if not isinstance(raw, dict) or not isinstance(raw.get("text"), str) or not raw["text"]:
        return None
    kind = raw["kind"] if isinstance(raw.get("kind"), str) and raw["kind"] in KINDS else KIND_TEXT
    return message(
        raw["text"],
        _buttons(raw.get("buttons")),
        _links(raw.get("links")),
        kind=kind,
        title=_text(raw.get("title")),
        items=_items(raw.get("items")),
    )


def encode_message(msg: Message) -> dict[str, Any]:
    """The keyword arguments of rasa_sdk's dispatcher.utter_message for one message."""
    return {
        "text": msg["text"],
        "buttons": msg["buttons"] or None,
        "json_message": {META_KEY: {"part": {f: msg.get(f) for f in PART_FIELDS}}},
    }


def encode_turn(meta: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments of dispatcher.utter_message for the turn's metadata."""
    return {"json_message": {META_KEY: {"turn": meta}}}


def _ours(bot_message: dict[str, Any]) -> dict[str, Any]:
    custom = bot_message.get("custom")
    ours = custom.get(META_KEY) if isinstance(custom, dict) else None
    return ours if isinstance(ours, dict) else {}


def turn_meta(bot_message: dict[str, Any]) -> dict[str, Any] | None:
    """The turn's metadata, when this bot message (or a tracker's bot event data) carries it."""
    turn = _ours(bot_message).get("turn")
    return turn if isinstance(turn, dict) else None


def answer(bot_messages: list[dict[str, Any]]) -> dict[str, Any]:
    """One turn's bot messages as Rasa hands them to a channel ({"text", "buttons", "custom"}),
    in order, → the engine's answer {"messages": [...], "meta": {...}}. A turn whose actions
    each sent metadata keeps the last (the answer's extras follow the answer)."""
    messages: list[Message] = []
    meta: dict[str, Any] = {}
    for bot_message in bot_messages:
        turn = turn_meta(bot_message)
        if turn is not None:
            meta = turn
        part = _ours(bot_message).get("part")
        checked = checked_message(
            {
                **(part if isinstance(part, dict) else {}),
                "text": bot_message.get("text"),
                "buttons": bot_message.get("buttons"),
            }
        )
        if checked:
            messages.append(checked)
    return {"messages": messages, "meta": meta}


def decode_answer(data: Any) -> tuple[list[Message], dict[str, Any]]:
    """The engine's answer as the gateway receives it (JSON) → (messages, meta).
    Raises ValueError when it is not the contract's shape at all."""
    if not isinstance(data, dict) or not isinstance(data.get("messages"), list):
        raise ValueError("not an engine answer")
    meta = data.get("meta")
    messages = [m for m in (checked_message(raw) for raw in data["messages"]) if m]
    return messages, meta if isinstance(meta, dict) else {}
