"""bot.patches.tracker_cache on a real SQLite file: its cache never hides what is stored, and its
plain statements read what Rasa's own query reads."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.patches.tracker_cache import CachedTrackerStore
from bot.tracker_store import RedactingSQLTrackerStore

DOMAIN = Domain.from_yaml("version: '3.1'\nintents: [hot, gavor]\n")


@pytest.fixture
def db(tmp_path):
    return str(tmp_path / "tracker.db")


def store(db: str) -> CachedTrackerStore:
    return CachedTrackerStore(domain=DOMAIN, dialect="sqlite", db=db)


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


def test_every_event_is_stored_once_across_cached_turns(db):
    s = store(db)
    tracker = run(s.get_or_create_tracker("a"))
    for i in range(3):
        tracker = run(s.retrieve("a")) or tracker
        turn(tracker, f"fråga {i}")
        run(s.save(tracker))
    types = stored_texts(db, "a")
    assert types.count("user") == 3
    assert len(types) == len(run(store(db).retrieve("a")).events)  # a fresh store reads the same


def test_another_instance_writing_invalidates_the_cache(db):
    a, b = store(db), store(db)
    first_turn_saved(a, "s")
    # After a failover instance b answers one turn of the same conversation.
    other = run(b.retrieve("s"))
    turn(other, "andra, hos b")
    run(b.save(other))
    back = run(a.retrieve("s"))
    assert [e.text for e in back.events if isinstance(e, UserUttered)] == ["första", "andra, hos b"]
    turn(back, "tredje")
    run(a.save(back))
    assert stored_texts(db, "s").count("user") == 3


def test_a_turn_that_fails_before_saving_leaves_nothing_behind(db):
    s = store(db)
    first_turn_saved(s, "f")
    broken = run(s.retrieve("f"))
    turn(broken, "kraschar före save")  # never saved
    again = run(s.retrieve("f"))
    assert [e.text for e in again.events if isinstance(e, UserUttered)] == ["första"]


def test_reading_a_conversation_gives_what_rasas_own_query_gives(db):
    """The store reads with two plain statements; Rasa's SQLTrackerStore builds the same query
    with the ORM. Both must return the same events: none, one session, and only the latest of
    several sessions (with a timestamp shared across the session boundary)."""
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.events import SessionStarted

    s = store(db)
    first_turn_saved(s, "one")
    tracker = run(s.retrieve("one"))
    # A second session whose start has the same timestamp as the last event before it.
    boundary = tracker.events[-1].timestamp
    tracker.update(ActionExecuted("action_session_start", timestamp=boundary))
    tracker.update(SessionStarted(timestamp=boundary))
    turn(tracker, "ny session")
    run(s.save(tracker))
    first_turn_saved(s, "other")
    # Events stored without any SessionStarted (as an old conversation might be).
    with sqlite3.connect(db) as c:
        c.execute(
            "insert into events (sender_id, type_name, timestamp, data) values (?, ?, ?, ?)",
            ("nostart", "action", 1.0, '{"event": "action", "name": "action_listen", "timestamp": 1.0}'),
        )

    fresh = store(db)
    for sender in ("one", "other", "nostart", "missing"):
        ours = fresh._retrieve_latest_session(sender)
        rasas = run(SQLTrackerStore._retrieve(fresh, sender, fetch_events_from_all_sessions=False))
        if rasas is None:
            assert ours is None, sender
        else:
            assert [e.as_dict() for e in ours.events] == [e.as_dict() for e in rasas.events], sender
    assert [e.text for e in fresh._retrieve_latest_session("one").events if isinstance(e, UserUttered)] == [
        "ny session"
    ]


def test_applied_the_endpoints_class_builds_the_cached_store(db, monkeypatch):
    from bot.patches import tracker_cache

    monkeypatch.setattr(RedactingSQLTrackerStore, "serving_class", None)
    assert type(RedactingSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=db)) is RedactingSQLTrackerStore
    tracker_cache.apply()
    built = RedactingSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=db, retention_days=7)
    assert type(built) is CachedTrackerStore and built.retention_days == 7 and built.cache_size == 256
