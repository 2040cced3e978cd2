"""Faults survived: the action server down, and Rasa restarted in the middle of a conversation."""

from __future__ import annotations

import sqlite3

import httpx
import pytest

pytestmark = pytest.mark.e2e


def ask(stack, session: str, **body) -> dict:
    r = httpx.post(f"{stack.url}/api/chat", json={"session_id": session, **body}, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()


def test_action_server_down_gateway_answers_from_knowledge_base(stack, kb):
    stack.stop_one("actions")
    try:
        body = ask(stack, "e2e-actions-down1", text="Får jag ta emot en julklapp från en leverantör?")
        assert body["engine"] == "fallback" and body["suggestions"][0] == "gavor"
        danger = ask(stack, "e2e-actions-down2", text="han har en kniv och står i receptionen")
        assert danger["emergency"] is True and danger["messages"][0]["text"] == kb.phrases["emergency_line"]
        assert httpx.get(f"{stack.url}/healthz", timeout=10).json()["actions"] == "down"
    finally:
        stack.restart("actions")
    assert ask(stack, "e2e-actions-up-01", text="Vad gör jag om jag blir erbjuden en gåva?")["engine"] == "rasa"


def session_starts(stack, session: str) -> int:
    with sqlite3.connect(stack.data_dir / "tracker.db") as db:
        return db.execute(
            "select count(*) from events where sender_id = ? and type_name = 'session_started'", (session,)
        ).fetchone()[0]


def test_rasa_restarted_mid_conversation_continues_from_the_store(stack):
    session = "e2e-restart-0001"
    assert ask(stack, session, text="Vad gör jag om jag blir erbjuden en gåva?")["topic"] == "gavor"
    assert session_starts(stack, session) == 1
    stack.restart("rasa")
    assert ask(stack, session, text="Jag har blivit hotad av en klient")["engine"] == "rasa"
    # The same conversation went on: the engine loaded it from the store instead of starting anew.
    assert session_starts(stack, session) == 1
    with sqlite3.connect(stack.data_dir / "tracker.db") as db:
        users = db.execute(
            "select count(*) from events where sender_id = ? and type_name = 'user'", (session,)
        ).fetchone()[0]
    assert users == 2
