"""The engine's conversation store: SQL (SQLite by default), redacted, with retention.

- Personal data is removed from what people wrote before an event is written
  (knowledge.redact): conversations are about threats and crimes and name others.
- Events older than `retention_days` are deleted every `purge_interval` seconds while the
  engine runs (a timer, chat or no chat), and by `python -m bot.tracker_store purge`.
- A SQLite database file is created 0600 (knowledge/private_files.py); deleted events are
  overwritten (secure_delete) and the write-ahead log emptied after a delete.
- "Rensa samtalet": the intent `forget_conversation` deletes every stored event of that
  conversation, the request itself included.
- SQLite gets one pooled connection in write-ahead-log mode instead of a new connection and an
  fsync per query (the purge timer's thread shares the pool).

This is the store stock Rasa runs with (LOTSEN_STOCK_RASA=1). Started through bot/serve.py with
the patches, the same name in the endpoints file builds the cached store of
bot/patches/tracker_cache.py instead, a subclass that keeps these rules (serving_class).

Configured in bot/endpoints.yml (`type: bot.tracker_store.RedactingSQLTrackerStore`).
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from pathlib import Path
from typing import Any, ClassVar

import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from knowledge.private_files import private_file
from knowledge.redact import redact

log = logging.getLogger(__name__)

FORGET_INTENT = "forget_conversation"
MODEL_OUTPUT_KEYS = frozenset({"intent", "intent_ranking", "response_selector"})
DAY = 24 * 3600


def redact_value(value: Any) -> Any:
    """Every text inside a value redacted, however deep in dicts, lists and tuples.

    Entity values, slot values and metadata can be any JSON ("/intent{...}" typed by a
    client other than the gateway, a custom slot): one level of strings is not enough.
    Dicts and lists are changed in place (parse_data's entities are the event's own list).
    """
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        for key, item in value.items():
            value[key] = redact_value(item)
        return value
    if isinstance(value, list):
        value[:] = [redact_value(item) for item in value]
        return value
    if isinstance(value, tuple):
        return tuple(redact_value(item) for item in value)
    return value


def redact_event(event: Any) -> None:
    """Redact, in place, every field of an event that can hold what a person wrote."""
    if isinstance(event, UserUttered):
        if event.text:
            event.text = redact(event.text)
        # parse_data holds the text again, the entities and more read from the text; the
        # intent and its ranking are names from the domain (and many: skipped for speed).
        for key, value in event.parse_data.items():
            if key not in MODEL_OUTPUT_KEYS:
                event.parse_data[key] = redact_value(value)
        event.entities = redact_value(event.entities or [])
        event.metadata = redact_value(event.metadata or {})
    elif isinstance(event, SlotSet):
        event.value = redact_value(event.value)


class RedactingSQLTrackerStore(SQLTrackerStore):
    # Rasa builds the class the endpoints file names; bot.patches.tracker_cache.apply() sets
    # this to its cached subclass, so that one endpoints file serves stock and patched Rasa.
    serving_class: ClassVar[type | None] = None

    def __new__(cls, *args: Any, **kwargs: Any) -> RedactingSQLTrackerStore:
        if cls is RedactingSQLTrackerStore and RedactingSQLTrackerStore.serving_class is not None:
            cls = RedactingSQLTrackerStore.serving_class
        return super().__new__(cls)

    def __init__(
        self,
        domain: Domain | None = None,
        event_broker: EventBroker | None = None,
        retention_days: float = 30,
        purge_interval: float = 3600,
        purge_timer: bool = True,
        **kwargs: dict[str, Any],
    ) -> None:
        if kwargs.get("dialect") == "sqlite" and kwargs.get("db") and kwargs["db"] != ":memory:":
            private_file(Path(str(kwargs["db"])))
        super().__init__(domain=domain, event_broker=event_broker, **kwargs)
        self.retention_days = float(retention_days)
        self.purge_interval = float(purge_interval)
        self._next_purge = 0.0
        if self.engine.dialect.name == "sqlite":
            self._pooled_wal_engine()
        if purge_timer and self.purge_interval > 0:
            self._start_purge_timer()

    def _start_purge_timer(self) -> None:
        """Purge every `purge_interval` seconds even when nobody chats (a purge on save alone
        would keep a quiet instance's old conversations until the next message)."""
        stop = self._purge_stop = threading.Event()

        def run() -> None:
            while not stop.wait(self.purge_interval):
                try:
                    self.purge(from_timer=True)
                except Exception as exc:  # noqa: BLE001 (keep the timer alive; try again next time)
                    log.error("purge failed: %s", type(exc).__name__)

        threading.Thread(target=run, name="lotsen-purge", daemon=True).start()

    def _pooled_wal_engine(self) -> None:
        url = self.engine.url
        self.engine.dispose()
        # check_same_thread off: the purge timer's thread checks connections out of the same
        # pool (the pool hands each connection to one thread at a time).
        self.engine = sa.create_engine(
            url, poolclass=sa.pool.QueuePool, pool_size=1, max_overflow=4, connect_args={"check_same_thread": False}
        )

        @sa.event.listens_for(self.engine, "connect")
        def _wal(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            # Deleted events are overwritten, not left in free pages of the file.
            cursor.execute("PRAGMA secure_delete=ON")
            cursor.close()

        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)

    async def save(self, tracker: DialogueStateTracker) -> None:
        if self._forget_requested(tracker):
            self.delete(tracker.sender_id)
            return
        await self._write_redacted(tracker)
        if time.monotonic() >= self._next_purge:
            self.purge()

    async def _write_redacted(self, tracker: DialogueStateTracker) -> None:
        """Every event redacted, then Rasa's save (which counts the stored events and writes
        the rest)."""
        for event in tracker.events:
            redact_event(event)
        await super().save(tracker)

    def _forget_cached(self, sender_id: str | None = None, from_timer: bool = False) -> None:
        """Called when stored events are deleted (one conversation, or all old ones): a store
        that keeps trackers in memory drops them here. This one keeps none."""

    @staticmethod
    def _forget_requested(tracker: DialogueStateTracker) -> bool:
        latest = tracker.latest_message
        return bool(latest and (latest.intent or {}).get("name") == FORGET_INTENT)

    def delete(self, sender_id: str) -> int:
        """Delete every stored event of one conversation; returns how many."""
        self._forget_cached(sender_id)
        with self.session_scope() as session:
            count = session.query(self.SQLEvent).filter(self.SQLEvent.sender_id == sender_id).delete()
            session.commit()
        self._checkpoint()
        return count

    def _checkpoint(self) -> None:
        """SQLite: move the write-ahead log into the file and empty it, so that the old pages of
        deleted events do not linger in the log either."""
        if self.engine.dialect.name == "sqlite":
            with self.engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    def purge(self, now: float | None = None, from_timer: bool = False) -> int:
        """Delete events older than the retention period; returns how many."""
        cutoff = (now or time.time()) - self.retention_days * DAY
        self._forget_cached(from_timer=from_timer)
        with self.session_scope() as session:
            count = session.query(self.SQLEvent).filter(self.SQLEvent.timestamp < cutoff).delete()
            session.commit()
        if count:
            self._checkpoint()
        self._next_purge = time.monotonic() + self.purge_interval
        return count


def main(argv: list[str]) -> int:
    """`python -m bot.tracker_store purge [DB] [DAYS]`: purge old events from the SQLite store."""
    if not argv or argv[0] != "purge":
        print("användning: python -m bot.tracker_store purge [databas] [dagar]", file=sys.stderr)
        return 2
    db = argv[1] if len(argv) > 1 else "var/tracker.db"
    days = float(argv[2]) if len(argv) > 2 else 30
    store = RedactingSQLTrackerStore(dialect="sqlite", db=db, retention_days=days, purge_timer=False)
    print(f"Raderade {store.purge()} händelser äldre än {days:g} dagar ur {db}.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
