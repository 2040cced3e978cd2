"""Start and supervise the three processes: Rasa, the action server and the gateway.

`make run` uses this as a command; the end-to-end tests use the Stack class. Each child gets
its own process group so that stopping reaches everything it spawned (no orphans), and the
engine processes are bound to 127.0.0.1 whatever the gateway's host is.
"""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
LOOPBACK = "127.0.0.1"


@dataclass
class Stack:
    host: str = LOOPBACK
    port: int = 8000
    rasa_port: int = 5005
    actions_port: int = 5055
    model: Path = ROOT / "models" / "lotsen.tar.gz"
    engine_venv: Path = ROOT / ".venv-engine"
    app_python: str = sys.executable
    env: dict[str, str] = field(default_factory=dict)
    # Conversations (tracker.db) live here: outside the source tree, one place to purge.
    data_dir: Path = ROOT / "var"
    log_dir: Path | None = None
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    _logs: list = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://{self.host if self.host not in ('0.0.0.0', '::') else LOOPBACK}:{self.port}"

    @property
    def rasa_url(self) -> str:
        return f"http://{LOOPBACK}:{self.rasa_port}"

    @property
    def actions_url(self) -> str:
        return f"http://{LOOPBACK}:{self.actions_port}"

    def commands(self) -> dict[str, list[str]]:
        engine = self.engine_venv / "bin"
        return {
            "actions": [str(engine / "python"), "-m", "rasa_sdk", "--actions", "actions", "-p", str(self.actions_port)],
            "rasa": [
                str(engine / "rasa"), "run", "--model", str(self.model), "--endpoints", "bot/endpoints.yml",
                "--credentials", "bot/credentials.yml", "-i", LOOPBACK, "-p", str(self.rasa_port),
            ],
            "gateway": [
                self.app_python, "-m", "uvicorn", "--factory", "gateway.main:create_app",
                "--host", self.host, "--port", str(self.port), "--no-server-header",
            ],
        }

    def _env(self) -> dict[str, str]:
        env = {
            **os.environ,
            "SANIC_HOST": LOOPBACK,  # rasa-sdk binds to 0.0.0.0 unless told otherwise
            "RASA_TELEMETRY_ENABLED": "false",
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "LOTSEN_ACTIONS_PORT": str(self.actions_port),
            "LOTSEN_RASA_URL": self.rasa_url,
            "LOTSEN_ACTIONS_URL": self.actions_url,
            "LOTSEN_DATA_DIR": str(self.data_dir),
            "LOTSEN_RETENTION_DAYS": os.environ.get("LOTSEN_RETENTION_DAYS", "30"),
            **self.env,
        }
        return env

    def start(self, only: tuple[str, ...] | None = None) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        env = self._env()
        for name, cmd in self.commands().items():
            if only and name not in only:
                continue
            out = None
            if self.log_dir:
                self.log_dir.mkdir(parents=True, exist_ok=True)
                out = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 (closed in stop)
                self._logs.append(out)
            self.processes[name] = subprocess.Popen(
                cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT if out else None, start_new_session=True
            )

    def health(self) -> dict:
        try:
            return httpx.get(f"{self.url}/healthz", timeout=5).json()
        except (httpx.HTTPError, ValueError):
            return {}

    def wait_ready(self, timeout: float = 180.0) -> None:
        """Wait until the gateway reports both engine parts up; fail fast if a process died."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, proc in self.processes.items():
                if proc.poll() is not None:
                    raise RuntimeError(f"{name} avslutades med kod {proc.returncode}")
            h = self.health()
            if h.get("engine") == "up" and h.get("actions") == "up":
                return
            time.sleep(0.5)
        raise TimeoutError(f"tjänsterna svarade inte inom {timeout:.0f} s: {self.health()}")

    def stop_one(self, name: str, sig: int = signal.SIGTERM, grace: float = 15.0) -> None:
        proc = self.processes.get(name)
        if proc is None or proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, sig)
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        except ProcessLookupError:
            pass

    def restart(self, name: str, timeout: float = 180.0) -> None:
        """Start one stopped part again (same ports, same logs) and wait until all are up."""
        self.stop_one(name)
        self.start(only=(name,))
        self.wait_ready(timeout)

    def stop(self) -> None:
        for name in reversed(list(self.processes)):
            self.stop_one(name)
        for log in self._logs:
            log.close()
        self._logs.clear()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Starta Påverkanslotsen")
    parser.add_argument("--host", default=LOOPBACK)
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--rasa-port", type=int, default=5005)
    parser.add_argument("--actions-port", type=int, default=5055)
    args = parser.parse_args(argv)
    stack = Stack(host=args.host, port=args.port, rasa_port=args.rasa_port, actions_port=args.actions_port)

    def on_signal(signum, _frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)  # also when started from a shell that ignores it
    started = time.monotonic()
    try:
        stack.start()
        stack.wait_ready()
        print(f"\nPåverkanslotsen svarar på {stack.url}  (startade på {time.monotonic() - started:.0f} s; Ctrl-C stoppar)\n", flush=True)
        while all(p.poll() is None for p in stack.processes.values()):
            time.sleep(0.5)
        dead = [n for n, p in stack.processes.items() if p.poll() is not None]
        print(f"Avslutades oväntat: {', '.join(dead)}. Stoppar resten.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nStoppar …", flush=True)
        return 0
    except (RuntimeError, TimeoutError) as exc:
        print(f"Kunde inte starta: {exc}", file=sys.stderr)
        return 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not orphan children
        stack.stop()


if __name__ == "__main__":
    raise SystemExit(main())
