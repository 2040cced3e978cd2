"""The engine client: Rasa's REST channel and the health of Rasa and the action server.

With several Rasa instances (LOTSEN_RASA_URLS) a session always goes to the same instance,
chosen by consistent hashing on the session id: one conversation on one instance avoids the
known race between instances in Rasa's open-source RedisLockStore, and adding or removing an
instance moves only the sessions that hashed to it. When an instance fails, its sessions go to
the next instance on the ring, which continues the conversation from the shared tracker store
(PostgreSQL or the shared SQLite file); after `retry_after` seconds the failed instance is
tried first again. A busy instance may spill a turn to the least busy one (`spill`); a lock
per session keeps one session's turns one at a time in this process whatever the instance.

At most `concurrency` turns are sent to one instance at a time; the rest wait here, first come
first served, except that a message about danger right now (`urgent`) goes first. Rasa handles
every request on one event loop: a request on a new connection needs several turns of that loop
before Rasa reads it, and under load each turn of the loop runs the CPU-bound steps of every
other request in flight, so of 32 requests sent at once the last was answered only after up to
2.5 s while requests on warm connections overtook them (measured, docs/deploy.md "Sizing").
Queued here instead, they go in order over a few kept-alive connections.
"""
from __future__ import annotations

import asyncio
import bisect
import collections
import contextlib
import hashlib
import logging
import time
import weakref
from collections.abc import Callable, Sequence
from typing import Any

import httpx

from gateway.http_transport import AiohttpTransport
from knowledge import contract

log = logging.getLogger("lotsen.gateway")


class EngineUnavailable(Exception):
    """Rasa did not answer in time or at all; the gateway answers on its own instead."""


def _hash(key: str) -> int:
    # blake2b rather than hash(): stable across processes, so every gateway replica agrees.
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big")


class HashRing:
    """Consistent hashing with virtual nodes: each instance owns many small arcs of the ring,
    so sessions spread evenly and a failed instance's share is split among all the others."""

    def __init__(self, nodes: Sequence[str], replicas: int = 128) -> None:
        if not nodes:
            raise ValueError("at least one engine instance is needed")
        self.nodes = list(dict.fromkeys(nodes))
        points = sorted((_hash(f"{node}#{i}"), node) for node in self.nodes for i in range(replicas))
        self._keys = [p for p, _ in points]
        self._owners = [n for _, n in points]

    def preference(self, key: str) -> list[str]:
        """Every instance once, in the order this key should try them (owner first)."""
        if len(self.nodes) == 1:
            return list(self.nodes)
        start = bisect.bisect(self._keys, _hash(key))
        order: list[str] = []
        for i in range(len(self._owners)):
            node = self._owners[(start + i) % len(self._owners)]
            if node not in order:
                order.append(node)
                if len(order) == len(self.nodes):
                    break
        return order


class Slots:
    """At most `size` holders at a time; waiters get a slot in arrival order, urgent ones
    (a message about danger right now) before all others."""

    def __init__(self, size: int) -> None:
        self._free = size
        self._waiting: collections.deque[asyncio.Future] = collections.deque()
        self._urgent: collections.deque[asyncio.Future] = collections.deque()

    async def acquire(self, urgent: bool = False) -> None:
        if self._free > 0 and not self._waiting and not self._urgent:
            self._free -= 1
            return
        waiter = asyncio.get_running_loop().create_future()
        (self._urgent if urgent else self._waiting).append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release()  # handed a slot in the same moment it gave up: pass it on
            else:
                with contextlib.suppress(ValueError):  # release() may have dropped it already
                    (self._urgent if urgent else self._waiting).remove(waiter)
            raise

    def release(self) -> None:
        for queue in (self._urgent, self._waiting):
            while queue:
                waiter = queue.popleft()
                if not waiter.done():
                    waiter.set_result(None)  # the slot goes straight to the waiter
                    return
        self._free += 1


class EngineClient:
    def __init__(self, rasa_url: str | Sequence[str], actions_url: str, timeout: float, health_timeout: float,
                 transport: httpx.AsyncBaseTransport | None = None, retry_after: float = 10.0,
                 clock: Callable[[], float] = time.monotonic, spill: int = 0, concurrency: int = 0) -> None:
        urls = [rasa_url] if isinstance(rasa_url, str) else list(rasa_url)
        self._ring = HashRing([u.rstrip("/") for u in urls])
        self._actions_url = actions_url.rstrip("/")
        self._timeout = timeout
        self._health_timeout = health_timeout
        self._retry_after = retry_after
        self._clock = clock
        self._down_until: dict[str, float] = {}
        # Spill-over: when a session's own instance has `spill` more turns in flight than the
        # least busy one, the turn goes there instead (0: never). Every instance reads the
        # conversation from the shared tracker store, so any of them can continue it; what a
        # session must not have is two turns at once on two instances, hence the lock.
        self._spill = spill
        # Turns in flight per instance, those waiting for a slot included.
        self._in_flight: dict[str, int] = dict.fromkeys(self._ring.nodes, 0)
        # 0: no limit.
        self._slots = {url: Slots(concurrency) for url in self._ring.nodes} if concurrency > 0 else {}
        self._session_locks: "weakref.WeakValueDictionary[str, asyncio.Lock]" = weakref.WeakValueDictionary()
        # One pooled client per process: connection set-up would otherwise dominate latency.
        # aiohttp underneath unless a test injects a transport (gateway/http_transport.py).
        self._http = httpx.AsyncClient(timeout=timeout, transport=transport or AiohttpTransport())

    @property
    def instances(self) -> list[str]:
        return list(self._ring.nodes)

    async def close(self) -> None:
        await self._http.aclose()

    def route(self, session_id: str) -> list[str]:
        """The instances to try for a session: its own first, instances marked down last."""
        order = self._ring.preference(session_id)
        now = self._clock()
        up = [u for u in order if self._down_until.get(u, 0.0) <= now]
        if self._spill and len(up) > 1:
            idlest = min(up, key=lambda u: self._in_flight[u])
            if self._in_flight[up[0]] - self._in_flight[idlest] >= self._spill:
                up.remove(idlest)
                up.insert(0, idlest)
        return up + [u for u in order if self._down_until.get(u, 0.0) > now]

    def _mark_down(self, url: str, reason: str) -> None:
        if len(self._ring.nodes) > 1:
            # The instance URL only: session ids and messages stay out of the logs.
            log.warning("motorinstans %s svarar inte (%s); dess samtal går till nästa instans", url, reason)
        self._down_until[url] = self._clock() + self._retry_after

    async def send(self, session_id: str, message: str, urgent: bool = False,
                   timeout: float | None = None) -> dict[str, Any]:
        """Send a text or a '/intent' payload; returns the engine's answer to this turn
        (bot/channel.py: {"messages", "meta"}, read with knowledge.contract.decode_answer).

        The whole turn, re-routing included, stays within the engine timeout (or `timeout`:
        longer for a turn the gateway has already answered itself, whose caller is not kept
        waiting). Only a message that cannot have reached an instance (it refused or never
        accepted the connection, or is gone) is sent to the next one: a slow instance may
        still process it, and sending it twice would answer the same message twice in one
        conversation. An `urgent` turn waits for an engine slot ahead of the others.
        """
        timeout = self._timeout if timeout is None else timeout
        deadline = self._clock() + timeout
        lock = self._session_locks.get(session_id)
        if lock is None:
            lock = self._session_locks[session_id] = asyncio.Lock()
        try:
            async with asyncio.timeout(timeout):
                await lock.acquire()
        except TimeoutError:
            raise EngineUnavailable("the session's previous turn is still being answered") from None
        try:
            return await self._send(session_id, message, deadline, urgent)
        finally:
            lock.release()

    async def _post(self, url: str, session_id: str, message: str, deadline: float, urgent: bool) -> httpx.Response:
        self._in_flight[url] += 1
        slot = self._slots.get(url)
        try:
            if slot is not None:
                try:
                    async with asyncio.timeout(deadline - self._clock()):
                        await slot.acquire(urgent)
                except TimeoutError:
                    # Busy, not down: the turn never left this process.
                    raise EngineUnavailable("every engine slot was busy until the timeout") from None
            try:
                return await self._http.post(f"{url}{contract.WEBHOOK_PATH}",
                                             json={"sender": session_id, "message": message},
                                             timeout=max(deadline - self._clock(), 0.001))
            finally:
                if slot is not None:
                    slot.release()
        finally:
            self._in_flight[url] -= 1

    async def _send(self, session_id: str, message: str, deadline: float, urgent: bool) -> dict[str, Any]:
        last: Exception | None = None
        for url in self.route(session_id):
            remaining = deadline - self._clock()
            if remaining <= 0:
                break
            try:
                response = await self._post(url, session_id, message, deadline, urgent)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                self._mark_down(url, type(exc).__name__)
                last = exc
                continue
            except httpx.TransportError as exc:
                self._mark_down(url, type(exc).__name__)
                if not isinstance(exc, httpx.TimeoutException) and not await self._reachable(url):
                    last = exc  # the instance died with the message: nothing was answered
                    continue
                raise EngineUnavailable(str(exc) or type(exc).__name__) from exc
            self._down_until.pop(url, None)
            try:
                response.raise_for_status()
                data = response.json()
            except (httpx.HTTPError, ValueError) as exc:
                raise EngineUnavailable(str(exc) or type(exc).__name__) from exc
            if not isinstance(data, dict):
                raise EngineUnavailable("unexpected reply from Rasa")
            return data
        raise EngineUnavailable(str(last) if last else "no engine instance answered in time")

    async def _reachable(self, url: str) -> bool:
        try:
            await self._http.get(f"{url}/", timeout=min(self._health_timeout, 0.5))
            return True
        except httpx.HTTPError:
            return False

    async def _up(self, url: str) -> bool:
        try:
            response = await self._http.get(url, timeout=self._health_timeout)
            return response.status_code == 200
        except httpx.HTTPError:
            return False

    async def health(self) -> tuple[bool, bool]:
        """(engine up, action server up), checked concurrently within the health timeout.

        The engine is up when at least one instance is; the check also refreshes which
        instances are marked down, so a recovered instance gets its sessions back sooner.
        """
        urls = self._ring.nodes
        results = await asyncio.gather(*(self._up(f"{u}/") for u in urls), self._up(f"{self._actions_url}/health"))
        for url, up in zip(urls, results[:-1], strict=True):
            if up:
                self._down_until.pop(url, None)
            elif len(urls) > 1:
                self._down_until[url] = self._clock() + self._retry_after
        return any(results[:-1]), results[-1]
