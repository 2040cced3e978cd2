"""The scale-out stack: PostgreSQL, Redis, one action server, two Rasa instances and the
gateway spreading sessions over both. Started once for tests/scale, stopped at the end."""
from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.scale.services import PostgresServer, RedisServer, free_port
from tools.stack import LOOPBACK, ROOT, Stack

# `make test-scale` trains models/lotsen.tar.gz first; LOTSEN_TEST_MODEL points elsewhere.
MODEL = Path(os.environ.get("LOTSEN_TEST_MODEL", ROOT / "models" / "lotsen.tar.gz"))


@dataclass
class ScaleStack(Stack):
    """tools.stack.Stack with N Rasa instances ("rasa1", "rasa2", …) on bot/endpoints-scale.yml."""

    rasa_ports: tuple[int, ...] = ()

    @property
    def rasa_urls(self) -> list[str]:
        return [f"http://{LOOPBACK}:{p}" for p in self.rasa_ports]

    def commands(self) -> dict[str, list[str]]:
        single = super().commands()
        rasa = [("bot/endpoints-scale.yml" if part == "bot/endpoints.yml" else part) for part in single["rasa"]]
        port_at = rasa.index("-p") + 1
        cmds = {"actions": single["actions"]}
        for i, port in enumerate(self.rasa_ports, start=1):
            cmds[f"rasa{i}"] = [*rasa[:port_at], str(port), *rasa[port_at + 1:]]
        cmds["gateway"] = single["gateway"]
        return cmds

    def _env(self) -> dict[str, str]:
        return {**super()._env(), "LOTSEN_RASA_URLS": ",".join(self.rasa_urls)}

    def instance_up(self, name: str) -> bool:
        port = self.rasa_ports[int(name.removeprefix("rasa")) - 1]
        try:
            return httpx.get(f"http://{LOOPBACK}:{port}/", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def wait_ready(self, timeout: float = 300.0) -> None:
        """Every Rasa instance and the action server up, as seen by the gateway and directly."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, proc in self.processes.items():
                if proc.poll() is not None:
                    raise RuntimeError(f"{name} avslutades med kod {proc.returncode}")
            h = self.health()
            if h.get("actions") == "up" and all(self.instance_up(n) for n in self.processes if n.startswith("rasa")):
                return
            time.sleep(0.5)
        raise TimeoutError(f"tjänsterna svarade inte inom {timeout:.0f} s: {self.health()}")


@pytest.fixture(scope="session")
def postgres():
    server = PostgresServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis():
    server = RedisServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def scale_stack(tmp_path_factory, postgres, redis):
    if not MODEL.exists():
        pytest.fail(f"Ingen tränad modell i {MODEL}: kör make test-scale (den tränar först).")
    logs = tmp_path_factory.mktemp("scale-logs")
    env = {
        "LOTSEN_PG_HOST": LOOPBACK, "LOTSEN_PG_PORT": str(postgres.port), "LOTSEN_PG_DB": postgres.db,
        "LOTSEN_PG_USER": postgres.user, "LOTSEN_PG_PASSWORD": postgres.password,
        "LOTSEN_REDIS_HOST": LOOPBACK, "LOTSEN_REDIS_PORT": str(redis.port), "LOTSEN_REDIS_DB": "1",
        "LOTSEN_REDIS_PASSWORD": redis.password,
        # The gateway's statistics go to the same PostgreSQL server.
        "LOTSEN_STATISTICS_URL": postgres.url, "LOTSEN_STATISTICS_TOKEN": "skalningstest-nyckel-0123456789",
        # Two instances load their models side by side on two cores: the first answers after a
        # start can take longer than the default 3 s, and the test is about failover, not speed.
        "LOTSEN_ENGINE_TIMEOUT": "10",
    }
    stack = ScaleStack(port=free_port(), actions_port=free_port(), rasa_ports=(free_port(), free_port()),
                       model=MODEL, app_python=sys.executable, log_dir=logs,
                       data_dir=tmp_path_factory.mktemp("scale-data"), env=env)
    stack.start()
    try:
        stack.wait_ready()
    except Exception:
        stack.stop()
        for log in sorted(logs.glob("*.log")):
            print(f"--- {log.name}\n{log.read_text(errors='replace')[-3000:]}")
        raise
    stack.logs = logs
    yield stack
    stack.stop()
