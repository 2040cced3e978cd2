"""The engine's late answers: what the engine adds to a turn the gateway already answered.

A message the gateway's emergency lexicon flags is answered at once from the knowledge base
(the 112 answer) while the engine still gets the turn, so that the conversation goes on as if
it had answered. What the engine then says beyond the 112 answer is kept here for the session
until a client fetches it (POST /api/chat/late-answer, which waits for it), the session's next
turn carries it, or it expires (docs/adr/0003-emergency-answer-never-waits.md).

Kept behind the LateAnswers interface: this process's memory today; a gateway with several
replicas and no sticky routing (issue 19) needs a shared implementation (e.g. Redis lists
with BLPOP) with the same four methods.
"""
from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol


class LateAnswers(Protocol):
    def expect(self, session_id: str) -> None:
        """The engine is answering a turn of this session in the background."""

    def deliver(self, session_id: str, answer: dict | None) -> None:
        """The engine's answer to an expected turn (None: it added nothing or did not answer)."""

    def take(self, session_id: str) -> tuple[dict | None, bool]:
        """(what has arrived, merged into one answer, or None; whether more is still expected)."""

    async def wait(self, session_id: str, timeout: float) -> tuple[dict | None, bool]:
        """take(), after waiting up to `timeout` seconds for an answer while one is expected."""

    def forget(self, session_id: str) -> None:
        """Drop everything of this session ("Rensa samtalet")."""


@dataclass
class _Entry:
    stamp: float
    expected: int = 0
    answers: list[dict] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)


def merge(answers: list[dict]) -> dict | None:
    """Several late answers of one session as one: messages in order, the newest topic."""
    if not answers:
        return None
    last = answers[-1]
    return {
        "messages": [m for a in answers for m in a["messages"]],
        "topic": last.get("topic"),
        "emergency": any(a.get("emergency") for a in answers),
        "suggestions": list(last.get("suggestions") or []),
    }


class MemoryLateAnswers:
    """LateAnswers in this process: bounded (least recently used session goes first) and
    expiring, like the offered payloads (gateway/sessions.py)."""

    def __init__(self, ttl_seconds: float = 600.0, max_sessions: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl_seconds
        self._max = max_sessions
        self._clock = clock
        self._entries: OrderedDict[str, _Entry] = OrderedDict()

    def _entry(self, session_id: str, create: bool) -> _Entry | None:
        entry = self._entries.get(session_id)
        if entry is not None and self._clock() - entry.stamp > self._ttl and not entry.expected:
            del self._entries[session_id]
            entry = None
        if entry is None and create:
            entry = self._entries[session_id] = _Entry(stamp=self._clock())
            while len(self._entries) > self._max:
                _, dropped = self._entries.popitem(last=False)
                dropped.changed.set()  # a waiting client gets "nothing more" rather than hanging
        return entry

    def expect(self, session_id: str) -> None:
        entry = self._entry(session_id, create=True)
        entry.expected += 1
        entry.stamp = self._clock()
        self._entries.move_to_end(session_id)

    def deliver(self, session_id: str, answer: dict | None) -> None:
        entry = self._entry(session_id, create=False)
        if entry is None:  # forgotten meanwhile ("Rensa samtalet"): nothing to keep
            return
        entry.expected = max(0, entry.expected - 1)
        if answer and answer.get("messages"):
            entry.answers.append(answer)
        entry.stamp = self._clock()
        entry.changed.set()

    def take(self, session_id: str) -> tuple[dict | None, bool]:
        entry = self._entry(session_id, create=False)
        if entry is None:
            return None, False
        answers, entry.answers = entry.answers, []
        if not entry.expected:
            del self._entries[session_id]
        return merge(answers), bool(entry.expected)

    async def wait(self, session_id: str, timeout: float) -> tuple[dict | None, bool]:
        entry = self._entry(session_id, create=False)
        if entry is not None and entry.expected and not entry.answers:
            entry.changed.clear()
            try:
                async with asyncio.timeout(timeout):
                    await entry.changed.wait()
            except TimeoutError:
                pass
        return self.take(session_id)

    def forget(self, session_id: str) -> None:
        entry = self._entries.pop(session_id, None)
        if entry is not None:
            entry.changed.set()
