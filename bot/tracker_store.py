"""The engine's conversation store: SQL (SQLite by default), redacted, with retention.

- Personal data is removed from what people wrote before an event is written
  (knowledge.redact): conversations are about threats and crimes and name others.
- Events older than `retention_days` are deleted, checked at most every `purge_interval`
  seconds while the engine runs, and by `python -m bot.tracker_store purge`.
- "Rensa samtalet": the intent `forget_conversation` deletes every stored event of that
  conversation, the request itself included.

Configured in bot/endpoints.yml (`type: bot.tracker_store.RedactingSQLTrackerStore`).
"""
from __future__ import annotations

import sys
import time
from typing import Any, Dict, Optional, Text

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from knowledge.redact import redact

FORGET_INTENT = "forget_conversation"
DAY = 24 * 3600


def redact_event(event: Any) -> None:
    """Redact, in place, every field of an event that can hold what a person wrote."""
    if isinstance(event, UserUttered):
        if event.text:
            event.text = redact(event.text)
        if isinstance(event.parse_data.get("text"), str):
            event.parse_data["text"] = redact(event.parse_data["text"])
        for entity in event.entities or []:
            if isinstance(entity.get("value"), str):
                entity["value"] = redact(entity["value"])
    elif isinstance(event, SlotSet) and isinstance(event.value, str):
        event.value = redact(event.value)


class RedactingSQLTrackerStore(SQLTrackerStore):
    def __init__(
        self,
        domain: Optional[Domain] = None,
        event_broker: Optional[EventBroker] = None,
        retention_days: float = 30,
        purge_interval: float = 3600,
        **kwargs: Dict[Text, Any],
    ) -> None:
        super().__init__(domain=domain, event_broker=event_broker, **kwargs)
        self.retention_days = float(retention_days)
        self.purge_interval = float(purge_interval)
        self._next_purge = 0.0

    async def save(self, tracker: DialogueStateTracker) -> None:
        if self._forget_requested(tracker):
            self.delete(tracker.sender_id)
            return
        for event in tracker.events:
            redact_event(event)
        await super().save(tracker)
        if time.monotonic() >= self._next_purge:
            self.purge()

    @staticmethod
    def _forget_requested(tracker: DialogueStateTracker) -> bool:
        latest = tracker.latest_message
        return bool(latest and (latest.intent or {}).get("name") == FORGET_INTENT)

    def delete(self, sender_id: Text) -> int:
        """Delete every stored event of one conversation; returns how many."""
        with self.session_scope() as session:
            count = session.query(self.SQLEvent).filter(self.SQLEvent.sender_id == sender_id).delete()
            session.commit()
        return count

    def purge(self, now: Optional[float] = None) -> int:
        """Delete events older than the retention period; returns how many."""
        cutoff = (now or time.time()) - self.retention_days * DAY
        with self.session_scope() as session:
            count = session.query(self.SQLEvent).filter(self.SQLEvent.timestamp < cutoff).delete()
            session.commit()
        self._next_purge = time.monotonic() + self.purge_interval
        return count


def main(argv: list[str]) -> int:
    """`python -m bot.tracker_store purge [DB] [DAYS]`: purge old events from the SQLite store."""
    if not argv or argv[0] != "purge":
        print("användning: python -m bot.tracker_store purge [databas] [dagar]", file=sys.stderr)
        return 2
    db = argv[1] if len(argv) > 1 else "var/tracker.db"
    days = float(argv[2]) if len(argv) > 2 else 30
    store = RedactingSQLTrackerStore(dialect="sqlite", db=db, retention_days=days)
    print(f"Raderade {store.purge()} händelser äldre än {days:g} dagar ur {db}.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
