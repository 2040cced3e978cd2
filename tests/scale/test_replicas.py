"""Two gateway replicas behind a round-robin proxy, no sticky routing: each request of a
conversation may reach either replica, and what one replica hands out or counts holds on the
other (signed button payloads and session ids; rate limits, lockouts and late answers in Redis).
"""

from __future__ import annotations

import asyncio
import secrets

import httpx
import pytest

from knowledge.flows import load_flows
from tools.round_robin import UPSTREAM_HEADER

DANGER = "Jag blev hotad med kniv igår, hur gör jag en polisanmälan?"


class Conversation:
    """One conversation through the proxy; remembers which replica answered each request."""

    def __init__(self, proxy: str, client: str = "192.0.2.10") -> None:
        self.proxy = proxy
        self.session: str | None = None  # the server issues it
        self.headers = {"X-Forwarded-For": client}
        self.replicas: list[str] = []
        self.last: dict = {}

    def post(self, path: str, body: dict) -> httpx.Response:
        r = httpx.post(f"{self.proxy}{path}", json=body, headers=self.headers, timeout=30)
        self.replicas.append(r.headers[UPSTREAM_HEADER])
        return r

    def turn(self, **body) -> dict:
        r = self.post("/api/chat", {**({"session_id": self.session} if self.session else {}), **body})
        assert r.status_code == 200, r.text
        self.last = r.json()
        self.session = self.last["session_id"]
        return self.last

    def click(self, part: str) -> dict:
        [payload] = [b["payload"] for m in self.last["messages"] for b in m["buttons"] if part in b["payload"]]
        return self.turn(payload=payload)


def alternating(replicas: list[str]) -> bool:
    return len(set(replicas)) == 2 and all(a != b for a, b in zip(replicas, replicas[1:], strict=False))


def test_a_guided_conversation_alternates_between_replicas(replicas, scale_stack):
    chat = Conversation(replicas)
    assert chat.turn(text="Jag har fått en gåva på jobbet, får jag ta emot den?")["topic"] == "gavor"
    start = next(
        b["payload"] for m in chat.last["messages"] for b in m["buttons"] if "/gift_assessment" in b["payload"]
    )
    chat.click("/gift_assessment")
    for slot, value in (("gift_giver", "leverantor"), ("gift_kind", "pengar_presentkort_rabatt"), ("gift_case", "ja")):
        chat.click(f'"{slot}": "{value}"')
    # Every click was verified by the replica that did not hand the button out.
    assert alternating(chat.replicas), chat.replicas
    assert chat.last["engine"] == "rasa" and chat.last["topic"] == "gavor"
    verdict = load_flows().flows["gift_assessment"].extra["verdicts"]["tacka_nej"]["title"]
    assert verdict in chat.last["messages"][0]["text"]

    # A payload changed by the client, or used in another session, is refused by either replica.
    tampered = start.replace("/gift_assessment", "/handoff", 1)
    for session, payload in ((chat.session, tampered), (chat.session, start[:-2]), ("annan-session-0001", start)):
        for _ in range(2):
            r = chat.post("/api/chat", {"session_id": session, "payload": payload})
            assert r.status_code == 422 and r.json()["error"]["code"] == "unknown_payload", r.text
    assert set(chat.replicas[-6:]) == {"0", "1"}


def test_the_late_answer_can_be_fetched_from_the_other_replica(replicas):
    chat = Conversation(replicas, client="192.0.2.11")
    first = chat.turn(text=DANGER)
    assert first["engine"] == "fallback" and first["late_answer"] is True  # the 112 answer at once
    r = chat.post("/api/chat/late-answer", {"session_id": chat.session})
    assert chat.replicas[-1] != chat.replicas[-2]  # asked the replica that is not answering it
    late = r.json()
    assert r.status_code == 200 and late["engine"] == "rasa" and late["late_answer"] is False, late
    assert late["messages"] and late["topic"] == "polisanmalan", late


def test_the_rate_limit_holds_across_replicas(replicas):
    # The stack's default: 40 at once per client (LOTSEN_RATE_LIMIT_BURST). Counted per replica
    # the 90 requests would pass 80 times; counted together about 40 times (a little more when
    # they straddle a turn of the sliding window).
    chat = Conversation(replicas, client="192.0.2.12")
    codes = [
        httpx.get(f"{replicas}/api/search", params={"q": "hot"}, headers=chat.headers, timeout=30) for _ in range(90)
    ]
    passed = [r for r in codes if r.status_code == 200]
    refused = [r for r in codes if r.status_code == 429]
    assert 40 <= len(passed) < 60 and len(passed) + len(refused) == 90
    assert {r.headers[UPSTREAM_HEADER] for r in refused} == {"0", "1"}
    assert refused[0].json()["error"]["code"] == "rate_limited" and int(refused[0].headers["retry-after"]) >= 1
    # Another client is not affected.
    other = httpx.get(
        f"{replicas}/api/search", params={"q": "hot"}, headers={"X-Forwarded-For": "192.0.2.13"}, timeout=30
    )
    assert other.status_code == 200


def test_a_login_lockout_holds_on_every_replica(replicas):
    headers = {"X-Forwarded-For": "192.0.2.14", "Authorization": "Bearer fel-nyckel"}
    codes = [httpx.get(f"{replicas}/statistik.csv", headers=headers, timeout=30).status_code for _ in range(5)]
    assert codes == [401] * 5  # LOTSEN_STATISTICS_LOGIN_ATTEMPTS, spread over both replicas
    right = {**headers, "Authorization": "Bearer skalningstest-nyckel-0123456789"}
    locked = [httpx.get(f"{replicas}/statistik.csv", headers=right, timeout=30) for _ in range(2)]
    assert [r.status_code for r in locked] == [429, 429]
    assert {r.headers[UPSTREAM_HEADER] for r in locked} == {"0", "1"}
    assert locked[0].json()["error"]["code"] == "locked_out"


# --- the Redis parts on their own, against the real server -----------------------------------


@pytest.fixture
def redis_client(redis):
    from gateway.redis_store import connect

    return f"redis://:{redis.password}@127.0.0.1:{redis.port}/3", connect


def test_redis_turn_locks_keep_one_turn_of_a_session_at_a_time(redis_client):
    from gateway.engine.turn_locks import RedisTurnLocks, TurnLockTimeout

    url, connect = redis_client

    async def scenario() -> list[str]:
        one, two = connect(url), connect(url)  # two replicas
        events: list[str] = []
        session = "lås-" + secrets.token_hex(8)
        try:
            async with RedisTurnLocks(one).hold(session, wait=1, hold=5):
                events.append("first holds")
                with pytest.raises(TurnLockTimeout):
                    async with RedisTurnLocks(two).hold(session, wait=0.2, hold=5):
                        events.append("second held too")  # must not happen
                async with RedisTurnLocks(two).hold("en-annan-session", wait=0.2, hold=5):
                    events.append("another session is free")

            async def second() -> None:
                async with RedisTurnLocks(two).hold(session, wait=3, hold=5):
                    events.append("second holds")

            async with RedisTurnLocks(one).hold(session, wait=1, hold=5):
                waiting = asyncio.create_task(second())
                await asyncio.sleep(0.2)
                events.append("first releases")
            await waiting
        finally:
            await one.aclose()
            await two.aclose()
        return events

    assert asyncio.run(scenario()) == ["first holds", "another session is free", "first releases", "second holds"]


def test_redis_late_answers_are_shared_between_replicas(redis_client):
    from gateway.late_answers import RedisLateAnswers

    url, connect = redis_client
    answer = {
        "messages": [{"text": "Om hot.", "buttons": [], "links": []}],
        "topic": "hot",
        "emergency": True,
        "suggestions": [],
    }

    async def scenario() -> None:
        one, two = connect(url), connect(url)
        a, b = RedisLateAnswers(one), RedisLateAnswers(two)
        session = "sent-" + secrets.token_hex(8)
        try:
            assert await b.take(session) == (None, False)
            await a.expect(session)
            assert await b.take(session) == (None, True)
            waiter = asyncio.create_task(b.wait(session, timeout=10))
            await asyncio.sleep(0.2)
            assert not waiter.done()
            await a.deliver(session, answer)
            assert await asyncio.wait_for(waiter, 5) == (answer, False)
            assert await a.take(session) == (None, False)
            # Forgetting releases a waiting client and drops what comes after.
            await a.expect(session)
            waiter = asyncio.create_task(b.wait(session, timeout=10))
            await asyncio.sleep(0.2)
            await a.forget(session)
            assert await asyncio.wait_for(waiter, 5) == (None, False)
            await a.deliver(session, answer)
            assert await b.take(session) == (None, False)
            # Nothing expected: no wait at all.
            assert await asyncio.wait_for(b.wait(session, timeout=10), 1) == (None, False)
            # Session ids stay out of the key names.
            assert not [k for k in await one.keys("*") if session.encode() in k]
        finally:
            await one.aclose()
            await two.aclose()

    asyncio.run(scenario())
