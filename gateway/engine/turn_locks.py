"""One turn of a session at a time: two turns of one conversation on two engine instances at
once would interleave in the shared tracker store.

In this process (asyncio locks) for a single gateway; in Redis (LOTSEN_REDIS_URL) when several
gateway replicas share the traffic without sticky routing, so that a session's next turn waits
for its previous one whichever replica got either.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Protocol

from gateway.redis_store import redis_key

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger("lotsen.gateway")


class TurnLockTimeout(Exception):
    """The session's previous turn still held the lock when the wait was over."""


class TurnLocks(Protocol):
    def hold(self, session_id: str, wait: float, hold: float) -> contextlib.AbstractAsyncContextManager[None]:
        """Held while a turn of the session is with the engine. Waits at most `wait` seconds
        (then TurnLockTimeout); a holder that vanishes loses the lock after about `hold`."""


class MemoryTurnLocks:
    def __init__(self) -> None:
        # Weak: a session's lock lives only while a turn holds or waits for it.
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    @contextlib.asynccontextmanager
    async def hold(self, session_id: str, wait: float, hold: float) -> AsyncIterator[None]:
        lock = self._locks.get(session_id)
        if lock is None:
            lock = self._locks[session_id] = asyncio.Lock()
        try:
            async with asyncio.timeout(wait):
                await lock.acquire()
        except TimeoutError:
            raise TurnLockTimeout from None
        try:
            yield
        finally:
            lock.release()


# A lock outlives its turn by this much at most when the replica holding it dies mid-turn.
EXPIRY_MARGIN = 2.0
# How often a waiting replica asks Redis again; a person's turns rarely overlap, so this is
# paid only after a message about danger (whose engine turn runs on in the background).
POLL_SECONDS = 0.02


class RedisTurnLocks:
    """redis-py's lock (SET NX PX with a token, released by a script that checks the token)."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    @contextlib.asynccontextmanager
    async def hold(self, session_id: str, wait: float, hold: float) -> AsyncIterator[None]:
        from redis.exceptions import LockError, RedisError

        lock = self._redis.lock(
            redis_key("turn", session_id), timeout=hold + EXPIRY_MARGIN, sleep=POLL_SECONDS, blocking_timeout=wait
        )
        try:
            acquired: bool | None = await lock.acquire()
        except RedisError as exc:
            # Redis is down: the person still gets an answer; Rasa's own lock store guards the
            # tracker meanwhile.
            log.warning("turlåset i Redis svarar inte (%s); turen går utan lås", type(exc).__name__)
            acquired = None
        if acquired is False:
            raise TurnLockTimeout
        try:
            yield
        finally:
            if acquired:
                with contextlib.suppress(LockError, RedisError):  # expired meanwhile, or Redis gone
                    await lock.release()
