"""One Matrix bot among the gateway replicas: a lease in the shared Redis (docs/deploy.md).

Every replica runs the same lifespan; with several, each would sync the bot's account and answer
every message once per replica, with a crypto store of its own. So when LOTSEN_REDIS_URL is set,
a replica runs the bot only while it holds the lease: a Redis key set only if absent (SET NX PX),
renewed by its holder every third of its lifetime. A replica that dies stops renewing; after at
most one lifetime another takes the lease and starts the bot. Without Redis there is one gateway
process (or replicas with no shared state, which docs/deploy.md rules out), and it runs the bot.

A hand-written lease rather than redis-py's `Lock`: the lock's extend/release are the same two
Lua scripts, but its blocking acquire and its errors (LockNotOwnedError on a lost lock) are made
for critical sections, not for a holder that must notice losing its lease and stop.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger("lotsen.matrix")

# Compare-and-act: only the holder's own token renews or releases the lease.
_RENEW = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0"
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


class Lease:
    def __init__(self, redis: Redis, key: str, ttl: float = 30.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.redis = redis
        self.key = key
        self.ttl = ttl
        self.token = secrets.token_hex(16)
        self.clock = clock
        self._held_until = 0.0  # by this process's clock: when the lease surely ends

    @property
    def _ms(self) -> int:
        return max(1, int(self.ttl * 1000))

    async def acquire(self) -> bool:
        start = self.clock()
        if await self.redis.set(self.key, self.token, nx=True, px=self._ms):
            self._held_until = start + self.ttl
            return True
        return False

    async def renew(self) -> bool:
        """True when this process still holds the lease, now for another lifetime."""
        start = self.clock()
        if await self.redis.eval(_RENEW, 1, self.key, self.token, self._ms):
            self._held_until = start + self.ttl
            return True
        self._held_until = 0.0
        return False

    def surely_held(self) -> bool:
        """Whether no other process can hold the lease yet, even if Redis cannot be asked: the
        key ends at the last renewal plus one lifetime, with a tenth to spare for clock drift."""
        return self.clock() < self._held_until - self.ttl / 10

    async def release(self) -> None:
        self._held_until = 0.0
        await self.redis.eval(_RELEASE, 1, self.key, self.token)


class Runnable(Protocol):
    def start(self) -> None: ...

    def stop(self) -> Awaitable[None]: ...


async def hold_and_run(lease: Lease, make: Callable[[], Runnable]) -> None:
    """Run `make()`'s bot while the lease is held, for as long as this task runs: wait for the
    lease, start a new bot, renew; stop the bot when the lease is lost or cannot be renewed
    before it would end. Cancelling the task stops the bot and hands the lease on at once."""
    from redis.exceptions import RedisError

    pause = lease.ttl / 3
    while True:
        try:
            acquired = await lease.acquire()
        except (RedisError, OSError) as exc:
            log.warning("Matrix: Redis svarar inte (%s); boten väntar.", type(exc).__name__)
            acquired = False
        if not acquired:
            await asyncio.sleep(pause)
            continue
        bot = make()
        bot.start()
        log.info("Matrix: den här gatewayen kör boten.")
        try:
            while True:
                await asyncio.sleep(pause)
                try:
                    if not await lease.renew():
                        log.warning("Matrix: en annan gateway har tagit över boten.")
                        break
                except (RedisError, OSError) as exc:
                    if not lease.surely_held():
                        log.warning("Matrix: Redis svarar inte (%s); boten stoppas här.", type(exc).__name__)
                        break
        finally:
            await bot.stop()
            try:
                await lease.release()
            except (RedisError, OSError):
                pass  # it ends by itself after one lifetime
