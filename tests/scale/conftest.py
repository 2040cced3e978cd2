"""The scale-out stack: PostgreSQL, Redis, one action server, two Rasa instances and the
gateway spreading sessions over both. Started once for tests/scale, stopped at the end."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tests.scale.services import PostgresServer, RedisServer, free_port
from tests.conftest import start_or_show_logs
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
    stack = Stack(port=free_port(), actions_port=free_port(), rasa_ports=(free_port(), free_port()),
                  endpoints="bot/endpoints-scale.yml", model=MODEL, app_python=sys.executable, log_dir=logs,
                  data_dir=tmp_path_factory.mktemp("scale-data"), env=env)
    start_or_show_logs(stack, timeout=300)
    stack.logs = logs
    yield stack
    stack.stop()
