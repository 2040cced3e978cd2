"""Send rendered messages through the dispatcher, plus the gateway's metadata payload."""
from __future__ import annotations

import re
from typing import Any

from rasa_sdk.executor import CollectingDispatcher

META_KEY = "lotsen"
_BLANK_LINES = re.compile(r"\n\s*\n")


def one_message(text: str) -> str:
    """Rasa's REST channel splits a text at every blank line into several messages, which
    would shift the link indexes below; one text stays one message."""
    return _BLANK_LINES.sub("\n", text.strip())


def send(
    dispatcher: CollectingDispatcher,
    messages: list[dict[str, Any]],
    *,
    topic: str | None = None,
    emergency: bool = False,
    suggestions: list[str] | None = None,
    audience: str | None = None,
    feedback: dict[str, Any] | None = None,
    ranking: list[str] | None = None,
    unanswered: str | None = None,
    nlu: dict[str, Any] | None = None,
) -> None:
    """Text and buttons for every channel; links and topic metadata as one custom payload.

    The REST channel drops unknown keys on text messages, so links travel in the custom
    payload with the index of the message they belong to. `audience` (the asker's role) and
    `feedback` ({"topic", "helpful"}) are added only when known, for the statistics; so are
    the classifier's `ranking` (topics, likeliest first) and why a question went `unanswered`
    ("out_of_scope" or "unsure"), for the review of what the assistant did not understand; and
    `nlu` ({"intent", "ranking"} with confidences) when the classifier did not answer, so that
    the gateway can fuse its ranking with the knowledge search's (knowledge/suggestions.py).
    """
    links = []
    for index, msg in enumerate(messages):
        dispatcher.utter_message(text=one_message(msg["text"]), buttons=msg["buttons"] or None)
        links.extend({**link, "message": index} for link in msg["links"])
    meta: dict[str, Any] = {
        "topic": topic,
        "emergency": emergency,
        "suggestions": suggestions or [],
        "links": links,
        "count": len(messages),
        # What each message is (issue 20), in the order sent.
        "parts": [{"kind": m.get("kind", "text"), "title": m.get("title"), "items": m.get("items") or []}
                  for m in messages],
    }
    if audience is not None:
        meta["audience"] = audience
    if feedback is not None:
        meta["feedback"] = feedback
    if ranking:
        meta["ranking"] = ranking
    if unanswered is not None:
        meta["unanswered"] = unanswered
    if nlu is not None:
        meta["nlu"] = nlu
    dispatcher.utter_message(json_message={META_KEY: meta})
