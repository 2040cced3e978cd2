"""One Matrix bot among gateway replicas (gateway/matrix/lease.py), against the real Redis.

The lease is what decides; the bot here only records that it runs (a Synapse per replica would
test mautrix, not the lease). Two replicas = two Redis clients, each with its own Lease.
"""

from __future__ import annotations

import asyncio
import secrets

import pytest

TTL = 1.2  # renewed every 0.4 s


@pytest.fixture
def redis_url(redis):
    return f"redis://:{redis.password}@127.0.0.1:{redis.port}/4"


class Bot:
    def __init__(self, name: str, running: set[str], starts: list[str]) -> None:
        self.name, self.running, self.starts = name, running, starts

    def start(self) -> None:
        self.starts.append(self.name)
        self.running.add(self.name)

    async def stop(self) -> None:
        self.running.discard(self.name)


async def watch(running: set[str], seconds: float) -> list[set[str]]:
    seen = []
    for _ in range(int(seconds / 0.05)):
        seen.append(set(running))
        await asyncio.sleep(0.05)
    return seen


def test_one_replica_runs_the_bot_and_another_takes_over_when_it_stops(redis_url):
    from gateway.matrix.lease import Lease, hold_and_run
    from gateway.redis_store import connect

    async def scenario() -> None:
        clients = [connect(redis_url) for _ in range(2)]
        key = "lotsen:matrix-lease:test-" + secrets.token_hex(6)
        running: set[str] = set()
        starts: list[str] = []
        tasks = {
            name: asyncio.create_task(hold_and_run(Lease(c, key, ttl=TTL), lambda n=name: Bot(n, running, starts)))
            for name, c in zip("ab", clients, strict=True)
        }
        try:
            await asyncio.sleep(0.3)
            # Several renewals long, exactly one replica runs the bot, never both.
            seen = await watch(running, 3 * TTL)
            assert all(len(s) == 1 for s in seen), seen
            assert len(starts) == 1
            first = starts[0]
            other = "b" if first == "a" else "a"
            # The holder stops (a replica shut down): it hands the lease on, the other starts.
            tasks[first].cancel()
            await asyncio.gather(tasks[first], return_exceptions=True)
            await asyncio.sleep(TTL)
            assert running == {other} and starts == [first, other]
        finally:
            for task in tasks.values():
                task.cancel()
            await asyncio.gather(*tasks.values(), return_exceptions=True)
            for c in clients:
                await c.aclose()
        assert running == set()

    asyncio.run(scenario())


def test_a_replica_that_died_holding_the_lease_is_replaced_after_one_lifetime(redis_url):
    from gateway.matrix.lease import Lease, hold_and_run
    from gateway.redis_store import connect

    async def scenario() -> None:
        dead_client, live_client = connect(redis_url), connect(redis_url)
        key = "lotsen:matrix-lease:test-" + secrets.token_hex(6)
        running: set[str] = set()
        starts: list[str] = []
        # The dead replica took the lease and then stopped renewing it (killed, frozen).
        assert await Lease(dead_client, key, ttl=TTL).acquire()
        task = asyncio.create_task(hold_and_run(Lease(live_client, key, ttl=TTL), lambda: Bot("b", running, starts)))
        try:
            early = await watch(running, TTL * 0.6)
            assert all(s == set() for s in early), early  # not while the dead one's lease lasts
            await asyncio.sleep(TTL)
            assert running == {"b"}
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await dead_client.aclose()
            await live_client.aclose()

    asyncio.run(scenario())
