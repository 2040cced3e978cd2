"""`make run`'s default: two Rasa processes sharing the SQLite tracker store, the gateway keeping
each conversation on one of them. A killed instance's conversations continue on the other;
back after a restart, the instance reads what the other one wrote (its cache is not trusted)."""

from __future__ import annotations

import signal
import sqlite3
import sys

import httpx
import pytest

from gateway.engine import HashRing
from tests.conftest import ROOT, free_port, start_or_show_logs

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    from tools.stack import Stack

    if not (ROOT / "models" / "lotsen.tar.gz").exists():
        pytest.fail("Ingen tränad modell: kör make test (den tränar först).")
    logs = tmp_path_factory.mktemp("pair-logs")
    s = Stack(
        port=free_port(),
        rasa_ports=(free_port(), free_port()),
        actions_port=free_port(),
        app_python=sys.executable,
        log_dir=logs,
        data_dir=tmp_path_factory.mktemp("pair-data"),
        env={"LOTSEN_RATE_LIMIT_PER_MINUTE": "0", "LOTSEN_ENGINE_TIMEOUT": "10"},
    )
    start_or_show_logs(s, timeout=300)
    yield s
    s.stop()


def ask(stack, session: str, text: str) -> dict:
    r = httpx.post(f"{stack.url}/api/chat", json={"session_id": session, "text": text}, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()


def owner(stack, session: str) -> str:
    return stack.engine_names[stack.rasa_urls.index(HashRing(stack.rasa_urls).preference(session)[0])]


def user_turns(stack, session: str) -> tuple[int, int]:
    """(user messages, session starts) stored for a conversation."""
    with sqlite3.connect(stack.data_dir / "tracker.db") as db:
        rows = db.execute("select type_name from events where sender_id = ?", (session,)).fetchall()
    kinds = [r[0] for r in rows]
    return kinds.count("user"), kinds.count("session_started")


def test_many_conversations_at_once_queue_in_the_gateway_and_every_turn_is_answered_once(pair):
    """24 conversations of 3 turns, all at once: 6 times the 4 turns per instance the gateway
    sends at a time. Every turn is answered by the engine (a slot never released would turn
    later turns into fallback answers) and each conversation has exactly its 3 turns stored."""
    from concurrent.futures import ThreadPoolExecutor

    questions = [
        "Vad gör jag om jag blir erbjuden en gåva?",
        "Jag har blivit hotad av en klient",
        "Ska jag polisanmäla hotet?",
    ]

    def conversation(session: str) -> list[str]:
        # Threads, not asyncio: the widget tests' Playwright keeps an event loop in this thread.
        with httpx.Client(timeout=60) as client:
            engines = []
            for text in questions:
                r = client.post(f"{pair.url}/api/chat", json={"session_id": session, "text": text})
                assert r.status_code == 200, r.text
                engines.append(r.json()["engine"])
            return engines

    sessions = [f"e2e-burst-{i:04d}" for i in range(24)]
    with ThreadPoolExecutor(max_workers=len(sessions)) as pool:
        assert list(pool.map(conversation, sessions)) == [["rasa"] * 3] * len(sessions)
    assert all(user_turns(pair, s) == (3, 1) for s in sessions)


def test_both_instances_answer_and_a_killed_one_s_conversations_go_on(pair):
    sessions = [f"e2e-pair-{i:04d}" for i in range(12)]
    owners = {owner(pair, s) for s in sessions}
    assert owners == {"rasa1", "rasa2"}  # the sessions are spread over both
    for s in sessions:
        answer = ask(pair, s, "Vad gör jag om jag blir erbjuden en gåva?")
        assert answer["engine"] == "rasa" and answer["topic"] == "gavor"
        assert user_turns(pair, s) == (1, 1)

    session = next(s for s in sessions if owner(pair, s) == "rasa1")
    pair.stop_one("rasa1", sig=signal.SIGKILL)
    second = ask(pair, session, "Jag har blivit hotad av en klient")
    assert second["engine"] == "rasa" and second["topic"] == "hot"  # rasa2 took over …
    assert user_turns(pair, session) == (2, 1)  # … and continued the stored conversation

    pair.restart("rasa1")
    third = ask(pair, session, "Ska jag polisanmäla hotet?")
    assert third["engine"] == "rasa"
    assert user_turns(pair, session) == (3, 1)  # back on rasa1, which read rasa2's turn
