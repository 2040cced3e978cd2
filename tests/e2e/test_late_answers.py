"""The 112 answer with the engine frozen (SIGSTOP: a hung or overloaded engine, as the gateway
sees it), and the engine's own answer once it continues (SIGCONT).

No clock decides anything here: the order of events does. The gateway's answer arrives while
the engine process is stopped and before the engine has stored the turn; the late answer
arrives only after the engine was let go, and holds what the engine says to the same message.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import threading
import uuid

import httpx
import pytest

from knowledge import contract

pytestmark = pytest.mark.e2e

# Lexicon: danger ("kniv", "hotad"); the engine adds the police-report topic it was asked about.
DANGER = "Jag blev hotad med kniv igår, hur gör jag en polisanmälan?"


def words(text: str) -> str:
    return " ".join(text.split())


def stored_user_turns(stack, session: str) -> int:
    with sqlite3.connect(stack.data_dir / "tracker.db") as db:
        return db.execute(
            "select count(*) from events where sender_id = ? and type_name = 'user'", (session,)
        ).fetchone()[0]


def signal_engine(stack, sig: int) -> None:
    for name in stack.engine_names:
        os.killpg(stack.processes[name].pid, sig)


def test_frozen_engine_the_112_answer_comes_at_once_and_the_engine_answer_follows(stack, kb):
    session = f"e2e-late-{uuid.uuid4().hex[:16]}"
    events: list[str] = []
    late: dict = {}

    def fetch_late() -> None:
        r = httpx.post(f"{stack.url}/api/chat/late-answer", json={"session_id": session}, timeout=60)
        late.update(status=r.status_code, body=r.json())
        events.append("late answer arrived")

    signal_engine(stack, signal.SIGSTOP)
    try:
        r = httpx.post(f"{stack.url}/api/chat", json={"session_id": session, "text": DANGER}, timeout=60)
        events.append("gateway answered")
        body = r.json()
        assert r.status_code == 200 and body["engine"] == "fallback" and body["late_answer"] is True
        assert body["emergency"] is True and body["topic"] == "akut_fara"
        assert body["messages"][0]["text"] == kb.phrases["emergency_line"]
        # The engine has not handled the turn: nothing of this conversation is stored yet.
        assert stored_user_turns(stack, session) == 0
        waiter = threading.Thread(target=fetch_late)
        waiter.start()
    finally:
        events.append("engine continued")
        signal_engine(stack, signal.SIGCONT)
    waiter.join(timeout=120)
    assert events == ["gateway answered", "engine continued", "late answer arrived"]
    assert late["status"] == 200 and late["body"]["engine"] == "rasa" and late["body"]["late_answer"] is False

    # What the engine says to the same message in a conversation of its own, minus what the
    # immediate answer already showed, is exactly what arrived late.
    direct, _ = contract.decode_answer(
        httpx.post(
            f"{stack.rasa_url}{contract.WEBHOOK_PATH}",
            json={"sender": f"e2e-late-ref-{uuid.uuid4().hex[:12]}", "message": DANGER},
            timeout=60,
        ).json()
    )
    shown = {words(m["text"]) for m in body["messages"]}
    expected = [words(m["text"]) for m in direct if words(m["text"]) not in shown]
    assert expected and [words(m["text"]) for m in late["body"]["messages"]] == expected
    assert late["body"]["topic"] == "polisanmalan"
    # The engine handled the turn once, and the conversation goes on with it.
    assert stored_user_turns(stack, session) == 1
    following = httpx.post(
        f"{stack.url}/api/chat",
        json={"session_id": session, "text": "Vad gör jag om jag blir erbjuden en gåva?"},
        timeout=60,
    ).json()
    assert following["engine"] == "rasa" and following["topic"] == "gavor"
