"""Patch: the tracker store keeps the trackers this process saved, and reads and writes with
plain SQL statements.

Replaces: rasa.core.tracker_store.SQLTrackerStore's retrieve and save (for our privacy store,
bot/tracker_store.py, which stays the class the endpoints file names). Written against Rasa
3.6.21, whose SQL store re-reads and re-parses the whole conversation on every turn through its
ORM and counts the stored events before each write. Measured gain: 2.2 → 0.8 ms per turn for
the store (microbenchmark; with the pooled WAL connection of bot/tracker_store.py), SQL was
about 45 % of Rasa's time per turn before (py-spy, docs/deploy.md "Throughput"). Drop when
Rasa's SQL store stops counting and re-reading per turn, or when the tracker store moves out
of the engine.

- The cache is used only while the conversation's newest stored timestamp is the cached one's
  (another instance may have taken over after a failover). 256 trackers (about 55 kB each)
  cover the conversations in progress; 1000 made Rasa grow by 85 MB under load.
- A tracker not in the cache is read with two plain SQL statements instead of Rasa's ORM query.
- Redaction, retention and forgetting are the privacy store's (its save calls _write_redacted,
  its purge and delete call _forget_cached).
"""

from __future__ import annotations

import functools
import itertools
import json
import re
from collections import OrderedDict
from typing import Any

from rasa.core.brokers.broker import EventBroker
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

from bot.tracker_store import RedactingSQLTrackerStore, redact_event

RASA_VERSION = "3.6.21"


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


class CachedTrackerStore(RedactingSQLTrackerStore):
    def __init__(
        self,
        domain: Domain | None = None,
        event_broker: EventBroker | None = None,
        cache_size: int = 256,
        **kwargs: dict[str, Any],
    ) -> None:
        # Set by the purge timer's thread; the cache is cleared in the event loop's thread.
        self._cache_stale = False
        # sender id -> (tracker as saved, number of its events stored). Only a tracker this
        # process read or saved may skip the count query when it is saved again. With an
        # event broker Rasa's save reads the tracker back itself: no cache then.
        self.cache_size = int(cache_size) if event_broker is None else 0
        self._cache: OrderedDict[str, tuple[DialogueStateTracker, int]] = OrderedDict()
        self._checked_out: dict[str, tuple[int | None, int]] = {}
        super().__init__(domain=domain, event_broker=event_broker, **kwargs)

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
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

    def _retrieve_latest_session(self, sender_id: str) -> DialogueStateTracker | None:
        """Rasa's SQLTrackerStore.retrieve in two plain statements: the events from the latest
        SessionStarted on (all events when there is none), in the order they were stored.
        Rasa builds the same query with the ORM, which cost about 1.5 ms per new conversation;
        a new conversation finds no rows, and then no tracker is built either."""
        started = self._raw(
            "SELECT max(timestamp) FROM {table} WHERE sender_id = {p} AND type_name = {p}",
            [(sender_id, SessionStarted.type_name)],
            fetch="one",
        )
        if started is None:
            rows = self._raw("SELECT data FROM {table} WHERE sender_id = {p} ORDER BY id", [(sender_id,)], fetch="all")
        else:
            rows = self._raw(
                "SELECT data FROM {table} WHERE sender_id = {p} AND timestamp >= {p} ORDER BY id",
                [(sender_id, started)],
                fetch="all",
            )
        if not rows or not self.domain:
            return None
        return DialogueStateTracker.from_dict(sender_id, [json.loads(data) for (data,) in rows], self.domain.slots)

    def _unchanged(self, sender_id: str, tracker: DialogueStateTracker) -> bool:
        """Nothing was written to this conversation since we saved it: another engine instance
        (after a failover) or a purge would show as a different newest timestamp."""
        if not tracker.events:
            return False
        newest = self._raw("SELECT max(timestamp) FROM {table} WHERE sender_id = {p}", [(sender_id,)], fetch="one")
        return newest is not None and newest == max(e.timestamp for e in tracker.events)

    async def _write_redacted(self, tracker: DialogueStateTracker) -> None:
        sender_id = tracker.sender_id
        checked_out = self._checked_out.pop(sender_id, None)
        stored: int | None = None
        if checked_out is not None and checked_out[0] in (id(tracker), None):
            stored = checked_out[1]
        elif (entry := self._cache.get(sender_id)) is not None and entry[0] is tracker:
            stored = entry[1]  # saved before in this turn (a new conversation is saved twice)
        if stored is not None:
            for event in itertools.islice(tracker.events, stored, None):
                redact_event(event)
            self._insert(tracker, stored)
        else:
            await super()._write_redacted(tracker)
        self._remember(tracker)

    def _forget_cached(self, sender_id: str | None = None, from_timer: bool = False) -> None:
        if sender_id is not None:
            self._cache.pop(sender_id, None)
            self._checked_out.pop(sender_id, None)
        elif from_timer:
            self._cache_stale = True  # the timer's thread only marks it
        else:
            self._cache.clear()

    def _insert(self, tracker: DialogueStateTracker, stored: int) -> None:
        """Rasa's SQLTrackerStore.save without its count query: we know what is stored."""
        rows = []
        for event in itertools.islice(tracker.events, stored, None):
            data = event.as_dict()
            intent = data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY)
            rows.append(
                (tracker.sender_id, event.type_name, data.get("timestamp"), intent, data.get("name"), json.dumps(data))
            )
        if rows:
            self._raw(
                "INSERT INTO {table} (sender_id, type_name, timestamp, intent_name, action_name, data) "
                "VALUES ({p}, {p}, {p}, {p}, {p}, {p})",
                rows,
            )

    def _raw(self, sql: str, rows: list[tuple], fetch: str | None = None) -> Any:
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


def apply() -> None:
    RedactingSQLTrackerStore.serving_class = CachedTrackerStore
