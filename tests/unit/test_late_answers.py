"""The 112 answer never waits for the engine; what the engine adds later is not lost.

The store on its own, then the gateway with an engine (mocked at the HTTP level) that holds
its answer until the test lets it go: the order of events, never a clock, shows that the
answer came before the engine's.
"""

from __future__ import annotations

import asyncio
import json
import threading

import httpx
import pytest
from fastapi.testclient import TestClient

from gateway.late_answers import MemoryLateAnswers, merge
from gateway.main import create_app
from gateway.settings import Settings
from tests import fake_engine

SESSION = "late-session-0001"
DANGER = "han står här med en kniv och hotar mig"


def answer(text: str, topic: str | None = "hot") -> dict:
    return {
        "messages": [{"text": text, "buttons": [], "links": []}],
        "topic": topic,
        "emergency": True,
        "suggestions": [],
    }


# --- the store -------------------------------------------------------------------------------


async def test_an_expected_answer_is_kept_until_taken_once():
    store = MemoryLateAnswers()
    assert await store.take(SESSION) == (None, False)
    await store.expect(SESSION)
    assert await store.take(SESSION) == (None, True)
    await store.deliver(SESSION, answer("ett"))
    assert await store.take(SESSION) == (answer("ett"), False)
    assert await store.take(SESSION) == (None, False)


async def test_two_expected_answers_come_merged_in_order():
    store = MemoryLateAnswers()
    await store.expect(SESSION)
    await store.expect(SESSION)
    await store.deliver(SESSION, answer("ett", topic="hot"))
    assert (await store.take(SESSION))[1] is True  # one still on its way
    await store.deliver(SESSION, None)
    await store.expect(SESSION)
    await store.deliver(SESSION, answer("två", topic="akut_fara"))
    await store.expect(SESSION)
    await store.deliver(SESSION, answer("tre", topic="gavor"))
    merged, more = await store.take(SESSION)
    assert [m["text"] for m in merged["messages"]] == ["två", "tre"] and merged["topic"] == "gavor" and not more
    assert merge([]) is None


def test_wait_returns_when_the_answer_arrives_or_nothing_is_expected():
    async def scenario():
        store = MemoryLateAnswers()
        assert await store.wait(SESSION, timeout=30) == (None, False)  # nothing expected: at once
        await store.expect(SESSION)
        waiter = asyncio.create_task(store.wait(SESSION, timeout=30))
        await asyncio.sleep(0)
        assert not waiter.done()
        await store.deliver(SESSION, answer("nu"))
        assert await waiter == (answer("nu"), False)
        await store.expect(SESSION)
        waiter = asyncio.create_task(store.wait(SESSION, timeout=30))
        await asyncio.sleep(0)
        await store.forget(SESSION)  # "Rensa samtalet" releases a waiting client
        assert await waiter == (None, False)
        await store.deliver(SESSION, answer("för sent"))  # after forgetting: dropped
        assert await store.take(SESSION) == (None, False)

    asyncio.run(scenario())


async def test_entries_expire_and_are_bounded():
    now = [0.0]
    store = MemoryLateAnswers(ttl_seconds=60, max_sessions=2, clock=lambda: now[0])
    await store.expect("s-one-0001")
    await store.deliver("s-one-0001", answer("gammal"))
    now[0] = 61
    assert await store.take("s-one-0001") == (None, False)
    for session in ("s-a-000001", "s-b-000001", "s-c-000001"):
        await store.expect(session)
        await store.deliver(session, answer(session))
    assert await store.take("s-a-000001") == (None, False)  # the least recently used went first
    assert (await store.take("s-c-000001"))[0] == answer("s-c-000001")


# --- through the gateway ---------------------------------------------------------------------


class HeldEngine:
    """The engine's channel at the HTTP level, holding each answer until `release()`."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.events: list[str] = []
        self.reply = lambda body: [
            {"text": "Här är svaret om hot.", "buttons": [{"title": "Polisanmälan", "payload": "/polisanmalan"}]},
            fake_engine.turn(topic="hot", emergency=True, suggestions=[]),
        ]
        self.down = False

    def release(self) -> None:
        self.events.append("engine released")
        self.gate.set()

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path != fake_engine.WEBHOOK:
            return httpx.Response(200, text="ok")
        if self.down:
            raise httpx.ConnectError("refused", request=request)
        body = json.loads(request.content)
        self.events.append(f"engine got {body['message']}")
        while not self.gate.is_set():  # on the app's event loop: never block it
            await asyncio.sleep(0.005)
        self.events.append(f"engine answered {body['message']}")
        return fake_engine.reply(*self.reply(body))


@pytest.fixture
def engine():
    return HeldEngine()


def app_client(engine, **settings):
    app = create_app(Settings(**settings), engine_transport=httpx.MockTransport(engine))
    return TestClient(app)


def test_flagged_message_is_answered_before_the_engine_and_its_answer_follows(engine, kb):
    with app_client(engine) as client:
        r = client.post("/api/chat", json={"session_id": SESSION, "text": DANGER})
        engine.events.append("gateway answered")
        body = r.json()
        assert r.status_code == 200 and body["engine"] == "fallback" and body["late_answer"] is True
        assert body["emergency"] is True and body["topic"] == "akut_fara"
        assert body["messages"][0]["text"] == kb.phrases["emergency_line"]
        assert body["messages"][1]["text"].startswith(kb.articles["akut_fara"].summary)
        engine.release()
        late = client.post("/api/chat/late-answer", json={"session_id": SESSION}).json()
        # The engine's 112 line (the gateway adds it) is not repeated, only what it adds.
        assert late["engine"] == "rasa" and late["late_answer"] is False and late["topic"] == "hot"
        assert [m["text"] for m in late["messages"]] == ["Här är svaret om hot."]
        # A button of the late answer was offered to this session, so it is accepted back.
        assert client.post("/api/chat", json={"session_id": SESSION, "payload": "/polisanmalan"}).status_code == 200
    order = engine.events
    assert (
        order.index(f"engine got {DANGER}")
        < order.index("gateway answered")
        < order.index("engine released")
        < order.index(f"engine answered {DANGER}")
    )


def test_next_turn_carries_a_late_answer_nobody_fetched(engine):
    engine.release()
    with app_client(engine) as client:
        assert client.post("/api/chat", json={"session_id": SESSION, "text": DANGER}).json()["late_answer"]
        engine.reply = lambda body: [{"text": "Om gåvor."}]
        body = client.post("/api/chat", json={"session_id": SESSION, "text": "Får jag ta emot en gåva?"}).json()
    # The engine's lock keeps one session's turns in order: the late answer exists by now.
    assert [m["text"] for m in body["messages"]] == ["Här är svaret om hot.", "Om gåvor."]
    assert body["engine"] == "rasa" and body["late_answer"] is False


def test_engine_down_the_late_answer_is_empty_and_final(engine, kb):
    engine.down = True
    with app_client(engine) as client:
        body = client.post("/api/chat", json={"session_id": SESSION, "text": DANGER}).json()
        assert body["messages"][0]["text"] == kb.phrases["emergency_line"] and body["late_answer"] is True
        late = client.post("/api/chat/late-answer", json={"session_id": SESSION}).json()
    assert late["messages"] == [] and late["late_answer"] is False


def test_engine_timing_out_ends_the_wait_with_nothing(engine):
    with app_client(engine, late_answer_timeout=0.2) as client:
        assert client.post("/api/chat", json={"session_id": SESSION, "text": DANGER}).json()["late_answer"]
        late = client.post("/api/chat/late-answer", json={"session_id": SESSION}).json()
        engine.release()
    assert late["messages"] == [] and late["late_answer"] is False


def test_switched_off_the_flagged_message_waits_for_the_engine(engine, kb):
    engine.release()
    with app_client(engine, emergency_immediate=False) as client:
        body = client.post("/api/chat", json={"session_id": SESSION, "text": DANGER}).json()
    assert body["engine"] == "rasa" and body["late_answer"] is False
    assert [m["text"] for m in body["messages"]] == [kb.phrases["emergency_line"], "Här är svaret om hot."]


def test_clearing_the_session_forgets_its_late_answer(engine):
    with app_client(engine) as client:
        client.post("/api/chat", json={"session_id": SESSION, "text": DANGER})
        engine.release()
        assert client.post("/api/session/clear", json={"session_id": SESSION}).status_code == 204
        late = client.post("/api/chat/late-answer", json={"session_id": SESSION}).json()
    assert late["messages"] == []


@pytest.mark.parametrize("body", [{}, {"session_id": "kort"}, {"session_id": SESSION, "text": "x"}])
def test_late_answer_request_mistakes_get_swedish_json_errors(engine, body):
    with app_client(engine) as client:
        r = client.post("/api/chat/late-answer", json=body)
    assert r.status_code in (400, 422) and r.json()["error"]["message"]
