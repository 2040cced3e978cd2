"""Personal data sent through the chat leaves no trace in the conversation store or the logs;
"Rensa samtalet" removes the conversation from the engine's store.

Every path that ever put what people wrote into a log is taken (every_path): a normal turn,
text starting with "/" (through the gateway and straight to Rasa), an action that fails
(the crash marker, tests/conftest.py), an engine that times out (the client gives up), and
forged entities. Once with the shared stack's logs in files (no terminal), once with
`make run`'s own command and logging on a pseudo-terminal.
"""

from __future__ import annotations

import os
import pty
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from knowledge import contract
from tests.conftest import CRASH_MARKER, ROOT, SLOW_MARKER, free_port
from tests.unit.test_redact import PNR10

pytestmark = pytest.mark.e2e

SECRETS = {
    "personnummer": f"{PNR10[:6]}-{PNR10[6:]}",
    "telefon": "070-123 45 67",
    "e-post": "karin.exempel@kommunen.se",
    "adress": "Hotvägen 14",
    "namn": "Zlatan Jovanovic",
}
MESSAGE = (
    f"Klienten som heter {SECRETS['namn']} ({SECRETS['personnummer']}) ringer mig på "
    f"{SECRETS['telefon']}, mejlar {SECRETS['e-post']} och säger att han vet att jag bor på "
    f"{SECRETS['adress']}. Vad gör jag?"
)


def ask(stack, session: str, **body) -> dict:
    r = httpx.post(f"{stack.url}/api/chat", json={"session_id": session, **body}, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()


def stored_events(stack, session: str) -> list[str]:
    with sqlite3.connect(stack.data_dir / "tracker.db") as db:
        return [row[0] for row in db.execute("select data from events where sender_id = ?", (session,))]


def store_bytes(stack) -> str:
    return "\n".join(p.read_bytes().decode("utf-8", "replace") for p in sorted(stack.data_dir.glob("tracker.db*")))


TIMEOUT_RECORD = "rest.message.received.timeout"


def give_up_on_rasa(rest: str, session: str, logged: Callable[[], str]) -> None:
    """The client gives up before Rasa answers (as the gateway does after LOTSEN_ENGINE_TIMEOUT).
    The slow marker holds the action for seconds, so the client leaves while Rasa waits on the
    action server, whatever the machine's load; Rasa then logs the cancelled turn."""
    for attempt in range(3):
        with pytest.raises(httpx.TimeoutException):
            httpx.post(
                rest, json={"sender": f"{session}-{attempt}", "message": f"{SLOW_MARKER} {MESSAGE}"}, timeout=1.5
            )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if TIMEOUT_RECORD in logged():
                return
            time.sleep(0.2)
    raise AssertionError("Rasa never logged a turn its client gave up on")


def every_path(gateway_url: str, rasa_url: str, session: str, logged: Callable[[], str]) -> list[dict]:
    """Send MESSAGE along every path; returns the gateway's answers. `logged`: the logs so far."""
    answers = []

    def chat(text: str, sid: str) -> dict:
        r = httpx.post(f"{gateway_url}/api/chat", json={"session_id": sid, "text": text}, timeout=60)
        assert r.status_code == 200, r.text
        return r.json()

    answers.append(chat(MESSAGE, f"{session}-normal"))
    answers.append(chat(f"/okand_avsikt {MESSAGE}", f"{session}-slash"))
    answers.append(chat(f'/feedback{{"helpful": "{MESSAGE}"}}', f"{session}-forged"))
    answers.append(chat(f"{CRASH_MARKER} {MESSAGE}", f"{session}-crash"))
    rest = f"{rasa_url}/webhooks/rest/webhook"
    # Straight to Rasa (loopback only, but any local client could): an unknown intent, a
    # malformed one, forged entities that are no text.
    for url in (rest, f"{rasa_url}{contract.WEBHOOK_PATH}"):  # Rasa's REST channel and ours
        for text in (f"/okand_avsikt {MESSAGE}", f"/gavor{{{MESSAGE}", f'/feedback{{"helpful": {{"x": "{MESSAGE}"}}}}'):
            assert httpx.post(url, json={"sender": f"{session}-direct", "message": text}, timeout=60).status_code == 200
    give_up_on_rasa(rest, f"{session}-timeout", logged)
    return answers


def assert_nothing_written(texts: dict[str, str]) -> None:
    for kind, secret in SECRETS.items():
        for name, content in texts.items():
            assert secret not in content, (kind, name)
            for part in secret.split():
                if len(part) > 4:
                    assert part not in content, (kind, part, name)


def written_files(directory: Path) -> dict[str, str]:
    return {
        str(p.relative_to(directory)): p.read_bytes().decode("utf-8", "replace")
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def test_no_path_puts_personal_data_in_a_log_or_file(stack, kb):
    answers = every_path(
        stack.url, stack.rasa_url, "e2e-paths", lambda: "\n".join(written_files(stack.log_dir).values())
    )
    assert all(a["engine"] == "rasa" for a in answers), [a["engine"] for a in answers]
    # The failing action answered from the knowledge base instead of failing the turn.
    crash = " ".join(m["text"] for m in answers[3]["messages"])
    assert " ".join(kb.phrases["degraded_intro"].split()) in " ".join(crash.split()), crash
    assert_nothing_written({**written_files(stack.log_dir), **written_files(stack.data_dir)})
    logs = "\n".join(written_files(stack.log_dir).values())
    assert "action_answer_topic failed: InjectedFault" in logs or "failed: InjectedFault" in logs
    assert TIMEOUT_RECORD in logs  # the record is there, without the text


def test_make_run_on_a_terminal_writes_no_personal_data(tmp_path):
    """`make run`'s command, its children on a pseudo-terminal: Rasa's console format."""
    ports = {"--port": free_port(), "--rasa-port": free_port(), "--actions-port": free_port()}
    env = {
        **os.environ,
        "LOTSEN_DATA_DIR": str(tmp_path / "data"),
        "LOTSEN_ENGINE_INSTANCES": "1",
        "LOTSEN_RATE_LIMIT_PER_MINUTE": "0",
        "LOTSEN_TEST_CRASH_MARKER": CRASH_MARKER,
        "LOTSEN_TEST_SLOW_MARKER": SLOW_MARKER,
    }
    controller, worker = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tools.stack", *(str(x) for kv in ports.items() for x in kv), "--engine-instances", "1"],
        cwd=ROOT,
        env=env,
        stdin=worker,
        stdout=worker,
        stderr=worker,
        start_new_session=True,
    )
    os.close(worker)
    output = bytearray()

    def drain() -> None:  # a full terminal buffer would block every process writing to it
        while True:
            try:
                chunk = os.read(controller, 65536)
            except OSError:
                return
            if not chunk:
                return
            output.extend(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    gateway = f"http://127.0.0.1:{ports['--port']}"
    try:
        deadline = time.monotonic() + 300
        while "svarar på".encode() not in output:
            assert proc.poll() is None and time.monotonic() < deadline, output.decode("utf-8", "replace")[-3000:]
            time.sleep(0.5)
        every_path(
            gateway,
            f"http://127.0.0.1:{ports['--rasa-port']}",
            "e2e-tty",
            lambda: bytes(output).decode("utf-8", "replace"),
        )
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(timeout=60)
        reader.join(timeout=10)
        os.close(controller)
    text = output.decode("utf-8", "replace")
    assert TIMEOUT_RECORD in text, text[-3000:]
    assert_nothing_written({"terminal": text, **written_files(tmp_path / "data")})


def test_personal_data_never_reaches_store_or_logs(stack):
    answer = ask(stack, "e2e-privacy-001", text=MESSAGE)
    assert answer["engine"] == "rasa"
    events = stored_events(stack, "e2e-privacy-001")
    assert events, "the conversation should be stored (redacted)"
    assert any("[personnummer]" in e for e in events)
    stored = "\n".join(events)
    files = {p.name: p.read_bytes().decode("utf-8", "replace") for p in stack.log_dir.glob("*.log")}
    # The database and its write-ahead log: recent writes live in tracker.db-wal first.
    files["tracker.db"] = store_bytes(stack)
    for kind, secret in SECRETS.items():
        assert secret not in stored, kind
        for name, content in files.items():
            assert secret not in content, (kind, name)
        for part in secret.split():
            if len(part) > 4:
                assert part not in files["tracker.db"], (kind, part)


def test_clearing_the_conversation_deletes_it_from_the_engine(stack):
    marker = "Xylofonleverantoren"  # a word no other test writes (ASCII: the store escapes å ä ö)
    ask(stack, "e2e-forget-0001", text=f"{marker} vill ge mig en gåva, får jag ta emot den?")
    assert stored_events(stack, "e2e-forget-0001")
    assert marker in store_bytes(stack)
    r = httpx.post(f"{stack.url}/api/session/clear", json={"session_id": "e2e-forget-0001"}, timeout=30)
    assert r.status_code == 204
    assert stored_events(stack, "e2e-forget-0001") == []
    # Gone from the files too, not only from the query: no free page or log page keeps it.
    assert marker not in store_bytes(stack)
