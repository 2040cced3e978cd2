"""Trackers with a conversation behind them, for the guided-conversation action tests.

A turn is built from what an action really sent (its dispatcher messages become the bot events
the next action reads), so the tests chain real actions the way the engine does.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from knowledge import contract

DOMAIN: dict[str, Any] = {}


def user_event(intent: str, text: str | None = None, entities: dict[str, Any] | None = None) -> dict[str, Any]:
    ents = [{"entity": k, "value": v} for k, v in (entities or {}).items()]
    if text is None:
        text = f"/{intent}" + (json.dumps(entities) if entities else "")
    return {
        "event": "user",
        "text": text,
        "parse_data": {"intent": {"name": intent, "confidence": 1.0}, "entities": ents, "text": text},
    }


def bot_events(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Dispatcher messages → the bot events Rasa stores (text, buttons, custom payload)."""
    return [
        {"event": "bot", "text": m.get("text"), "data": {"buttons": m.get("buttons"), "custom": m.get("custom")}}
        for m in messages
    ]


class Conversation:
    """A growing conversation: say something, run an action, its reply becomes history."""

    def __init__(self, slots: dict[str, Any] | None = None) -> None:
        self.events: list[dict[str, Any]] = [{"event": "session_started"}]
        self.slots: dict[str, Any] = dict(slots or {})
        self.active_loop: str | None = None
        self.latest: dict[str, Any] = {}

    def say(
        self, intent: str, text: str | None = None, entities: dict[str, Any] | None = None, **slots
    ) -> Conversation:
        event = user_event(intent, text, entities)
        self.events.append(event)
        self.latest = {**event["parse_data"], "intent_ranking": []}
        self.slots.update(entities or {})  # buttons' entities fill their slots (from_entity)
        self.slots.update(slots)
        return self

    def tracker(self) -> Tracker:
        return Tracker.from_dict(
            {
                "sender_id": "test-conversation",
                "slots": dict(self.slots),
                "latest_message": self.latest,
                "events": [dict(e) for e in self.events],
                "active_loop": {"name": self.active_loop} if self.active_loop else {},
            }
        )

    def run(self, action) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Run an action on the conversation; its messages and slot events are applied."""
        dispatcher = CollectingDispatcher()
        events = asyncio.run(action.run(dispatcher, self.tracker(), DOMAIN))
        self.events.extend(bot_events(dispatcher.messages))
        for event in events:
            if event.get("event") == "slot":
                self.slots[event["name"]] = event["value"]
            elif event.get("event") == "active_loop":
                self.active_loop = event.get("name")
        return dispatcher.messages, events


def texts(messages: list[dict[str, Any]]) -> list[str]:
    return [m["text"] for m in messages if m.get("text")]


def payloads(messages: list[dict[str, Any]]) -> list[str]:
    return [b["payload"] for m in messages for b in m.get("buttons") or []]


def metas(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [meta for meta in map(contract.turn_meta, messages) if meta is not None]


def meta(messages: list[dict[str, Any]]) -> dict[str, Any]:
    """The metadata the gateway uses: the last custom payload of the turn."""
    return metas(messages)[-1]
