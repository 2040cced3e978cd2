"""The engine's late answers: what the engine adds to a turn the gateway already answered.

A message the gateway's emergency lexicon flags is answered at once from the knowledge base
(the 112 answer) while the engine still gets the turn, so that the conversation goes on as if
it had answered. What the engine then says beyond the 112 answer is kept here for the session
until a client fetches it (POST /api/chat/late-answer, which waits for it), the session's next
turn carries it, or it expires (docs/adr/0003-emergency-answer-never-waits.md).

Kept behind the LateAnswers interface: this process's memory for a single gateway, or Redis
(LOTSEN_REDIS_URL) when several replicas share the traffic without sticky routing: the replica
that answered the message keeps the engine's turn, and POST /api/chat/late-answer may reach
any other one.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from gateway.redis_store import redis_key

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger("lotsen.gateway")


class LateAnswers(Protocol):
    async def expect(self, session_id: str) -> None:
        """The engine is answering a turn of this session in the background."""

    async def deliver(self, session_id: str, answer: dict | None) -> None:
        """The engine's answer to an expected turn (None: it added nothing or did not answer)."""

    async def take(self, session_id: str) -> tuple[dict | None, bool]:
        """(what has arrived, merged into one answer, or None; whether more is still expected)."""

    async def wait(self, session_id: str, timeout: float) -> tuple[dict | None, bool]:
        """take(), after waiting up to `timeout` seconds for an answer while one is expected."""

    async def forget(self, session_id: str) -> None:
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
    expiring: for a single gateway process."""

    def __init__(
        self, ttl_seconds: float = 600.0, max_sessions: int = 10_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
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

    async def expect(self, session_id: str) -> None:
        entry = self._entry(session_id, create=True)
        assert entry is not None  # create=True always gives one
        entry.expected += 1
        entry.stamp = self._clock()
        self._entries.move_to_end(session_id)

    async def deliver(self, session_id: str, answer: dict | None) -> None:
        entry = self._entry(session_id, create=False)
        if entry is None:  # forgotten meanwhile ("Rensa samtalet"): nothing to keep
            return
        entry.expected = max(0, entry.expected - 1)
        if answer and answer.get("messages"):
            entry.answers.append(answer)
        entry.stamp = self._clock()
        entry.changed.set()

    async def take(self, session_id: str) -> tuple[dict | None, bool]:
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
        return await self.take(session_id)

    async def forget(self, session_id: str) -> None:
        entry = self._entries.pop(session_id, None)
        if entry is not None:
            entry.changed.set()


# Per session: the number of engine turns still expected (a counter), the answers that came (a
# list of JSON objects) and a signal list a waiting client blocks on (BLPOP). Scripts keep each
# step atomic across replicas.
_DELIVER = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if tonumber(redis.call('DECR', KEYS[1])) < 0 then redis.call('SET', KEYS[1], 0) end
redis.call('EXPIRE', KEYS[1], ARGV[2])
if ARGV[1] ~= '' then
  redis.call('RPUSH', KEYS[2], ARGV[1])
  redis.call('EXPIRE', KEYS[2], ARGV[2])
end
redis.call('RPUSH', KEYS[3], '1')
redis.call('EXPIRE', KEYS[3], ARGV[2])
return 1
"""
_TAKE = """
local answers = redis.call('LRANGE', KEYS[2], 0, -1)
redis.call('DEL', KEYS[2])
local expected = tonumber(redis.call('GET', KEYS[1]) or '0')
if expected <= 0 then redis.call('DEL', KEYS[1]) end
return {expected, answers}
"""
# Whether to wait: something is expected and nothing has come. The old signal goes in the same
# step, so a signal found afterwards is a delivery (or a forget) that came after this check.
_SHOULD_WAIT = """
local expected = tonumber(redis.call('GET', KEYS[1]) or '0')
if expected > 0 and redis.call('LLEN', KEYS[2]) == 0 then
  redis.call('DEL', KEYS[3])
  return 1
end
return 0
"""
_FORGET = """
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('RPUSH', KEYS[3], '1')
redis.call('EXPIRE', KEYS[3], ARGV[1])
return 1
"""


class RedisLateAnswers:
    """LateAnswers in Redis, shared by every gateway replica; entries expire after `ttl_seconds`
    (also when the replica expecting an answer died before delivering it).

    Redis failing must not cost the person the 112 answer: every step then logs the error's
    type and does nothing (no late answer), as when the engine does not answer.
    """

    def __init__(self, redis: Redis, ttl_seconds: int = 600) -> None:
        self._redis = redis
        self._ttl = ttl_seconds
        self._deliver = redis.register_script(_DELIVER)
        self._take = redis.register_script(_TAKE)
        self._should_wait = redis.register_script(_SHOULD_WAIT)
        self._forget = redis.register_script(_FORGET)

    @staticmethod
    def _keys(session_id: str) -> list[str]:
        return [
            redis_key("late-expected", session_id),
            redis_key("late-answers", session_id),
            redis_key("late-signal", session_id),
        ]

    @staticmethod
    def _failed(step: str, exc: Exception) -> None:
        log.warning("senare svar i Redis (%s) misslyckades: %s", step, type(exc).__name__)

    async def expect(self, session_id: str) -> None:
        from redis.exceptions import RedisError

        key = self._keys(session_id)[0]
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.incr(key)
                pipe.expire(key, self._ttl)
                await pipe.execute()
        except RedisError as exc:
            self._failed("expect", exc)

    async def deliver(self, session_id: str, answer: dict | None) -> None:
        from redis.exceptions import RedisError

        body = json.dumps(answer, ensure_ascii=False) if answer and answer.get("messages") else ""
        try:
            await self._deliver(keys=self._keys(session_id), args=[body, self._ttl])
        except RedisError as exc:
            self._failed("deliver", exc)

    async def take(self, session_id: str) -> tuple[dict | None, bool]:
        from redis.exceptions import RedisError

        try:
            expected, answers = await self._take(keys=self._keys(session_id))
        except RedisError as exc:
            self._failed("take", exc)
            return None, False
        return merge([json.loads(a) for a in answers]), int(expected) > 0

    async def wait(self, session_id: str, timeout: float) -> tuple[dict | None, bool]:
        from redis.exceptions import RedisError

        keys = self._keys(session_id)
        try:
            if await self._should_wait(keys=keys):
                await self._redis.blpop([keys[2]], timeout=timeout)
        except RedisError as exc:
            self._failed("wait", exc)
        return await self.take(session_id)

    async def forget(self, session_id: str) -> None:
        from redis.exceptions import RedisError

        try:
            await self._forget(keys=self._keys(session_id), args=[self._ttl])
        except RedisError as exc:
            self._failed("forget", exc)
