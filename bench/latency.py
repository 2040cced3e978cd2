"""make bench-latency: POST /api/chat versus Rasa's REST webhook directly, in one run.

Starts its own stack on free ports, warms it up, then measures a single user (sequential
requests) and 16 concurrent users against both targets and prints the ratio gateway/Rasa.
"""

from __future__ import annotations

import asyncio
import socket
import sys
import tempfile
from pathlib import Path

from bench.load_client import gateway_sender, print_table, rasa_sender, run
from tools.stack import Stack

SINGLE_REQUESTS = 60
CONCURRENT_USERS = 16
CONCURRENT_SECONDS = 20.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def measure(stack: Stack) -> None:
    gw, rasa = gateway_sender(stack.url, "bench-gw"), rasa_sender(stack.rasa_url, "bench-rasa")
    await run("uppvärmning", gw, 4, requests_per_user=10)
    results = []
    for users, kwargs in (
        (1, {"requests_per_user": SINGLE_REQUESTS}),
        (CONCURRENT_USERS, {"duration": CONCURRENT_SECONDS}),
    ):
        g = await run("gateway POST /api/chat", gw, users, **kwargs)
        r = await run("rasa /webhooks/rest/webhook", rasa, users, **kwargs)
        results += [g, r]
        print_table([g, r])
        print(
            f"  kvot gateway/rasa: median {g.median_ms / r.median_ms:.2f}×, p95 {g.percentile(95) / r.percentile(95):.2f}×, "
            f"anrop/s {g.rps / r.rps:.2f}×\n"
        )
    print("Sammanfattning:")
    print_table(results)


def main() -> int:
    logs = Path(tempfile.mkdtemp(prefix="lotsen-bench-"))
    # One client address sends everything: the per-client rate limit would answer 429.
    stack = Stack(
        port=free_port(),
        rasa_port=free_port(),
        actions_port=free_port(),
        app_python=sys.executable,
        log_dir=logs,
        data_dir=logs / "data",
        env={"LOTSEN_RATE_LIMIT_PER_MINUTE": "0"},
    )
    stack.start()
    try:
        stack.wait_ready(timeout=240)
        asyncio.run(measure(stack))
    finally:
        stack.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
