"""The scale-out stack: PostgreSQL, Redis, one action server, two Rasa instances and the
gateway spreading sessions over both. Started once for tests/scale, stopped at the end."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import start_or_show_logs
from tests.scale.services import PostgresServer, RedisServer, free_port
from tools.stack import LOOPBACK, ROOT, Stack

# `make test-scale` trains models/lotsen.tar.gz first; LOTSEN_TEST_MODEL points elsewhere.
MODEL = Path(os.environ.get("LOTSEN_TEST_MODEL", ROOT / "models" / "lotsen.tar.gz"))


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
        "LOTSEN_PG_HOST": LOOPBACK,
        "LOTSEN_PG_PORT": str(postgres.port),
        "LOTSEN_PG_DB": postgres.db,
        "LOTSEN_PG_USER": postgres.user,
        "LOTSEN_PG_PASSWORD": postgres.password,
        "LOTSEN_REDIS_HOST": LOOPBACK,
        "LOTSEN_REDIS_PORT": str(redis.port),
        "LOTSEN_REDIS_DB": "1",
        "LOTSEN_REDIS_PASSWORD": redis.password,
        # The gateway's statistics go to the same PostgreSQL server.
        "LOTSEN_STATISTICS_URL": postgres.url,
        "LOTSEN_STATISTICS_TOKEN": "skalningstest-nyckel-0123456789",
        # Two instances load their models side by side on two cores: the first answers after a
        # start can take longer than the default 3 s, and the test is about failover, not speed.
        "LOTSEN_ENGINE_TIMEOUT": "10",
        # The gateway replicas share rate limits, turn locks and late answers in Redis (another
        # database than Rasa's lock store) and sign with one secret: no sticky routing.
        "LOTSEN_REDIS_URL": f"redis://:{redis.password}@{LOOPBACK}:{redis.port}/2",
        "LOTSEN_SECRET_KEY": "skalningstest-hemlighet-" + secrets.token_hex(16),
    }
    stack = Stack(
        port=free_port(),
        actions_port=free_port(),
        rasa_ports=(free_port(), free_port()),
        endpoints="bot/endpoints-scale.yml",
        model=MODEL,
        app_python=sys.executable,
        log_dir=logs,
        data_dir=tmp_path_factory.mktemp("scale-data"),
        env=env,
    )
    start_or_show_logs(stack, timeout=300)
    stack.logs = logs
    yield stack
    stack.stop()


@pytest.fixture(scope="session")
def replicas(scale_stack, tmp_path_factory):
    """A second gateway replica beside the stack's own, on the same engines, and a round-robin
    proxy in front of both (tools/round_robin.py): request n goes to replica n mod 2."""
    second = Stack(
        port=free_port(),
        actions_port=scale_stack.actions_port,
        rasa_ports=scale_stack.rasa_ports,
        endpoints=scale_stack.endpoints,
        model=scale_stack.model,
        app_python=sys.executable,
        log_dir=scale_stack.logs / "replica2",
        data_dir=scale_stack.data_dir,
        env=scale_stack.env,
    )
    second.start(only=("gateway",))
    proxy_port = free_port()
    log = open(scale_stack.logs / "round_robin.log", "ab")  # noqa: SIM115 (closed below)
    proxy = subprocess.Popen(
        [sys.executable, "-m", "tools.round_robin", "--port", str(proxy_port), scale_stack.url, second.url],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        second.wait_ready(timeout=120)
        _wait_for(f"http://{LOOPBACK}:{proxy_port}/api/topics", proxy)
        yield f"http://{LOOPBACK}:{proxy_port}"
    finally:
        proxy.terminate()
        proxy.wait(timeout=10)
        log.close()
        second.stop()


def _wait_for(url: str, proc: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"proxyn avslutades med kod {proc.returncode}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"proxyn svarade inte inom {timeout:.0f} s")
