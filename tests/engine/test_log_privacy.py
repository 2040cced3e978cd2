"""The engine's log holds nothing a person wrote, in a terminal or not (bot/log_privacy.py).

Each case runs Rasa's own logging set-up (as `rasa run` does) in a fresh process, with
stdout and stderr on a pseudo-terminal (Rasa's console format) or on a pipe (its JSON format),
then logs what Rasa logs on the paths that carry user text: the REST channel's timeout and
failure records, an exception whose message and locals hold the text, a plain logging
traceback, and the "Failed to parse arguments" warning of a text starting with "/".
"""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SECRET = "Zlatan-Hemligsson-0701234567"

SCRIPT = f"""
import logging
import rasa.__main__
import rasa.shared.utils.io
import rasa.utils.io
import structlog
from rasa.utils.common import configure_logging_and_warnings
from bot import log_privacy

log_privacy.install()
# What rasa.__main__.main does before running a command.
configure_logging_and_warnings(logging.INFO, None, warn_only_once=True, filter_repeated_logs=True)
rasa.utils.io.configure_colored_logging(logging.INFO)
rasa.__main__.configure_structlog(logging.INFO)

text = {SECRET!r}
log = structlog.get_logger()
log.error("rest.message.received.timeout", text=text)
log.warning("message.parsing.failed", user_text=text)

def run_action(message):
    raise ValueError(message)

try:
    run_action(text)
except ValueError:
    log.exception("rest.message.received.failure", text=text)
    logging.getLogger("rasa.core.processor").error("Encountered an exception", exc_info=True)
rasa.shared.utils.io.raise_warning(f"Failed to parse arguments in line '/okand {{text}}'. Expected ...")
print("SLUT", flush=True)
"""


def run(terminal: bool) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("FORCE_JSON_LOGGING", None)
    if not terminal:
        done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, timeout=120)
        return (done.stdout + done.stderr).decode("utf-8", "replace")
    controller, worker = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, stdout=worker, stderr=worker)
    os.close(worker)
    out = b""
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # the terminal closes when the process ends
            break
        if not chunk:
            break
        out += chunk
    proc.wait(timeout=120)
    os.close(controller)
    return out.decode("utf-8", "replace")


@pytest.mark.parametrize("terminal", [True, False], ids=["terminal", "pipe"])
def test_user_text_never_reaches_the_engine_log(terminal):
    output = run(terminal)
    assert "SLUT" in output, output
    assert "Zlatan" not in output and "0701234567" not in output, output
    # The records themselves are kept, as JSON, with the exception's type.
    assert '"event": "rest.message.received.timeout"' in output
    assert '"text": "[borttaget]"' in output
    assert '"type": "ValueError"' in output and "run_action" in output
