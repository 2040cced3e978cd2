"""Start the real stack once for the end-to-end tests: trained model, Rasa, actions, gateway."""
from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest

from tools.stack import Stack

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    """The running assistant; logs land in a temporary directory shown on failure."""
    if not (ROOT / "models" / "lotsen.tar.gz").exists():
        pytest.fail("Ingen tränad modell: kör make test (den tränar först).")
    logs = tmp_path_factory.mktemp("stack-logs")
    s = Stack(port=free_port(), rasa_port=free_port(), actions_port=free_port(), app_python=sys.executable, log_dir=logs)
    s.start()
    try:
        s.wait_ready(timeout=240)
    except Exception:
        s.stop()
        for log in sorted(logs.glob("*.log")):
            print(f"--- {log.name}\n{log.read_text(errors='replace')[-3000:]}")
        raise
    yield s
    s.stop()
