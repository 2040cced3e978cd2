"""make bench-emergency: how fast a message about danger right now gets its 112 answer.

One stack as `make run` starts it (gateway, LOTSEN_ENGINE_INSTANCES Rasa processes, action
server) on free loopback ports. The emergency answer's latency at the gateway (client side,
loopback) with the engine

- up:      idle;
- 64 users: while 64 simulated users send ordinary questions back to back (bench.load_client);
- frozen:  every Rasa process stopped with SIGSTOP (a hung or overloaded engine);
- killed:  every Rasa process killed (SIGKILL);

for the gateway as it is (the 112 answer at once, the engine's answer late: docs/adr/0003-…)
and, as the alternative in the same run, for the behaviour before issue 21
(LOTSEN_EMERGENCY_IMMEDIATE=false: the flagged turn waits for the engine like any other,
ahead of the queue). In each state one person reports danger again and again, each time in a
new conversation (after five reports that warm the path up and are not counted); ordinary
questions from 8 people at once are measured beside them. Every loop is bounded (a number of
requests or a duration); nothing leaves the machine.

Usage: python -m bench.emergency [--requests 100] [--seconds 20] [--engine-instances N]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import httpx

from bench.load import free_port
from bench.load_client import QUESTIONS, gateway_sender, run
from tools.stack import Stack, default_engine_instances

DANGER = [
    "han står här med en kniv och hotar mig",
    "någon hotar mig med kniv just nu",
    "Hjälp, en man slår sönder receptionen och skriker att han ska döda oss",
    "Jag blev hotad med kniv igår, hur gör jag en polisanmälan?",
]
ORDINARY = [q for q in QUESTIONS if q != "hej"]
PEOPLE = 8  # ordinary questions in flight at once in the idle, frozen and killed states
WARM_UP = 5  # emergency reports per state before the counted ones
PAUSE = 0.02  # seconds between one person's reports
SLOW_REPORTS = 20  # reports while waiting for a frozen engine (3 s each)
MODES = {"direkt (nu)": "true", "väntar på motorn (före #21)": "false"}


@dataclass
class Sample:
    state: str
    mode: str
    kind: str  # "akut" or "vanlig"
    latencies: list[float] = field(default_factory=list)
    engines: dict[str, int] = field(default_factory=dict)
    wrong: int = 0  # an emergency answer without the 112 line first, or not HTTP 200

    def pct(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] * 1000


async def one(client: aiohttp.ClientSession, url: str, session: str, text: str, sample: Sample, line: str) -> None:
    t0 = time.perf_counter()
    try:
        async with client.post(f"{url}/api/chat", json={"session_id": session, "text": text}) as r:
            body = await r.json()
            ok = r.status == 200
    except (aiohttp.ClientError, asyncio.TimeoutError, ValueError):
        body, ok = {}, False
    sample.latencies.append(time.perf_counter() - t0)
    engine = body.get("engine", "fel") if ok else "fel"
    sample.engines[engine] = sample.engines.get(engine, 0) + 1
    if not ok or (sample.kind == "akut" and (body.get("messages") or [{}])[0].get("text") != line):
        sample.wrong += 1


async def burst(url: str, sample: Sample, texts: list[str], requests: int, line: str, tag: str) -> Sample:
    """`requests` turns, each in a new conversation, PEOPLE at a time."""
    queue = list(range(requests))
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as client:

        async def person() -> None:
            while queue:
                i = queue.pop()
                await one(client, url, f"bench-em-{tag}-{i:05d}", texts[i % len(texts)], sample, line)

        await asyncio.gather(*(person() for _ in range(PEOPLE)))
    return sample


async def reports(url: str, sample: Sample, requests: int, line: str, tag: str, warm_up: int = WARM_UP) -> Sample:
    """One person reporting danger `requests` times, each time in a new conversation."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as client:
        ignored = Sample(sample.state, sample.mode, "akut")
        for i in range(warm_up):
            await one(client, url, f"bench-em-{tag}-warm-{i:03d}", DANGER[i % len(DANGER)], ignored, line)
        for i in range(requests):
            await one(client, url, f"bench-em-{tag}-{i:05d}", DANGER[i % len(DANGER)], sample, line)
            await asyncio.sleep(PAUSE)
    return sample


async def under_load(url: str, mode: str, seconds: float, line: str, tag: str) -> list[Sample]:
    """64 users of ordinary questions for `seconds`; one person meanwhile reports danger,
    again and again, each time in a new conversation."""
    danger = Sample("64 användare", mode, "akut")
    stop = time.perf_counter() + seconds

    async def reporter() -> None:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as client:
            await asyncio.sleep(1.0)  # the load has started
            i = 0
            while time.perf_counter() < stop:
                await one(client, url, f"bench-em-{tag}-{i:05d}", DANGER[i % len(DANGER)], danger, line)
                i += 1
                await asyncio.sleep(PAUSE)

    load, _ = await asyncio.gather(
        run("vanlig", gateway_sender(url, prefix=f"bench-em-{tag}"), 64, duration=seconds), reporter()
    )
    ordinary = Sample(
        "64 användare",
        mode,
        "vanlig",
        latencies=load.latencies,
        engines={"rasa": load.requests - load.errors, "annat": load.errors},
    )
    return [danger, ordinary]


def signal_engines(stack: Stack, sig: int) -> None:
    for name in stack.engine_names:
        proc = stack.processes.get(name)
        if proc is not None and proc.poll() is None:
            os.killpg(proc.pid, sig)


def restart_gateway(stack: Stack, immediate: str, engine_up: bool) -> None:
    stack.env["LOTSEN_EMERGENCY_IMMEDIATE"] = immediate
    if engine_up:
        stack.restart("gateway", timeout=300)
        return
    stack.stop_one("gateway")
    stack.start(only=("gateway",))
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if stack.health():
            return
        time.sleep(0.3)
    raise TimeoutError("gatewayen startade inte")


def wait_engine_answers(url: str, timeout: float = 120) -> None:
    """After SIGCONT: until an ordinary question is answered by the engine again."""
    deadline = time.monotonic() + timeout
    i = 0
    while time.monotonic() < deadline:
        try:
            body = httpx.post(
                f"{url}/api/chat", json={"session_id": f"bench-em-thaw-{i:05d}", "text": ORDINARY[0]}, timeout=30
            ).json()
            if body.get("engine") == "rasa":
                return
        except (httpx.HTTPError, ValueError):
            pass
        i += 1
        time.sleep(0.5)
    raise TimeoutError("motorn svarade inte igen efter SIGCONT")


def measure(stack: Stack, requests: int, ordinary: int, seconds: float, line: str) -> list[Sample]:
    samples: list[Sample] = []
    for mode, immediate in MODES.items():
        tag = "now" if immediate == "true" else "before"
        restart_gateway(stack, immediate, engine_up=True)
        asyncio.run(burst(stack.url, Sample("uppvärmning", mode, "vanlig"), ORDINARY, 16, line, f"{tag}-warm"))
        samples.append(asyncio.run(reports(stack.url, Sample("uppe", mode, "akut"), requests, line, f"{tag}-up")))
        samples.append(
            asyncio.run(burst(stack.url, Sample("uppe", mode, "vanlig"), ORDINARY, ordinary, line, f"{tag}-up-vanlig"))
        )
        samples += asyncio.run(under_load(stack.url, mode, seconds, line, f"{tag}-load"))
        wait_engine_answers(stack.url)  # the queue has drained
        signal_engines(stack, signal.SIGSTOP)
        try:
            # Waiting for a frozen engine costs the whole engine timeout per report: fewer of them.
            slow = immediate != "true"
            samples.append(
                asyncio.run(
                    reports(
                        stack.url,
                        Sample("fryst (SIGSTOP)", mode, "akut"),
                        min(requests, SLOW_REPORTS) if slow else requests,
                        line,
                        f"{tag}-frozen",
                        warm_up=1 if slow else WARM_UP,
                    )
                )
            )
            samples.append(
                asyncio.run(
                    burst(
                        stack.url,
                        Sample("fryst (SIGSTOP)", mode, "vanlig"),
                        ORDINARY,
                        ordinary,
                        line,
                        f"{tag}-frozen-vanlig",
                    )
                )
            )
        finally:
            signal_engines(stack, signal.SIGCONT)
        wait_engine_answers(stack.url)
        print(f"  {mode}: uppe, 64 användare och fryst mätta", flush=True)
    for name in stack.engine_names:
        stack.stop_one(name, sig=signal.SIGKILL)
    for mode, immediate in MODES.items():
        tag = "now" if immediate == "true" else "before"
        restart_gateway(stack, immediate, engine_up=False)
        samples.append(
            asyncio.run(reports(stack.url, Sample("dödad (SIGKILL)", mode, "akut"), requests, line, f"{tag}-killed"))
        )
        samples.append(
            asyncio.run(
                burst(
                    stack.url,
                    Sample("dödad (SIGKILL)", mode, "vanlig"),
                    ORDINARY,
                    ordinary,
                    line,
                    f"{tag}-killed-vanlig",
                )
            )
        )
    return samples


def print_table(samples: list[Sample]) -> None:
    states = ["uppe", "64 användare", "fryst (SIGSTOP)", "dödad (SIGKILL)"]
    print(
        f"\n{'motorn':<17}{'svar':<8}{'gatewayen':<29}{'antal':>7}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}"
        f"{'fel':>5}  svarade"
    )
    for state in states:
        for kind in ("akut", "vanlig"):
            for mode in MODES:
                for s in samples:
                    if (s.state, s.kind, s.mode) == (state, kind, mode):
                        engines = ", ".join(f"{k} {v}" for k, v in sorted(s.engines.items()))
                        print(
                            f"{state:<17}{kind:<8}{mode:<29}{len(s.latencies):>7}{s.pct(50):>9.1f}{s.pct(99):>9.1f}"
                            f"{s.pct(100):>9.1f}{s.wrong:>5}  {engines}"
                        )
    print("\nMål: akut p99 ≤ 100 ms i alla fyra tillstånd med gatewayen som den är nu:")
    for state in states:
        for s in samples:
            if (s.state, s.kind, s.mode) == (state, "akut", next(iter(MODES))):
                verdict = "ja" if s.pct(99) <= 100 and s.wrong == 0 else "NEJ"
                print(f"  {state:<17} p99 {s.pct(99):7.1f} ms, fel {s.wrong}: {verdict}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=100, help="emergency reports per state and mode")
    parser.add_argument("--ordinary", type=int, default=40, help="ordinary questions per state and mode")
    parser.add_argument("--seconds", type=float, default=20, help="length of the 64-user load")
    parser.add_argument("--engine-instances", type=int, default=default_engine_instances())
    args = parser.parse_args(argv)
    from knowledge.loader import load

    line = load().phrases["emergency_line"]
    work = Path(tempfile.mkdtemp(prefix="lotsen-emergency-"))
    stack = Stack(
        port=free_port(),
        rasa_ports=tuple(free_port() for _ in range(args.engine_instances)),
        actions_port=free_port(),
        app_python=sys.executable,
        log_dir=work / "logs",
        data_dir=work / "data",
        env={"LOTSEN_RATE_LIMIT_PER_MINUTE": "0"},
    )
    try:
        stack.start()
        stack.wait_ready(timeout=300)
        print(
            f"make bench-emergency: {args.engine_instances} Rasa-processer; per tillstånd och läge "
            f"{args.requests} akuta meddelanden (en person, i tur och ordning) och {args.ordinary} vanliga frågor "
            f"({PEOPLE} åt gången); 64 användare i {args.seconds:.0f} s",
            flush=True,
        )
        samples = measure(stack, args.requests, args.ordinary, args.seconds, line)
    finally:
        signal_engines(stack, signal.SIGCONT)
        stack.stop()
    print_table(samples)
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
