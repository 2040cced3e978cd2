"""Shared fixtures: the real knowledge base, and the real running stack for end-to-end tests.

The stack (trained model, Rasa, action server, gateway on free ports) starts once per test
session and is shared by every end-to-end test (tests/e2e, tests/widget, tests/teams …).
A test that stops a part must start it again before it ends (Stack.restart).
"""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# A word nobody writes: an action fails on purpose when a turn's text holds it (actions/safety.py).
CRASH_MARKER = "Kraschprovet"
SLOW_MARKER = "Långsamprovet"  # its action waits (actions/settings.py), the client gives up first


@pytest.fixture(autouse=True, scope="session")
def _data_dir_outside_the_tree(tmp_path_factory):
    """Gateways built in tests keep their databases in a temporary directory, never var/."""
    import os

    previous = os.environ.get("LOTSEN_DATA_DIR")
    os.environ["LOTSEN_DATA_DIR"] = str(tmp_path_factory.mktemp("data"))
    yield
    if previous is None:
        os.environ.pop("LOTSEN_DATA_DIR", None)
    else:
        os.environ["LOTSEN_DATA_DIR"] = previous


@pytest.fixture(scope="session")
def kb():
    """The repository's knowledge base, loaded and validated once."""
    from knowledge.loader import load

    return load()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_or_show_logs(stack, timeout: float) -> None:
    """Start a tools.stack.Stack and wait for it; on failure stop it and print its log tails."""
    stack.start()
    try:
        stack.wait_ready(timeout=timeout)
    except Exception:
        stack.stop()
        for log in sorted(stack.log_dir.glob("*.log")):
            print(f"--- {log.name}\n{log.read_text(errors='replace')[-3000:]}")
        raise


@pytest.fixture(scope="session")
def embed_origin() -> str:
    """Another origin (its own port) whose pages may embed the widget: the stack allows it (CORS)."""
    return f"http://127.0.0.1:{free_port()}"


@pytest.fixture(scope="session")
def stack(tmp_path_factory, embed_origin):
    """The running assistant; logs land in a temporary directory shown on failure."""
    from tools.stack import Stack

    if not (ROOT / "models" / "lotsen.tar.gz").exists():
        pytest.fail("Ingen tränad modell: kör make test (den tränar först).")
    logs = tmp_path_factory.mktemp("stack-logs")
    data = tmp_path_factory.mktemp("stack-data")
    s = Stack(
        port=free_port(),
        rasa_port=free_port(),
        actions_port=free_port(),
        app_python=sys.executable,
        log_dir=logs,
        data_dir=data,
        # Every test shares one client address: the rate limiter has its own unit tests.
        # A turn whose text holds the crash marker makes its action fail (tests/e2e/test_privacy.py).
        env={
            "LOTSEN_ALLOWED_ORIGINS": embed_origin,
            "LOTSEN_RATE_LIMIT_PER_MINUTE": "0",
            "LOTSEN_TEST_CRASH_MARKER": CRASH_MARKER,
            "LOTSEN_TEST_SLOW_MARKER": SLOW_MARKER,
        },
    )
    start_or_show_logs(s, timeout=240)
    yield s
    s.stop()
