"""The shapes the engine and the gateway exchange, defined once for both environments.

Pure Python (standard library only): the action server (Python 3.10, Rasa's pins) and the
gateway (3.11+, pydantic 2) import this same module, so a message means the same on both sides.

A message is a plain dict {"text", "buttons", "links", "kind", "title", "items"}: buttons are
{"title", "payload"}, links {"title", "url"}, items {"text", "href"}. `text`, `buttons` and
`links` are what every client has always read; `kind`, `title` and `items` (issue 20) say what
the part is, so that a client can show the steps as a list and put contacts and sources behind
one control each, and `text` still carries everything for a client that reads nothing else.
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
KINDS = (KIND_EMERGENCY, KIND_LEAD, KIND_STEPS, KIND_CONTACTS, KIND_SOURCES, KIND_QUESTION, KIND_FEEDBACK,
         KIND_TEXT)

Message = dict[str, Any]

_NOT_DIALLED = re.compile(r"[^0-9+]")


def item(text: str, href: str | None = None) -> dict[str, Any]:
    return {"text": text, "href": href}


def tel_href(phone: str) -> str:
    """"114 14" → "tel:11414", "010-730 90 00" → "tel:0107309000": what a phone dials."""
    return "tel:" + _NOT_DIALLED.sub("", phone)


def message(text: str, buttons: list[dict] | None = None, links: list[dict] | None = None, *,
            kind: str = KIND_TEXT, title: str | None = None, items: list[dict] | None = None) -> Message:
    if kind not in KINDS:
        raise ValueError(f"unknown message kind {kind!r}")
    return {"text": text, "buttons": buttons or [], "links": links or [], "kind": kind, "title": title,
            "items": items or []}
