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


# What the engine processes (Rasa, action server) get from the environment: the system's basics,
# their own settings and the endpoints files' variables; nothing else (no LOTSEN_TEAMS_*,
# LOTSEN_STATISTICS_*, LOTSEN_SECRET_KEY, LOTSEN_MATRIX_*).
ENGINE_ENV_NAMES = frozenset(
    {
        "PATH",
        "HOME",
        "USER",
        "LOGNAME",
        "LANG",
        "LANGUAGE",
        "TZ",
        "TMPDIR",
        "TERM",
        "NO_COLOR",
        "COLUMNS",
        "LD_LIBRARY_PATH",
        "REQUESTS_CA_BUNDLE",
        "MPLCONFIGDIR",
        "FORCE_JSON_LOGGING",
        "LOG_LEVEL",
        "LOG_LEVEL_LIBRARIES",
        "LOTSEN_ACTIONS_PORT",
        "LOTSEN_ACTIONS_URL",
        "LOTSEN_DATA_DIR",
        "LOTSEN_RETENTION_DAYS",
        "LOTSEN_ORGANISATION_FILE",
        "LOTSEN_STOCK_RASA",
    }
)
ENGINE_ENV_PREFIXES = (
    "LC_",
    "PYTHON",
    "SANIC_",
    "RASA_",
    "TF_",
    "OMP_",
    "MKL_",
    "OPENBLAS_",
    "MALLOC_",
    "SSL_CERT_",
    "LOTSEN_PG_",
    "LOTSEN_REDIS_",
    "LOTSEN_ENGINE_",
    "LOTSEN_TEST_",
)


def engine_env(env: dict[str, str]) -> dict[str, str]:
    """The engine's share of `env`."""
    return {k: v for k, v in env.items() if k in ENGINE_ENV_NAMES or k.startswith(ENGINE_ENV_PREFIXES)}


@dataclass
class Stack:
    host: str = LOOPBACK
    port: int = 8000
    rasa_port: int = 5005
    actions_port: int = 5055
    # Rasa processes; the gateway spreads sessions over them by consistent hashing. One Rasa
    # process uses one core: `make run` starts LOTSEN_ENGINE_INSTANCES (default 2, docs/deploy.md).
    engine_instances: int = 1
    # Their ports; empty: rasa_port, rasa_port + 1, …
    rasa_ports: tuple[int, ...] = ()
    model: Path = ROOT / "models" / "lotsen.tar.gz"
    engine_venv: Path = ROOT / ".venv-engine"
    app_python: str = sys.executable
    env: dict[str, str] = field(default_factory=dict)
    # Conversations (tracker.db) live here: outside the source tree, one place to purge.
    data_dir: Path = ROOT / "var"
    endpoints: str = "bot/endpoints.yml"
    log_dir: Path | None = None
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    _logs: list = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://{self.host if self.host not in ('0.0.0.0', '::') else LOOPBACK}:{self.port}"

    @property
    def engine_ports(self) -> tuple[int, ...]:
        return self.rasa_ports or tuple(self.rasa_port + i for i in range(self.engine_instances))

    @property
    def engine_names(self) -> list[str]:
        """Process names: "rasa" for a single instance, else "rasa1", "rasa2", …"""
        ports = self.engine_ports
        return ["rasa"] if len(ports) == 1 else [f"rasa{i}" for i in range(1, len(ports) + 1)]

    @property
    def rasa_urls(self) -> list[str]:
        return [f"http://{LOOPBACK}:{p}" for p in self.engine_ports]

    @property
    def rasa_url(self) -> str:
        return self.rasa_urls[0]

    @property
    def actions_url(self) -> str:
        return f"http://{LOOPBACK}:{self.actions_port}"

    def commands(self) -> dict[str, list[str]]:
        engine = self.engine_venv / "bin"
        rasa = {
            name: [
                str(engine / "python"),
                "-m",
                "bot.serve",
                "run",
                "--model",
                str(self.model),
                "--endpoints",
                self.endpoints,
                "--credentials",
                "bot/credentials.yml",
                "-i",
                LOOPBACK,
                "-p",
                str(port),
            ]
            for name, port in zip(self.engine_names, self.engine_ports, strict=True)
        }
        return {
            "actions": [str(engine / "python"), "-m", "actions", "--actions", "actions", "-p", str(self.actions_port)],
            **rasa,
            "gateway": [
                self.app_python,
                "-m",
                "uvicorn",
                "--factory",
                "gateway.main:create_app",
                "--host",
                self.host,
                "--port",
                str(self.port),
                "--no-server-header",
                # No access log: it would hold every client's address (personal data) and
                # /statistik tokens in query strings, and cost CPU on every request.
                "--no-access-log",
            ],
        }

    def _env(self) -> dict[str, str]:
        """The gateway's environment: everything, as `make run` was started."""
        env = {
            **os.environ,
            "SANIC_HOST": LOOPBACK,  # rasa-sdk binds to 0.0.0.0 unless told otherwise
            "RASA_TELEMETRY_ENABLED": "false",
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "LOTSEN_ACTIONS_PORT": str(self.actions_port),
            "LOTSEN_RASA_URL": self.rasa_url,
            "LOTSEN_RASA_URLS": ",".join(self.rasa_urls),
            "LOTSEN_ACTIONS_URL": self.actions_url,
            "LOTSEN_DATA_DIR": str(self.data_dir),
            "LOTSEN_RETENTION_DAYS": os.environ.get("LOTSEN_RETENTION_DAYS", "30"),
            **self.env,
        }
        return env

    def _engine_env(self) -> dict[str, str]:
        """Rasa's and the action server's environment: only what they need (engine_env), and
        never the gateway's secrets (Teams client secret, statistics password, server key):
        the engine runs a larger, older dependency tree (docs/security.md)."""
        return engine_env(self._env())

    def start(self, only: tuple[str, ...] | None = None) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        env = self._env()
        engine = self._engine_env()
        for name, cmd in self.commands().items():
            if only and name not in only:
                continue
            out = None
            if self.log_dir:
                self.log_dir.mkdir(parents=True, exist_ok=True)
                out = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 (closed in stop)
                self._logs.append(out)
            self.processes[name] = subprocess.Popen(
                cmd,
                cwd=ROOT,
                env=env if name == "gateway" else engine,
                stdout=out,
                stderr=subprocess.STDOUT if out else None,
                start_new_session=True,
            )

    def health(self) -> dict:
        try:
            return httpx.get(f"{self.url}/healthz", timeout=5).json()
        except (httpx.HTTPError, ValueError):
            return {}

    def instance_up(self, name: str) -> bool:
        port = self.engine_ports[self.engine_names.index(name)]
        try:
            return httpx.get(f"http://{LOOPBACK}:{port}/", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def wait_ready(self, timeout: float = 180.0) -> None:
        """Wait until the gateway reports both engine parts up and every started Rasa instance
        answers; fail fast if a process died."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, proc in self.processes.items():
                if proc.poll() is not None:
                    raise RuntimeError(f"{name} avslutades med kod {proc.returncode}")
            h = self.health()
            if (
                h.get("engine") == "up"
                and h.get("actions") == "up"
                and all(self.instance_up(n) for n in self.engine_names if n in self.processes)
            ):
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


def default_engine_instances() -> int:
    """LOTSEN_ENGINE_INSTANCES, else 2: on the 2-core reference machine two Rasa processes
    nearly doubled the throughput of one (docs/deploy.md)."""
    value = os.environ.get("LOTSEN_ENGINE_INSTANCES", "2")
    try:
        return max(1, int(value))
    except ValueError:
        raise SystemExit(f"LOTSEN_ENGINE_INSTANCES måste vara ett heltal, inte {value!r}") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Starta Påverkanslotsen")
    parser.add_argument("--host", default=LOOPBACK)
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--rasa-port", type=int, default=5005)
    parser.add_argument("--actions-port", type=int, default=5055)
    parser.add_argument("--engine-instances", type=int, default=default_engine_instances())
    args = parser.parse_args(argv)
    if args.engine_instances < 1:
        parser.error("--engine-instances måste vara minst 1")
    stack = Stack(
        host=args.host,
        port=args.port,
        rasa_port=args.rasa_port,
        actions_port=args.actions_port,
        engine_instances=args.engine_instances,
        data_dir=Path(os.environ.get("LOTSEN_DATA_DIR") or ROOT / "var"),
    )

    def on_signal(signum, _frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)  # also when started from a shell that ignores it
    started = time.monotonic()
    try:
        stack.start()
        stack.wait_ready()
        print(
            f"\nPåverkanslotsen svarar på {stack.url}  (startade på {time.monotonic() - started:.0f} s; Ctrl-C stoppar)\n",
            flush=True,
        )
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
