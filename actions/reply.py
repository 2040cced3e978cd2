"""Send rendered messages through the dispatcher, plus the gateway's metadata payload."""

from __future__ import annotations

from typing import Any

from rasa_sdk.executor import CollectingDispatcher

from knowledge import contract


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
) -> None:
    """Each message as one utterance (knowledge/contract.py), then the turn's metadata.

    `audience` (the asker's role) and `feedback` ({"topic", "helpful"}) are added only when
    known, for the statistics; so are the classifier's `ranking` (topics, likeliest first) and
    why a question went `unanswered` ("out_of_scope" or "unsure"), for the review of what the
    assistant did not understand. (The classifier's confidences are not sent: the action server
    fuses them with the knowledge search itself, docs/adr/0008-fused-answer-in-the-engine.md.)
    """
    for msg in messages:
        dispatcher.utter_message(**contract.encode_message(msg))
    meta: dict[str, Any] = {
        "topic": topic,
        "emergency": emergency,
        "suggestions": suggestions or [],
    }
    if audience is not None:
        meta["audience"] = audience
    if feedback is not None:
        meta["feedback"] = feedback
    if ranking:
        meta["ranking"] = ranking
    if unanswered is not None:
        meta["unanswered"] = unanswered
    dispatcher.utter_message(**contract.encode_turn(meta))
