"""What the conversation so far says: its current topic, the buttons offered, the role.

The topic of the latest answer (the "current topic" follow-ups refer to) and the asker's role
live in slots; the buttons offered are read from the tracker's bot events.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import reply
from knowledge import contract

ROLE_SLOT = "role"
TOPIC_SLOT = "topic"
_PAYLOAD = re.compile(r"^/(?P<intent>[A-Za-z0-9_]+)(?P<entities>\{.*\})?$", re.DOTALL)


def _session(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Events since the session started: an earlier session's topic is no context."""
    for index in range(len(events) - 1, -1, -1):
        if events[index].get("event") in ("session_started", "restart"):
            return events[index + 1 :]
    return events


def _bot_events_newest_first(tracker: Tracker) -> Iterator[dict[str, Any]]:
    for event in reversed(_session(tracker.events)):
        if event.get("event") == "bot":
            yield event


def current_topic(tracker: Tracker, topic_ids: Iterable[str]) -> str | None:
    """The topic of the latest answer in this session, if any (the topic slot)."""
    topic = text_value(tracker.get_slot(TOPIC_SLOT))
    return topic if topic in set(topic_ids) else None


def topic_of(messages: list[dict[str, Any]], topic_ids: Iterable[str]) -> str | None:
    """The topic the messages an action sent were about (the last one, when it sent several)."""
    known = set(topic_ids)
    topics = [meta.get("topic") for meta in map(contract.turn_meta, messages) if meta]
    return next((t for t in reversed(topics) if t in known), None)


def _payloads(event: dict[str, Any]) -> list[str]:
    buttons = (event.get("data") or {}).get("buttons") or []
    return [str(b.get("payload")) for b in buttons if isinstance(b, dict) and b.get("payload")]


def offered_payloads(tracker: Tracker) -> list[str]:
    """Every button payload the bot has offered in this session, oldest first."""
    return [p for e in reversed(list(_bot_events_newest_first(tracker))) for p in _payloads(e)]


def payloads_of_last_turn(tracker: Tracker) -> list[str]:
    """Button payloads the bot offered in its turn just before the latest user message."""
    events = _session(tracker.events)
    users = [i for i, e in enumerate(events) if e.get("event") == "user"]
    if not users:
        return []
    end = users[-1]
    start = users[-2] + 1 if len(users) > 1 else 0
    return [p for e in events[start:end] if e.get("event") == "bot" for p in _payloads(e)]


def parse_payload(payload: str) -> tuple[str | None, dict[str, Any]]:
    """'/intent{"entity": "value"}' → ("intent", {"entity": "value"}); anything else → (None, {})."""
    match = _PAYLOAD.match(payload or "")
    if not match:
        return None, {}
    entities: dict[str, Any] = {}
    if match.group("entities"):
        try:
            parsed = json.loads(match.group("entities"))
        except ValueError:
            return None, {}
        entities = parsed if isinstance(parsed, dict) else {}
    return match.group("intent"), entities


def latest_intent(tracker: Tracker) -> str | None:
    return (tracker.latest_message.get("intent") or {}).get("name")


def latest_text(tracker: Tracker) -> str:
    """What the person typed this turn; empty for a button payload."""
    text = tracker.latest_message.get("text") or ""
    return "" if text.startswith("/") else text


# Entity and slot values are short words from button payloads and flows (a topic id, "ja", a
# role); anything else was forged or injected and is ignored rather than trusted.
MAX_VALUE_LENGTH = 100


def text_value(value: Any) -> str | None:
    """The value if it is a short text, else None (a dict or list value must not reach an action)."""
    return value if isinstance(value, str) and len(value) <= MAX_VALUE_LENGTH else None


def latest_entities(tracker: Tracker) -> dict[str, str]:
    """The latest message's entities whose names and values are short texts."""
    found = {}
    for entity in tracker.latest_message.get("entities") or []:
        if not isinstance(entity, dict):
            continue
        name, value = text_value(entity.get("entity")), text_value(entity.get("value"))
        if name and value is not None:
            found[name] = value
    return found


RANKED_INTENTS = 5


def ranked_intents(tracker: Tracker, count: int = RANKED_INTENTS) -> list[str]:
    """The classifier's likeliest intents for the latest message, likeliest first."""
    ranking = tracker.latest_message.get("intent_ranking") or []
    ranked = sorted(ranking, key=lambda r: -(r.get("confidence") or 0))
    return [str(r["name"]) for r in ranked if r.get("name")][:count]


def classifier_ranking(tracker: Tracker) -> list[tuple[str, float]]:
    """The classifier's (intent, confidence) for the latest message, likeliest first, without
    FallbackClassifier's nlu_fallback: what knowledge/suggestions.py fuses with the search."""
    ranking = [
        (r["name"], float(r.get("confidence") or 0.0))
        for r in tracker.latest_message.get("intent_ranking") or []
        if isinstance(r.get("name"), str) and r["name"] != "nlu_fallback"
    ]
    return sorted(ranking, key=lambda r: -r[1])


def active_form(tracker: Tracker) -> str | None:
    return (tracker.active_loop or {}).get("name")


def send(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    messages: list[dict[str, Any]],
    *,
    topic: str | None = None,
    emergency: bool = False,
    suggestions: list[str] | None = None,
    audience: str | None = None,
    feedback: dict[str, Any] | None = None,
) -> None:
    """reply.send with the asker's role (if known) and the classifier's ranking added for the
    statistics (the ranking is the top three shown when someone answers "Nej")."""
    reply.send(
        dispatcher,
        messages,
        topic=topic,
        emergency=emergency,
        suggestions=suggestions,
        audience=audience or text_value(tracker.get_slot(ROLE_SLOT)),
        feedback=feedback,
        ranking=ranked_intents(tracker),
    )
