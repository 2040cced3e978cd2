"""Compose the chat API's answer from the engine's reply, or from the knowledge base alone.

The 112 line never depends on the engine: the gateway runs the same emergency safety net on
every text and puts the line first itself when the engine did not.
"""

from __future__ import annotations

import re

from knowledge import contract, render
from knowledge import suggestions as never_dead_end
from knowledge.loader import AUDIENCES, KnowledgeBase
from knowledge.search import KnowledgeSearch

EMERGENCY_TOPIC = "akut_fara"
_TOPIC_PAYLOAD = re.compile(r"^/([a-z_]+)$")


def payload_topic(kb: KnowledgeBase, payload: str | None) -> str | None:
    match = _TOPIC_PAYLOAD.match(payload or "")
    return match.group(1) if match and match.group(1) in kb.topics else None


def ensure_emergency_first(kb: KnowledgeBase, messages: list[dict]) -> list[dict]:
    line = kb.phrases["emergency_line"]
    if messages and messages[0]["text"] == line:
        return messages
    return [render.emergency_message(kb), *messages]


SEARCH_SUGGESTIONS = 3


def fallback_answer(
    kb: KnowledgeBase, text: str | None, payload: str | None, flagged: bool, search: KnowledgeSearch | None = None
) -> dict:
    """The engine is down, slow or silent: answer from the knowledge base (and its search).
    `flagged`: the gateway's emergency lexicon found danger in the text."""
    topic = payload_topic(kb, payload)
    emergency = flagged
    if emergency:
        topic = EMERGENCY_TOPIC
    if topic:
        messages = render.article_messages(kb, topic, emergency=emergency)
        suggestions: list[str] = []
    else:
        found = []
        if search and text:
            ranking = [h.topic for h in search.search(text, SEARCH_SUGGESTIONS)]
            found = never_dead_end.degraded_suggestions(ranking, search.scope_score(text), kb.topics)
        messages = render.degraded_messages(kb, found)
        suggestions = found or list(kb.phrases["quick_help_topics"])
    return {"messages": messages, "topic": topic, "emergency": emergency, "suggestions": suggestions}


def engine_answer(kb: KnowledgeBase, raw: object, flagged: bool) -> dict | None:
    """The engine's answer (bot/channel.py's JSON), or None when it said nothing usable (e.g.
    action server down). `flagged`: the gateway's emergency lexicon found danger in the text.
    The engine has already fused the classifier's ranking with the knowledge search (an unsure
    question's fused answer or buttons, "Menade du …?" beside an answer in doubt:
    actions/fallback.py, docs/adr/0008-fused-answer-in-the-engine.md)."""
    try:
        messages, meta = contract.decode_answer(raw)
    except ValueError:
        return None
    if not messages:
        return None
    topic = meta.get("topic") if meta.get("topic") in kb.topics else None
    suggestions = [s for s in meta.get("suggestions") or [] if s in kb.topics]
    emergency = bool(meta.get("emergency")) or flagged
    if emergency:
        messages = ensure_emergency_first(kb, messages)
    return {
        "messages": messages,
        "topic": topic,
        "emergency": emergency,
        "suggestions": suggestions,
        "feedback": engine_feedback(kb, meta),
        "audience": engine_audience(meta),
        "review": engine_review(kb, meta),
    }


def _words(text: str) -> str:
    return " ".join(text.split())


def late_part(answer: dict | None, shown: dict) -> dict | None:
    """What the engine's answer adds to the answer already shown: its messages minus those
    with the same text (the 112 line and the emergency article, when both gave them). Texts
    are compared without regard to white space, which says nothing about the content."""
    if not answer:
        return None
    seen = {_words(m["text"]) for m in shown["messages"]}
    messages = [m for m in answer["messages"] if _words(m["text"]) not in seen]
    if not messages:
        return None
    return {
        "messages": messages,
        "topic": answer.get("topic"),
        "emergency": answer.get("emergency", False),
        "suggestions": answer.get("suggestions") or [],
    }


def engine_feedback(kb: KnowledgeBase, meta: dict) -> dict | None:
    """{"topic", "helpful"} when this turn answered "Hjälpte svaret?"; for the statistics."""
    feedback = meta.get("feedback")
    if not isinstance(feedback, dict) or not isinstance(feedback.get("helpful"), bool):
        return None
    topic = feedback.get("topic")
    return {"topic": topic if topic in kb.topics else None, "helpful": feedback["helpful"]}


def engine_review(kb: KnowledgeBase, meta: dict) -> dict:
    """For the review of unanswered questions (gateway/statistics): why the engine did not
    answer ("out_of_scope", "unsure" or None) and its three likeliest topics."""
    ranking = [t for t in meta.get("ranking") or [] if isinstance(t, str) and t in kb.topics]
    reason = meta.get("unanswered")
    return {"reason": reason if reason in ("out_of_scope", "unsure") else None, "ranking": ranking[:3]}


def engine_audience(meta: dict) -> str | None:
    """The person's role when the engine knows it (medarbetare, chef, verksamhetsutvecklare)."""
    audience = meta.get("audience")
    return audience if audience in AUDIENCES else None
