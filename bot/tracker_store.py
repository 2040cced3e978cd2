"""The engine's conversation store: SQL (SQLite by default), redacted, with retention.

- Personal data is removed from what people wrote before an event is written
  (knowledge.redact): conversations are about threats and crimes and name others.
- Events older than `retention_days` are deleted every `purge_interval` seconds while the
  engine runs (a timer, chat or no chat), and by `python -m bot.tracker_store purge`.
- A SQLite database file is created 0600 (knowledge/private_files.py).
- "Rensa samtalet": the intent `forget_conversation` deletes every stored event of that
  conversation, the request itself included.

- Speed: SQLite gets one pooled connection in write-ahead-log mode instead of a new connection
  and an fsync per query. A small cache keeps the trackers this process saved last, so a turn
  does not read back and re-parse what it wrote a second ago, nor count the stored events
  before each write; it is used only while the conversation's newest stored timestamp is the
  cached one's (another instance may have taken over after a failover). Without this, SQL was
  about 45 % of Rasa's time per turn (py-spy, docs/deploy.md). 256 trackers (about 55 kB
  each) cover the conversations in progress; 1000 made Rasa grow by 85 MB under load.
- A tracker not in the cache is read with two plain SQL statements instead of Rasa's ORM query.

Configured in bot/endpoints.yml (`type: bot.tracker_store.RedactingSQLTrackerStore`).
"""
from __future__ import annotations

import functools
import itertools
import json
import logging
import re
import sys
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any, Dict, Optional, Text

import sqlalchemy as sa

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

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


@functools.lru_cache(maxsize=64)
def _statement(sql: str, table: str, paramstyle: str) -> str:
    """`sql` with {table} filled in and each {p} as the DBAPI driver's placeholder."""
    marks = itertools.count(1)

    def placeholder(_match: Any) -> str:
        if paramstyle == "qmark":
            return "?"
        if paramstyle == "numeric":
            return f":{next(marks)}"
        if paramstyle == "named":
            return f":p{next(marks)}"
        return "%s"  # format, pyformat (psycopg2)

    return re.sub(r"\{p\}", placeholder, sql.replace("{table}", table))


class RedactingSQLTrackerStore(SQLTrackerStore):
    def __init__(
        self,
        domain: Optional[Domain] = None,
        event_broker: Optional[EventBroker] = None,
        retention_days: float = 30,
        purge_interval: float = 3600,
        cache_size: int = 256,
        purge_timer: bool = True,
        **kwargs: Dict[Text, Any],
    ) -> None:
        if kwargs.get("dialect") == "sqlite" and kwargs.get("db") and kwargs["db"] != ":memory:":
            private_file(Path(str(kwargs["db"])))
        super().__init__(domain=domain, event_broker=event_broker, **kwargs)
        self.retention_days = float(retention_days)
        self.purge_interval = float(purge_interval)
        self._next_purge = 0.0
        # Set by the purge timer's thread; the cache is cleared in the event loop's thread.
        self._cache_stale = False
        if self.engine.dialect.name == "sqlite":
            self._pooled_wal_engine()
        # sender id -> (tracker as saved, number of its events stored). Only a tracker this
        # process read or saved may skip the count query when it is saved again. With an
        # event broker Rasa's save reads the tracker back itself: no cache then.
        self.cache_size = int(cache_size) if event_broker is None else 0
        self._cache: "OrderedDict[str, tuple[DialogueStateTracker, int]]" = OrderedDict()
        self._checked_out: Dict[str, tuple[int, int]] = {}
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
        self.engine = sa.create_engine(url, poolclass=sa.pool.QueuePool, pool_size=1, max_overflow=4,
                                       connect_args={"check_same_thread": False})

        @sa.event.listens_for(self.engine, "connect")
        def _wal(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            # Deleted events are overwritten, not left in free pages of the file.
            cursor.execute("PRAGMA secure_delete=ON")
            cursor.close()

        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)

    async def retrieve(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        if self._cache_stale:
            self._cache_stale = False
            self._cache.clear()
        # Taken out of the cache: if the turn fails before it is saved, the next turn reads
        # the database, never a tracker holding events that were not stored.
        cached = self._cache.pop(sender_id, None)
        if cached is not None and self._unchanged(sender_id, cached[0]):
            tracker, stored = cached
        else:
            tracker = self._retrieve_latest_session(sender_id)
            # Rasa reads the latest session only, and counts exactly those events on save.
            stored = len(tracker.events) if tracker is not None else 0
        if self.cache_size:
            if len(self._checked_out) >= 2 * self.cache_size:
                self._checked_out.clear()
            # None: nothing stored yet, so whichever tracker Rasa creates next is all new.
            self._checked_out[sender_id] = (id(tracker) if tracker is not None else None, stored)
        return tracker

    def _retrieve_latest_session(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        """Rasa's SQLTrackerStore.retrieve in two plain statements: the events from the latest
        SessionStarted on (all events when there is none), in the order they were stored.
        Rasa builds the same query with the ORM, which cost about 1.5 ms per new conversation;
        a new conversation finds no rows, and then no tracker is built either."""
        started = self._raw("SELECT max(timestamp) FROM {table} WHERE sender_id = {p} AND type_name = {p}",
                            [(sender_id, SessionStarted.type_name)], fetch="one")
        if started is None:
            rows = self._raw("SELECT data FROM {table} WHERE sender_id = {p} ORDER BY id", [(sender_id,)], fetch="all")
        else:
            rows = self._raw("SELECT data FROM {table} WHERE sender_id = {p} AND timestamp >= {p} ORDER BY id",
                             [(sender_id, started)], fetch="all")
        if not rows or not self.domain:
            return None
        return DialogueStateTracker.from_dict(sender_id, [json.loads(data) for (data,) in rows], self.domain.slots)

    def _unchanged(self, sender_id: Text, tracker: DialogueStateTracker) -> bool:
        """Nothing was written to this conversation since we saved it: another engine instance
        (after a failover) or a purge would show as a different newest timestamp."""
        if not tracker.events:
            return False
        newest = self._raw("SELECT max(timestamp) FROM {table} WHERE sender_id = {p}", [(sender_id,)], fetch="one")
        return newest is not None and newest == max(e.timestamp for e in tracker.events)

    async def save(self, tracker: DialogueStateTracker) -> None:
        sender_id = tracker.sender_id
        checked_out = self._checked_out.pop(sender_id, None)
        if self._forget_requested(tracker):
            self._cache.pop(sender_id, None)
            self.delete(sender_id)
            return
        stored: Optional[int] = None
        if checked_out is not None and checked_out[0] in (id(tracker), None):
            stored = checked_out[1]
        elif (entry := self._cache.get(sender_id)) is not None and entry[0] is tracker:
            stored = entry[1]  # saved before in this turn (a new conversation is saved twice)
        if stored is not None:
            for event in itertools.islice(tracker.events, stored, None):
                redact_event(event)
            self._insert(tracker, stored)
        else:
            for event in tracker.events:
                redact_event(event)
            await super().save(tracker)
        self._remember(tracker)
        if time.monotonic() >= self._next_purge:
            self.purge()

    def _insert(self, tracker: DialogueStateTracker, stored: int) -> None:
        """Rasa's SQLTrackerStore.save without its count query: we know what is stored."""
        rows = []
        for event in itertools.islice(tracker.events, stored, None):
            data = event.as_dict()
            intent = data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY)
            rows.append((tracker.sender_id, event.type_name, data.get("timestamp"), intent, data.get("name"),
                         json.dumps(data)))
        if rows:
            self._raw("INSERT INTO {table} (sender_id, type_name, timestamp, intent_name, action_name, data) "
                      "VALUES ({p}, {p}, {p}, {p}, {p}, {p})", rows)

    def _raw(self, sql: str, rows: list[tuple], fetch: Optional[str] = None) -> Any:
        """One statement on a pooled DBAPI connection, committed. SQLAlchemy's ORM and Core
        execution cost more than SQLite itself per turn; the SQL is fixed and parameterised.
        fetch: None (execute for every row), "one" (the first column of the first row) or
        "all" (every row)."""
        style = self.engine.dialect.paramstyle
        statement = _statement(sql, self.SQLEvent.__tablename__, style)
        if style == "named":
            rows = [{f"p{i}": value for i, value in enumerate(row, 1)} for row in rows]
        connection = self.engine.raw_connection()
        try:
            cursor = connection.cursor()
            if fetch == "one":
                cursor.execute(statement, rows[0])
                result = cursor.fetchone()[0]
            elif fetch == "all":
                cursor.execute(statement, rows[0])
                result = cursor.fetchall()
            else:
                cursor.executemany(statement, rows)
                result = None
            cursor.close()
            connection.commit()
            return result
        finally:
            connection.close()

    def _remember(self, tracker: DialogueStateTracker) -> None:
        if not self.cache_size:
            return
        # A tracker that started a new session in memory holds more than a read from the
        # database would give back (Rasa reads the latest session only): not cached.
        if sum(isinstance(e, SessionStarted) for e in tracker.events) > 1:
            return
        self._cache[tracker.sender_id] = (tracker, len(tracker.events))
        self._cache.move_to_end(tracker.sender_id)
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)

    @staticmethod
    def _forget_requested(tracker: DialogueStateTracker) -> bool:
        latest = tracker.latest_message
        return bool(latest and (latest.intent or {}).get("name") == FORGET_INTENT)

    def delete(self, sender_id: Text) -> int:
        """Delete every stored event of one conversation; returns how many."""
        self._cache.pop(sender_id, None)
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

    def purge(self, now: Optional[float] = None, from_timer: bool = False) -> int:
        """Delete events older than the retention period; returns how many."""
        cutoff = (now or time.time()) - self.retention_days * DAY
        # Cached trackers would outlive their deleted rows (the timer's thread only marks it).
        if from_timer:
            self._cache_stale = True
        else:
            self._cache.clear()
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
