"""The redacting SQL tracker store on a real SQLite file, stock (bot.tracker_store) and with the
cache patch (bot.patches.tracker_cache): both redact, purge, forget and keep the file private."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.patches.tracker_cache import CachedTrackerStore
from bot.tracker_store import RedactingSQLTrackerStore

DOMAIN = Domain.from_yaml("version: '3.1'\nintents: [hot, gavor, forget_conversation]\n")


@pytest.fixture(params=[RedactingSQLTrackerStore, CachedTrackerStore], ids=["stock", "cached"])
def store_class(request):
    return request.param


@pytest.fixture
def db(tmp_path):
    return str(tmp_path / "tracker.db")


@pytest.fixture
def store(store_class):
    def build(db: str, **kwargs) -> RedactingSQLTrackerStore:
        return store_class(domain=DOMAIN, dialect="sqlite", db=db, **kwargs)

    return build


def stored_texts(db: str, sender: str) -> list[str]:
    with sqlite3.connect(db) as c:
        rows = c.execute("select type_name, data from events where sender_id = ? order by id", (sender,)).fetchall()
    return [t for t, _ in rows]


def turn(tracker: DialogueStateTracker, text: str) -> None:
    tracker.update(UserUttered(text, {"name": "hot", "confidence": 1.0}))
    tracker.update(ActionExecuted("action_answer_topic"))
    tracker.update(BotUttered("svar"))
    tracker.update(ActionExecuted("action_listen"))


def run(coro):
    return asyncio.run(coro)


def first_turn_saved(s: RedactingSQLTrackerStore, sender: str) -> None:
    """A new conversation with one stored turn ("första"); the tracker is now in s's cache."""
    tracker = run(s.get_or_create_tracker(sender))
    turn(tracker, "första")
    run(s.save(tracker))


def test_new_events_are_redacted_before_they_are_written(db, store):
    s = store(db)
    first_turn_saved(s, "r")
    tracker = run(s.retrieve("r"))
    turn(tracker, "ring mig på 070-123 45 67")
    run(s.save(tracker))
    with sqlite3.connect(db) as c:
        data = " ".join(row[0] for row in c.execute("select data from events"))
    assert "070-123 45 67" not in data and "[telefonnummer]" in data


def test_redaction_reaches_into_nested_entity_slot_and_metadata_values(db, store):
    """A typed "/intent{...}" (from a client other than the gateway) can carry any JSON."""
    from rasa.shared.core.events import SlotSet

    secret = "Ring Zlatan på 070-123 45 67"
    s = store(db)
    tracker = run(s.get_or_create_tracker("nested"))
    tracker.update(
        UserUttered(
            "/gavor",
            {"name": "gavor", "confidence": 1.0},
            entities=[{"entity": "giver", "value": {"namn": [secret]}}],
            parse_data={"extra": [{"note": secret}]},
            metadata={"from": [secret]},
        )
    )
    tracker.update(SlotSet("giver", {"who": [secret, {"deep": secret}]}))
    run(s.save(tracker))
    with sqlite3.connect(db) as c:
        stored = "\n".join(row[0] for row in c.execute("select data from events where sender_id = 'nested'"))
    assert "070" not in stored and "123 45 67" not in stored
    assert stored.count("[telefonnummer]") >= 4


def test_old_events_are_purged_on_a_timer_without_any_chat(db, store):
    import time

    s = store(db, retention_days=1, purge_interval=0.2)
    tracker = run(s.get_or_create_tracker("old"))
    turn(tracker, "gammal fråga")
    run(s.save(tracker))
    with sqlite3.connect(db) as c:
        c.execute("update events set timestamp = timestamp - 3 * 86400")
    deadline = time.monotonic() + 10
    while stored_texts(db, "old") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert stored_texts(db, "old") == []


def test_the_database_file_is_readable_by_its_owner_only(tmp_path, store):
    import os
    import stat

    db = tmp_path / "private" / "tracker.db"
    s = store(str(db))
    first_turn_saved(s, "perm")
    for path in [db, *db.parent.glob("tracker.db-*")]:
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path


def test_forgetting_deletes_every_stored_event_of_the_conversation(db, store):
    s = store(db)
    first_turn_saved(s, "gone")
    first_turn_saved(s, "kept")
    tracker = run(s.retrieve("gone"))
    tracker.update(UserUttered("glöm mig", {"name": "forget_conversation", "confidence": 1.0}))
    run(s.save(tracker))
    assert stored_texts(db, "gone") == [] and stored_texts(db, "kept")
    assert run(s.retrieve("gone")) is None
