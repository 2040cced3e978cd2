"""make bench-load: 16 and 64 concurrent simulated users for 60 s each, through the gateway,
and in the same run the same load against a `rasa init` bot (Rasa's default configuration)
as the anchor. Prints errors, p50/p95/p99/max, requests/s and each process's memory before and
after each level and over the whole run. Each simulated user holds conversations of five
turns, then starts a new one, as people do: one endless conversation would measure tracker
growth, not the service. Every level starts with all its users at once, the hardest start.

The alternatives in the same run: the same stack with the gateway sending every turn to Rasa
at once (LOTSEN_ENGINE_CONCURRENCY=0) instead of queueing beyond 4 per instance; and the same
stack with Rasa loaded as before issue 21 (LOTSEN_ENGINE_LEAN=0: TensorFlow and all). For each
it prints the total memory (resident memory summed over every process of the stack, as
`make run` starts it) beside requests/s, and the seconds from start to the first answer
from the engine.

With --compare-ref DIR (another worktree with its own `make setup model`, e.g. an older
commit) it compares instead this tree's whole stack with DIR's, both up at once (each started by
its own tools/stack.py and venvs), the same users and seconds, the levels alternating between
the two and repeated (--repeats, at least 2) so that what else the machine runs falls on both
alike: sequential runs of the same code move by up to 40 % on a shared machine (docs/deploy.md).
It prints both tables, requests/s new against old per level, and CPU ms per request for each
process.

Usage: python -m bench.load [--seconds 60] [--users 16,64] [--skip-anchor] [--skip-alternative]
                            [--skip-heavy] [--compare-ref DIR [--repeats 2]]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.load_client import Result, gateway_sender, print_table, rasa_sender, run
from tools.stack import LOOPBACK, ROOT, Stack, default_engine_instances


def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def group_rss_mb(pgid: int) -> float:
    """Resident memory of every process in a process group (a child and what it spawned)."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(stat[2]) != pgid:
                continue
            for line in (entry / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except (OSError, IndexError, ValueError):
            continue
    return total / 1024


def cpu_seconds(processes: dict[str, subprocess.Popen]) -> dict[str, float]:
    from bench.engine_cpu import group_cpu_seconds

    return {name: group_cpu_seconds(p.pid) for name, p in processes.items()}


def memory(processes: dict[str, subprocess.Popen]) -> dict[str, float]:
    return {name: group_rss_mb(p.pid) for name, p in processes.items()}


async def load(name: str, send, processes, users_list, seconds, warm: bool = True) -> list[tuple[Result, dict, dict]]:
    if warm:
        await run("uppvärmning", send, 4, requests_per_user=10)
    rows = []
    for users in users_list:
        before = memory(processes)
        cpu_before = cpu_seconds(processes)
        result = await run(name, send, users, duration=seconds)
        cpu_after = cpu_seconds(processes)
        after = memory(processes)
        rows.append((result, before, after))
        print_table([result])
        # CPU per answered request does not depend on what else the machine runs (requests/s
        # does): with one core per Rasa process, Rasa's share is what bounds throughput.
        calls = max(result.requests, 1)
        result.cpu_ms = {p: (cpu_after[p] - cpu_before[p]) * 1000 / calls for p in cpu_before}
        print("  CPU ms per anrop: " + ", ".join(f"{p} {ms:.2f}" for p, ms in result.cpu_ms.items()), flush=True)
        print(
            "  minne MB före → efter: "
            + ", ".join(
                f"{p} {before[p]:.0f} → {after[p]:.0f} ({(after[p] / before[p] - 1) * 100 if before[p] else 0:+.1f} %)"
                for p in before
            ),
            flush=True,
        )
    return rows


def start_anchor(workdir: Path, port: int) -> subprocess.Popen:
    """`rasa init` (trains Rasa's default configuration), then `rasa run` with the REST channel."""
    rasa = str(ROOT / ".venv-engine" / "bin" / "rasa")
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2"}
    t0 = time.monotonic()
    subprocess.run(
        [rasa, "init", "--no-prompt", "--init-dir", str(workdir)],
        cwd=workdir,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    print(f"Ankaret (rasa init, standardkonfiguration) tränat på {time.monotonic() - t0:.0f} s", flush=True)
    log = open(workdir / "rasa.log", "ab")  # noqa: SIM115 (lives as long as the process)
    proc = subprocess.Popen(
        [rasa, "run", "-i", LOOPBACK, "-p", str(port), "--model", "models"],
        cwd=workdir,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://{LOOPBACK}:{port}/", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            raise RuntimeError("ankaret startade inte")
        time.sleep(1)
    raise TimeoutError("ankaret svarade inte")


def growth(before: dict[str, float], after: dict[str, float]) -> tuple[str, float]:
    """The process whose memory grew most, and by how many per cent."""
    return max(((p, (after[p] / before[p] - 1) * 100) for p in before if before[p]), key=lambda x: x[1])


def total_mb(memory_by_process: dict[str, float]) -> float:
    return sum(memory_by_process.values())


def memory_summary(runs: list[tuple[str, float, list]]) -> None:
    """Per configuration: start to first engine answer, and per level requests/s beside the
    total memory of all its processes (the larger of before and after the level)."""
    print("\nMinne och genomströmning (samma körning; minne = RSS summerat över alla processer):")
    print(
        f"{'konfiguration':<44}{'start → första motorsvar':>26}{'användare':>11}{'anrop/s':>9}{'minne totalt MB':>17}"
    )
    for label, started, rows in runs:
        for i, (r, before, after) in enumerate(rows):
            start = f"{started:.1f} s" if i == 0 else ""
            print(
                f"{label if i == 0 else '':<44}{start:>26}{r.users:>11}{r.rps:>9.1f}"
                f"{max(total_mb(before), total_mb(after)):>17.0f}"
            )


def summary(ours: list, alternative: list, anchor: list, heavy: list | None = None) -> None:
    print("\nSammanfattning (samma körning):")
    print_table([r for r, _, _ in ours + alternative + (heavy or []) + anchor])
    for (o, _, _), (a, _, _) in zip(ours, anchor, strict=False):
        print(
            f"  {o.users} användare: Påverkanslotsen {o.rps:.1f} anrop/s mot ankarets {a.rps:.1f} "
            f"= {o.rps / a.rps if a.rps else float('inf'):.2f}×"
        )
    for r, before, after in ours:
        process, percent = growth(before, after)
        print(f"  {r.users} användare: största minnestillväxt {percent:+.1f} % ({process}; mål ≤ 10 %)")
    if ours:
        process, percent = growth(ours[0][1], ours[-1][2])
        print(
            f"  hela körningen (första nivåns start → sista nivåns slut): största minnestillväxt "
            f"{percent:+.1f} % ({process}; mål ≤ 10 %)"
        )
    errors = sum(r.errors for r, _, _ in ours)
    print(f"  fel i Påverkanslotsens nivåer: {errors} (mål 0)")


def first_engine_answer(url: str, started: float, timeout: float = 300) -> float:
    """Seconds from `started` until the gateway returns an answer from the engine."""
    deadline = time.monotonic() + timeout
    i = 0
    while time.monotonic() < deadline:
        try:
            body = httpx.post(
                f"{url}/api/chat", json={"session_id": f"load-first-{i:05d}", "text": "hej"}, timeout=10
            ).json()
            if body.get("engine") == "rasa":
                return time.monotonic() - started
        except (httpx.HTTPError, ValueError):
            pass
        i += 1
        time.sleep(0.2)
    raise TimeoutError("motorn svarade inte")


def measure_ours(
    label: str, users: list[int], seconds: float, engine_instances: int, work: Path, env: dict[str, str]
) -> tuple[list, float]:
    stack = Stack(
        port=free_port(),
        rasa_ports=tuple(free_port() for _ in range(engine_instances)),
        actions_port=free_port(),
        app_python=sys.executable,
        log_dir=work / "logs",
        data_dir=work / "data",
        env={"LOTSEN_RATE_LIMIT_PER_MINUTE": "0", **env},
    )
    try:
        started = time.monotonic()
        stack.start()
        stack.wait_ready(timeout=240)
        first = first_engine_answer(stack.url, started)
        print(
            f"{label} ({engine_instances} Rasa-processer), {seconds:.0f} s per nivå; "
            f"start → första svar från motorn {first:.1f} s",
            flush=True,
        )
        return asyncio.run(load(label, gateway_sender(stack.url), stack.processes, users, seconds)), first
    finally:
        stack.stop()


class _Group:
    """A process group to measure (cpu_seconds and memory read `.pid` as the group's id)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    return found


def _part_name(pid: int) -> str:
    """ "actions", "gateway" or "rasa:<port>" from a stack child's command line."""
    args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    if b"gateway.main:create_app" in args:
        return "gateway"
    if b"bot.serve" in args:
        return f"rasa:{args[args.index(b'-p') + 1].decode()}"
    return "actions"


class WorktreeStack:
    """The whole stack of the worktree `root` as `make run` starts it (its own tools/stack.py,
    venvs, code and model), on free ports, with its conversations in `work`."""

    def __init__(self, root: Path, work: Path, engine_instances: int) -> None:
        self.root, self.work, self.engine_instances = root, work, engine_instances
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self.started = 0.0
        self.processes: dict[str, _Group] = {}

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def _rasa_port(self) -> int:
        """A port p with p … p + instances - 1 free (tools/stack.py numbers them so)."""
        while True:
            first = free_port()
            try:
                for offset in range(1, self.engine_instances):
                    with socket.socket() as s:
                        s.bind((LOOPBACK, first + offset))
                return first
            except OSError:
                continue

    def start(self) -> None:
        self.work.mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            "LOTSEN_DATA_DIR": str(self.work / "data"),
            "LOTSEN_RATE_LIMIT_PER_MINUTE": "0",
        }
        command = [
            str(self.root / ".venv-app" / "bin" / "python"),
            *("-m", "tools.stack", "--port", str(self.port), "--rasa-port", str(self._rasa_port())),
            *("--actions-port", str(free_port()), "--engine-instances", str(self.engine_instances)),
        ]
        self.started = time.monotonic()
        with open(self.work / "stack.log", "ab") as log:
            self.proc = subprocess.Popen(
                command, cwd=self.root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    def ready(self) -> float:
        """Seconds from start to the first answer from the engine; then its processes are known
        (each part is a process group of its own under the supervisor)."""
        assert self.proc is not None
        first = first_engine_answer(self.url, self.started)
        self.processes = {_part_name(pid): _Group(pid) for pid in _children(self.proc.pid)}
        return first

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def compare_ref(ref: Path, users: list[int], seconds: float, repeats: int, engine_instances: int, work: Path) -> None:
    """This tree's stack against `ref`'s, both up at once, level by level in alternating order."""
    labels = {"ny (denna)": ROOT, f"gammal ({ref.name})": ref}
    stacks = {
        label: WorktreeStack(root, work / f"stack{i}", engine_instances)
        for i, (label, root) in enumerate(labels.items())
    }
    rows: dict[str, dict[int, list[tuple[Result, dict, dict]]]] = {label: {u: [] for u in users} for label in stacks}
    try:
        for stack in stacks.values():
            stack.start()
        for label, stack in stacks.items():
            print(f"{label}: {stack.root}, start → första svar från motorn {stack.ready():.1f} s", flush=True)
            asyncio.run(run("uppvärmning", gateway_sender(stack.url), 4, requests_per_user=10))
        for repeat in range(repeats):
            for i, users_now in enumerate(users):
                # Each level runs first for one tree in one repeat and for the other in the next.
                for label in list(stacks)[:: -1 if (repeat + i) % 2 else 1]:
                    stack = stacks[label]
                    rows[label][users_now] += asyncio.run(
                        load(
                            f"{label} #{repeat + 1}",
                            gateway_sender(stack.url, f"cmp{repeat}"),
                            stack.processes,
                            [users_now],
                            seconds,
                            warm=False,
                        )
                    )
    finally:
        for stack in stacks.values():
            stack.stop()
    compare_summary(rows, seconds)


def compare_summary(rows: dict[str, dict[int, list[tuple[Result, dict, dict]]]], seconds: float) -> None:
    new, old = list(rows)
    load1, load5, _ = os.getloadavg()
    print(
        f"\nJämförelse i samma körning ({seconds:.0f} s per nivå; belastning nu {load1:.1f} / {load5:.1f} över 1 / 5 min):"
    )
    print_table([r for label in rows for level in rows[label].values() for r, _, _ in level])
    print(f"\n{'användare':>10}{new:>34}{old:>34}{'kvot ny/gammal':>16}")
    for users in rows[new]:
        rps, each = {}, {}
        for label in rows:
            levels = [r for r, _, _ in rows[label][users]]
            rps[label] = sum(r.requests for r in levels) / sum(r.seconds for r in levels)
            each[label] = f"{rps[label]:.1f} anrop/s ({' / '.join(f'{r.rps:.1f}' for r in levels)})"
        ratio = rps[new] / rps[old] if rps[old] else float("inf")
        print(f"{users:>10}{each[new]:>34}{each[old]:>34}{ratio:>16.2f}")
    print("\nCPU ms per anrop (median av upprepningarna):")
    for label in rows:
        for users, levels in rows[label].items():
            cpu = {p: statistics.median(r.cpu_ms[p] for r, _, _ in levels) for p in levels[0][0].cpu_ms}
            print(
                f"  {label:<22}{users:>4} användare: "
                + ", ".join(f"{p} {ms:.2f}" for p, ms in sorted(cpu.items()))
                + f"  (summa {sum(cpu.values()):.2f})"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--users", default="16,64")
    parser.add_argument("--skip-anchor", action="store_true")
    parser.add_argument(
        "--skip-alternative",
        action="store_true",
        help="skip the run without the gateway's queue (LOTSEN_ENGINE_CONCURRENCY=0)",
    )
    parser.add_argument(
        "--skip-heavy",
        action="store_true",
        help="skip the run with Rasa loaded as before issue 21 (LOTSEN_ENGINE_LEAN=0)",
    )
    parser.add_argument(
        "--engine-instances",
        type=int,
        default=default_engine_instances(),
        help="Rasa processes behind the gateway (default as make run: LOTSEN_ENGINE_INSTANCES or 2)",
    )
    parser.add_argument("--compare-ref", type=Path, help="another worktree whose whole stack to compare with")
    parser.add_argument("--repeats", type=int, default=2, help="with --compare-ref: each level this often (≥ 2)")
    args = parser.parse_args(argv)
    users = [int(u) for u in args.users.split(",")]
    work = Path(tempfile.mkdtemp(prefix="lotsen-load-"))
    if args.compare_ref:
        ref = args.compare_ref.resolve()
        if not (ref / ".venv-app").is_dir() or not (ref / "models" / "lotsen.tar.gz").is_file():
            parser.error(f"{ref} har ingen egen `make setup model`")
        try:
            compare_ref(ref, users, args.seconds, max(args.repeats, 2), args.engine_instances, work)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return 0
    label = "lotsen /api/chat"
    ours, started = measure_ours(label, users, args.seconds, args.engine_instances, work / "ours", {})
    runs = [(label, started, ours)]
    alternative, anchor, heavy = [], [], []
    if not args.skip_heavy:
        label = "lotsen, Rasa med TensorFlow (LEAN=0, före #21)"
        heavy, started = measure_ours(
            label, users, args.seconds, args.engine_instances, work / "heavy", {"LOTSEN_ENGINE_LEAN": "0"}
        )
        runs.append((label, started, heavy))
    if not args.skip_alternative:
        label = "lotsen utan kö i gatewayen"
        alternative, started = measure_ours(
            label, users, args.seconds, args.engine_instances, work / "alternative", {"LOTSEN_ENGINE_CONCURRENCY": "0"}
        )
        runs.append((label, started, alternative))
    if not args.skip_anchor:
        anchor_dir = work / "anchor"
        anchor_dir.mkdir()
        port = free_port()
        proc = start_anchor(anchor_dir, port)
        try:
            anchor = asyncio.run(
                load(
                    "ankare rasa init REST",
                    rasa_sender(f"http://{LOOPBACK}:{port}"),
                    {"rasa": proc},
                    users,
                    args.seconds,
                )
            )
        finally:
            os.killpg(proc.pid, 15)
            proc.wait(timeout=30)
    summary(ours, alternative, anchor, heavy)
    memory_summary(runs)
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
