"""A small asyncio load client: N concurrent users, each sending requests back to back.

aiohttp rather than httpx: the client shares the 2 cores with what it measures, and httpx
costs about 1.3 ms more CPU per request (measured: 1.6 against 0.4 ms with a local server).
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import aiohttp

QUESTIONS = [
    "Vad gör jag om jag blir erbjuden en gåva?",
    "En klient sa att han vet var jag bor",
    "Får jag ha ett extrajobb som konsult?",
    "Min chef vill att jag handlägger min kusins ärende",
    "någon ringer hela tiden och skäller ut mig",
    "Vem ska jag kontakta om jag blir hotad?",
    "jag blev erbjuden pengar för att bevilja bidraget",
    "hej",
]

# Each simulated user holds conversations of this many turns, then starts a new one.
TURNS_PER_CONVERSATION = 5


@dataclass
class Result:
    name: str
    users: int
    requests: int
    errors: int
    seconds: float
    latencies: list[float]
    # CPU ms per request of each measured process (bench/load.py fills it in).
    cpu_ms: dict[str, float] = field(default_factory=dict)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] * 1000

    @property
    def median_ms(self) -> float:
        return statistics.median(self.latencies) * 1000 if self.latencies else float("nan")


Send = Callable[[aiohttp.ClientSession, int, int], Awaitable[bool]]


async def run(
    name: str, send: Send, users: int, requests_per_user: int | None = None, duration: float | None = None
) -> Result:
    """Each user sends requests until its count or the duration is reached (bounded either way)."""
    latencies: list[float] = []
    errors = 0
    connector = aiohttp.TCPConnector(limit=users)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=30)) as client:
        deadline = time.perf_counter() + (duration or 3600)

        async def user(uid: int) -> None:
            nonlocal errors
            i = 0
            while (requests_per_user is None or i < requests_per_user) and time.perf_counter() < deadline:
                t0 = time.perf_counter()
                try:
                    ok = await send(client, uid, i)
                except (aiohttp.ClientError, asyncio.TimeoutError):
                    ok = False
                latencies.append(time.perf_counter() - t0)
                errors += 0 if ok else 1
                i += 1

        started = time.perf_counter()
        await asyncio.gather(*(user(u) for u in range(users)))
        seconds = time.perf_counter() - started
    return Result(name, users, len(latencies), errors, seconds, latencies)


def print_table(results: list[Result]) -> None:
    width = max([34, *(len(r.name) + 2 for r in results)])
    print(
        f"{'mål':<{width}}{'användare':>10}{'anrop':>8}{'fel':>6}{'median ms':>11}{'p95 ms':>9}{'p99 ms':>9}"
        f"{'max ms':>9}{'anrop/s':>10}"
    )
    for r in results:
        print(
            f"{r.name:<{width}}{r.users:>10}{r.requests:>8}{r.errors:>6}{r.median_ms:>11.1f}"
            f"{r.percentile(95):>9.1f}{r.percentile(99):>9.1f}{r.percentile(100):>9.1f}{r.rps:>10.1f}"
        )


def session(prefix: str, uid: int, i: int) -> str:
    return f"{prefix}-{uid:03d}-{i // TURNS_PER_CONVERSATION:05d}"


def gateway_sender(url: str, prefix: str = "load-gw") -> Send:
    async def send(client, uid, i):
        body = {"session_id": session(prefix, uid, i), "text": QUESTIONS[(uid + i) % len(QUESTIONS)]}
        async with client.post(f"{url}/api/chat", json=body) as r:
            return r.status == 200 and (await r.json()).get("engine") == "rasa"

    return send


def rasa_sender(url: str, prefix: str = "load-anchor") -> Send:
    async def send(client, uid, i):
        body = {"sender": session(prefix, uid, i), "message": QUESTIONS[(uid + i) % len(QUESTIONS)]}
        async with client.post(f"{url}/webhooks/rest/webhook", json=body) as r:
            return r.status == 200 and isinstance(await r.json(), list)

    return send
