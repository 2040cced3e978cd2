"""Scale-out with real parts: a conversation continues when its engine instance is killed.

Two Rasa instances share PostgreSQL (tracker store) and Redis (lock store); the gateway sends
a session to the instance its id hashes to, and to the other one when that instance is gone.
"""

from __future__ import annotations

import csv
import io
import json
import secrets
import signal

import httpx
import psycopg

from gateway.engine import HashRing

TOKEN = {"Authorization": "Bearer skalningstest-nyckel-0123456789"}


def turn(stack, session: str, **body) -> dict:
    r = httpx.post(f"{stack.url}/api/chat", json={"session_id": session, **body}, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()


def stored_events(postgres, session: str) -> list[tuple[str, str | None, dict]]:
    """(type, action or intent, data) of the conversation's events, in order, from PostgreSQL."""
    with psycopg.connect(postgres.url) as conn:
        rows = conn.execute(
            "SELECT type_name, coalesce(action_name, intent_name), data FROM events WHERE sender_id = %s ORDER BY id",
            (session,),
        ).fetchall()
    return [(kind, name, json.loads(data)) for kind, name, data in rows]


def owner(stack, session: str) -> str:
    url = HashRing(stack.rasa_urls).preference(session)[0]
    return f"rasa{stack.rasa_urls.index(url) + 1}"


def test_conversation_continues_when_its_instance_is_killed(scale_stack, postgres, redis):
    session = "skalning-" + secrets.token_hex(8)
    home = owner(scale_stack, session)
    other = "rasa2" if home == "rasa1" else "rasa1"

    first = turn(scale_stack, session, payload="/hot")
    assert first["engine"] == "rasa" and first["topic"] == "hot"
    before = stored_events(postgres, session)
    assert [e for e in before if e[0] == "user"], "the first turn was not stored in PostgreSQL"

    scale_stack.stop_one(home, sig=signal.SIGKILL)
    assert not scale_stack.instance_up(home) and scale_stack.instance_up(other)

    second = turn(scale_stack, session, payload="/gavor")
    assert second["engine"] == "rasa" and second["topic"] == "gavor"  # answered by the other instance
    third = turn(scale_stack, session, text="Ring mig på 070-123 45 67 om gåvan")
    assert third["engine"] == "rasa"

    events = stored_events(postgres, session)
    assert events[: len(before)] == before  # the other instance continued the stored conversation …
    starts = [e for e in events if e[1] == "action_session_start"]
    assert len(starts) == 1  # … instead of starting a new one
    user_turns = [(name, data.get("text")) for kind, name, data in events if kind == "user"]
    assert [name for name, _ in user_turns[:2]] == ["hot", "gavor"]
    assert "[telefonnummer]" in user_turns[2][1] and "070-123" not in json.dumps([e[2] for e in events])

    # The lock store was used: Rasa takes and releases a Redis lock around every message.
    calls = redis.command_calls()
    assert calls.get("set", 0) >= 3 and calls.get("del", 0) + calls.get("unlink", 0) >= 1, calls


def test_statistics_are_counted_in_postgresql(scale_stack, postgres):
    session = "statistik-" + secrets.token_hex(8)
    turn(scale_stack, session, payload="/mutor")
    turn(scale_stack, session, payload="/mutor")
    r = httpx.get(f"{scale_stack.url}/statistik.csv", headers=TOKEN, timeout=30)
    assert r.status_code == 200
    rows = [
        row for row in csv.DictReader(io.StringIO(r.text.lstrip("\ufeff")), delimiter=";") if row["ämne"] == "mutor"
    ]
    assert [(row["kanal"], int(row["frågor"]), int(row["besvarade"])) for row in rows] == [("api", 2, 2)]
    with psycopg.connect(postgres.url) as conn:
        stored = conn.execute("SELECT sum(questions) FROM statistics_counts WHERE topic = 'mutor'").fetchone()[0]
    assert stored == 2
    assert httpx.get(f"{scale_stack.url}/statistik", timeout=30).status_code == 401
