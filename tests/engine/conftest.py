"""Engine-side fixtures: rasa-sdk trackers built from plain dicts."""

from __future__ import annotations

import asyncio

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher


def tracker_for(intent: str, text: str = "", ranking=None, emergency=None, slots=None) -> Tracker:
    latest = {"intent": {"name": intent, "confidence": 1.0}, "text": text, "intent_ranking": ranking or []}
    if emergency:
        latest["emergency"] = emergency
    return Tracker.from_dict(
        {"sender_id": "test-session", "slots": slots or {}, "latest_message": latest, "events": [], "active_loop": {}}
    )


def run_action(action, tracker: Tracker):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, {}))
    return dispatcher.messages, events


@pytest.fixture
def run():
    return run_action


@pytest.fixture
def tracker():
    return tracker_for
