"""The engine client: Rasa's REST channel and the health of Rasa and the action server.

With several Rasa instances (LOTSEN_RASA_URLS) a session always goes to the same instance,
chosen by consistent hashing on the session id: one conversation on one instance avoids the
known race between instances in Rasa's open-source RedisLockStore, and adding or removing an
instance moves only the sessions that hashed to it. When an instance fails, its sessions go to
the next instance on the ring, which continues the conversation from the shared tracker store
(PostgreSQL or the shared SQLite file); after `retry_after` seconds the failed instance is
tried first again. A busy instance may spill a turn to the least busy one (`spill`); a lock
per session (gateway/engine/turn_locks.py: in this process, or in Redis across gateway replicas)
keeps one session's turns one at a time whatever the instance.

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
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

import httpx

from gateway.engine.ring import HashRing
from gateway.engine.slots import Slots
from gateway.engine.turn_locks import MemoryTurnLocks, TurnLocks, TurnLockTimeout
from gateway.http_transport import AiohttpTransport
from knowledge import contract

log = logging.getLogger("lotsen.gateway")


class EngineUnavailable(Exception):
    """Rasa did not answer in time or at all; the gateway answers on its own instead."""


class EngineClient:
    def __init__(
        self,
        rasa_url: str | Sequence[str],
        actions_url: str,
        timeout: float,
        health_timeout: float,
        transport: httpx.AsyncBaseTransport | None = None,
        retry_after: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
        spill: int = 0,
        concurrency: int = 0,
        turn_locks: TurnLocks | None = None,
    ) -> None:
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
        self._turn_locks = turn_locks or MemoryTurnLocks()
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

    async def send(
        self, session_id: str, message: str, urgent: bool = False, timeout: float | None = None
    ) -> dict[str, Any]:
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
        try:
            async with self._turn_locks.hold(session_id, wait=timeout, hold=timeout):
                return await self._send(session_id, message, deadline, urgent)
        except TurnLockTimeout:
            raise EngineUnavailable("the session's previous turn is still being answered") from None

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
                return await self._http.post(
                    f"{url}{contract.WEBHOOK_PATH}",
                    json={"sender": session_id, "message": message},
                    timeout=max(deadline - self._clock(), 0.001),
                )
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
