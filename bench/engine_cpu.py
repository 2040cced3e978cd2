"""make bench-engine-cpu: CPU time and memory of one Rasa process per turn, for each way of
starting it, in the same run.

Requests/s on the shared 2-core machine move by ±15 % between runs of the same configuration
(docs/deploy.md); the CPU time the Rasa process itself spent per turn (from /proc, user +
system) does not depend on what else runs, and with one core per Rasa process it is what
bounds throughput. Each configuration gets its own action server and Rasa process (the
gateway is left out: it is the same for all), a warm-up, then the same turns: conversations
of five turns over the load benchmark's questions, `--concurrency` at a time, straight to
Rasa's REST channel.

Configurations: the default start (patches and lean start), LOTSEN_ENGINE_LEAN=0 (patches,
Rasa's own loading: TensorFlow and all) and LOTSEN_STOCK_RASA=1 (stock Rasa, no patch). The
order is rotated with --rounds > 1 so that no configuration always runs first.

With --compare-ref DIR (another worktree with its own `make setup model`, e.g. an older commit)
it compares instead this tree's default start with DIR's, both up at once, in alternating
batches of --turns: sequential runs of the same code move by up to 40 % on a shared machine
(docs/deploy.md), alternating batches see the same machine.

Usage: python -m bench.engine_cpu [--turns 600] [--concurrency 4] [--rounds 2] [--compare-ref DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

from bench.load import free_port, group_rss_mb
from bench.load_client import QUESTIONS, TURNS_PER_CONVERSATION
from tools.stack import LOOPBACK, ROOT, Stack, engine_env

CONFIGURATIONS = (
    ("lean (standard)", {}),
    ("LOTSEN_ENGINE_LEAN=0", {"LOTSEN_ENGINE_LEAN": "0"}),
    ("LOTSEN_STOCK_RASA=1", {"LOTSEN_STOCK_RASA": "1"}),
)
TICKS = os.sysconf("SC_CLK_TCK")


def group_cpu_seconds(pgid: int) -> float:
    """User + system CPU seconds of every live process in a process group."""
    ticks = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid:
                ticks += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            continue
    return ticks / TICKS


async def turns(url: str, count: int, concurrency: int, prefix: str) -> int:
    """Send `count` turns, `concurrency` at a time; returns how many got an answer."""
    answered = 0
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(count):
        queue.put_nowait(i)

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal answered
        while not queue.empty():
            i = queue.get_nowait()
            body = {"sender": f"{prefix}-{i // TURNS_PER_CONVERSATION}", "message": QUESTIONS[i % len(QUESTIONS)]}
            async with session.post(f"{url}/webhooks/rest/webhook", json=body) as response:
                if response.status == 200 and await response.json():
                    answered += 1

    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
    return answered


def wait_for_rasa(stack: Stack, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for name, proc in stack.processes.items():
            if proc.poll() is not None:
                raise RuntimeError(f"{name} avslutades med kod {proc.returncode}")
        if stack.instance_up("rasa"):
            return
        time.sleep(0.5)
    raise TimeoutError("Rasa svarade inte")


def measure(label: str, env: dict[str, str], count: int, concurrency: int, work: Path) -> dict:
    stack = Stack(
        rasa_ports=(free_port(),),
        actions_port=free_port(),
        app_python=sys.executable,
        log_dir=work / "logs",
        data_dir=work / "data",
        env=env,
    )
    stack.start(only=("actions", "rasa"))
    try:
        wait_for_rasa(stack)
        url = f"http://{LOOPBACK}:{stack.engine_ports[0]}"
        rasa = stack.processes["rasa"].pid
        asyncio.run(turns(url, 50, concurrency, "warm"))
        cpu = group_cpu_seconds(rasa)
        started = time.monotonic()
        answered = asyncio.run(turns(url, count, concurrency, "cpu"))
        wall = time.monotonic() - started
        cpu = group_cpu_seconds(rasa) - cpu
        return {
            "label": label,
            "answered": answered,
            "count": count,
            "cpu_ms": cpu * 1000 / count,
            "rss_mb": group_rss_mb(rasa),
            "wall_rps": count / wall,
        }
    finally:
        stack.stop()


def start_engine(root: Path, work: Path) -> tuple[str, list[subprocess.Popen]]:
    """An action server and one Rasa process from the worktree `root` (its venv, model and
    code); returns Rasa's URL and the processes. Older commits start the action server with
    `python -m rasa_sdk`, newer ones with `python -m actions`."""
    actions_port, rasa_port = free_port(), free_port()
    (work / "data").mkdir(parents=True, exist_ok=True)
    env = engine_env(
        {
            **os.environ,
            "SANIC_HOST": LOOPBACK,
            "RASA_TELEMETRY_ENABLED": "false",
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "LOTSEN_ACTIONS_PORT": str(actions_port),
            "LOTSEN_ACTIONS_URL": f"http://{LOOPBACK}:{actions_port}",
            "LOTSEN_DATA_DIR": str(work / "data"),
            "LOTSEN_RETENTION_DAYS": "30",
        }
    )
    python = str(root / ".venv-engine" / "bin" / "python")
    actions = "actions" if (root / "actions" / "__main__.py").exists() else "rasa_sdk"
    commands = {
        "actions": [python, "-m", actions, "--actions", "actions", "-p", str(actions_port)],
        "rasa": [
            *(python, "-m", "bot.serve", "run", "--model", str(root / "models" / "lotsen.tar.gz")),
            *("--endpoints", "bot/endpoints.yml", "--credentials", "bot/credentials.yml"),
            *("-i", LOOPBACK, "-p", str(rasa_port)),
        ],
    }
    processes = []
    for name, command in commands.items():
        with open(work / f"{name}.log", "ab") as log:
            processes.append(
                subprocess.Popen(
                    command, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
                )
            )
    url = f"http://{LOOPBACK}:{rasa_port}"
    deadline = time.monotonic() + 300
    while not httpx_up(url):
        if time.monotonic() > deadline or any(p.poll() is not None for p in processes):
            stop(processes)
            raise RuntimeError(f"Rasa i {root} startade inte (loggar i {work})")
        time.sleep(0.5)
    return url, processes


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        process.wait(timeout=30)


def httpx_up(url: str) -> bool:
    import httpx

    try:
        return httpx.get(f"{url}/", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def compare_ref(ref: Path, count: int, concurrency: int, batches: int, work: Path) -> None:
    """This tree against `ref`, both up at once, in alternating batches of `count` turns."""
    engines = {}
    try:
        for label, root in (("denna", ROOT), (f"ref {ref.name}", ref)):
            url, processes = start_engine(root, work / label.replace(" ", "-"))
            engines[label] = (url, processes)
            asyncio.run(turns(url, 50, concurrency, "warm"))
        cpu: dict[str, list[tuple[float, float]]] = {label: [] for label in engines}
        for batch in range(batches):
            labels = list(engines) if batch % 2 == 0 else list(engines)[::-1]
            for label in labels:
                url, (actions, rasa) = engines[label]
                before = group_cpu_seconds(rasa.pid), group_cpu_seconds(actions.pid)
                asyncio.run(turns(url, count, concurrency, f"cmp{batch}"))
                after = group_cpu_seconds(rasa.pid), group_cpu_seconds(actions.pid)
                cpu[label].append(((after[0] - before[0]) * 1000 / count, (after[1] - before[1]) * 1000 / count))
            print(
                f"omgång {batch + 1}: "
                + "  ".join(
                    f"{label}: Rasa {rows[-1][0]:.2f}, actions {rows[-1][1]:.2f} ms/tur" for label, rows in cpu.items()
                ),
                flush=True,
            )
        print(
            f"\nCPU ms per tur (median av {batches} omgångar à {count} turer, {concurrency} samtidigt, samma körning):"
        )
        base = statistics.median(r for r, _ in cpu["denna"])
        for label, rows in cpu.items():
            rasa_ms = statistics.median(r for r, _ in rows)
            print(
                f"  {label:<24} Rasa {rasa_ms:6.2f} ({(rasa_ms / base - 1) * 100:+.0f} % mot denna)  "
                f"actions {statistics.median(a for _, a in rows):5.2f}"
            )
    finally:
        for _, processes in engines.values():
            stop(processes)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--turns", type=int, default=600)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--compare-ref", type=Path, help="another worktree to compare with, batch by batch")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="lotsen-engine-cpu-"))
    if args.compare_ref:
        compare_ref(args.compare_ref.resolve(), args.turns, args.concurrency, max(args.rounds, 2) * 2, work)
        return 0
    results: dict[str, list[dict]] = {label: [] for label, _ in CONFIGURATIONS}
    for round_ in range(args.rounds):
        shift = round_ % len(CONFIGURATIONS)
        for label, env in CONFIGURATIONS[shift:] + CONFIGURATIONS[:shift]:
            r = measure(label, env, args.turns, args.concurrency, work / f"{round_}-{len(results[label])}-{label[:4]}")
            results[label].append(r)
            print(
                f"omgång {round_ + 1}: {label:<24} Rasa-CPU {r['cpu_ms']:6.2f} ms/tur  RSS {r['rss_mb']:6.0f} MB  "
                f"{r['wall_rps']:6.1f} tur/s  svar {r['answered']}/{r['count']}",
                flush=True,
            )
    print(
        f"\nEn Rasa-process, {args.turns} turer × {args.rounds} omgångar, {args.concurrency} samtidigt "
        "(samma körning; CPU = user + system ur /proc):"
    )
    print(
        f"{'konfiguration':<26}{'Rasa-CPU ms/tur (median)':>26}{'min':>8}{'max':>8}{'RSS MB':>9}{'tur/s på 1 kärna':>19}"
    )
    for label, rows in results.items():
        cpu = [r["cpu_ms"] for r in rows]
        median = statistics.median(cpu)
        print(
            f"{label:<26}{median:>26.2f}{min(cpu):>8.2f}{max(cpu):>8.2f}{max(r['rss_mb'] for r in rows):>9.0f}"
            f"{1000 / median:>19.0f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
