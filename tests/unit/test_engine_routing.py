"""Scale-out in the engine client: consistent hashing of sessions over Rasa instances, and
re-routing when an instance fails (mocked instances at the HTTP level)."""

from __future__ import annotations

import json
from collections import Counter

import httpx
import pytest

from gateway.engine import EngineClient, EngineUnavailable, HashRing
from gateway.settings import Settings
from tests import fake_engine

URLS = ["http://rasa-a:5005", "http://rasa-b:5005", "http://rasa-c:5005"]
SESSIONS = [f"session-{i:05d}" for i in range(3000)]


def test_every_session_keeps_its_instance_and_the_load_is_even():
    ring = HashRing(URLS)
    owners = Counter(ring.preference(s)[0] for s in SESSIONS)
    assert set(owners) == set(URLS)
    assert all(abs(n - len(SESSIONS) / 3) < len(SESSIONS) * 0.08 for n in owners.values()), owners
    # Another process (another gateway replica) with the instances in another order agrees.
    assert all(HashRing(list(reversed(URLS))).preference(s) == ring.preference(s) for s in SESSIONS[:300])
    assert all(sorted(ring.preference(s)) == sorted(URLS) for s in SESSIONS[:300])


def test_adding_an_instance_moves_only_the_sessions_it_takes_over():
    before, after = HashRing(URLS), HashRing([*URLS, "http://rasa-d:5005"])
    moved = [s for s in SESSIONS if before.preference(s)[0] != after.preference(s)[0]]
    assert all(after.preference(s)[0] == "http://rasa-d:5005" for s in moved)
    assert 0.15 < len(moved) / len(SESSIONS) < 0.35


def test_a_failed_instance_s_sessions_spread_over_the_others():
    ring = HashRing(URLS)
    orphans = [s for s in SESSIONS if ring.preference(s)[0] == URLS[0]]
    heirs = Counter(ring.preference(s)[1] for s in orphans)
    assert set(heirs) == set(URLS[1:]) and min(heirs.values()) > len(orphans) * 0.3


def test_settings_read_the_instance_list():
    assert Settings(rasa_urls="http://a:5005/, http://b:5005,,http://a:5005").engine_urls == [
        "http://a:5005",
        "http://b:5005",
    ]
    assert Settings(rasa_url="http://only:5005").engine_urls == ["http://only:5005"]


class Instances:
    """Three Rasa instances at the HTTP level; each can be up, refusing, dying mid-request or slow."""

    def __init__(self):
        self.state = dict.fromkeys(URLS, "up")
        self.seen: list[tuple[str, str]] = []

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        base = f"{request.url.scheme}://{request.url.host}:{request.url.port}"
        state = self.state.get(base, "up")
        if state == "refused":
            raise httpx.ConnectError("connection refused", request=request)
        if request.url.path == fake_engine.WEBHOOK:
            sender = json.loads(request.content)["sender"]
            if state == "dying":
                self.state[base] = "refused"  # died with the request: the next connect is refused
                raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)
            self.seen.append((base, sender))
            if state == "slow":  # got the message, answers after the client gave up waiting
                raise httpx.ReadTimeout("timed out", request=request)
            return fake_engine.reply({"recipient_id": sender, "text": f"svar från {base}"})
        return httpx.Response(200, text="ok")


@pytest.fixture
def instances():
    return Instances()


def client(instances, clock=None, timeout=2.0) -> EngineClient:
    extra = {"clock": clock} if clock else {}
    return EngineClient(
        URLS, "http://actions:5055", timeout, 1.0, transport=httpx.MockTransport(instances), retry_after=10.0, **extra
    )


async def test_a_session_goes_to_its_own_instance_every_time(instances):
    engine = client(instances)
    for session in SESSIONS[:30]:
        for _ in range(3):
            await engine.send(session, "hej")
    by_session: dict[str, set] = {}
    for base, sender in instances.seen:
        by_session.setdefault(sender, set()).add(base)
    assert all(len(bases) == 1 for bases in by_session.values())
    assert {b for bases in by_session.values() for b in bases} == set(URLS)
    await engine.close()


async def test_a_refused_instance_is_skipped_and_tried_again_later(instances):
    now = [1000.0]
    engine = client(instances, clock=lambda: now[0])
    session = next(s for s in SESSIONS if engine.route(s)[0] == URLS[0])
    instances.state[URLS[0]] = "refused"
    reply = await engine.send(session, "hej")
    heir = engine.route(session)[0]
    assert heir != URLS[0] and reply["messages"][0]["text"] == f"svar från {heir}"
    assert engine.route(session)[-1] == URLS[0]  # marked down: tried last
    instances.state[URLS[0]] = "up"
    now[0] += 11  # after retry_after the session goes home again
    assert engine.route(session)[0] == URLS[0]
    assert (await engine.send(session, "hej"))["messages"][0]["text"] == f"svar från {URLS[0]}"
    await engine.close()


async def test_an_instance_that_dies_with_the_message_is_replaced(instances):
    engine = client(instances)
    session = next(s for s in SESSIONS if engine.route(s)[0] == URLS[1])
    instances.state[URLS[1]] = "dying"
    reply = await engine.send(session, "hej")
    assert reply["messages"][0]["text"] != f"svar från {URLS[1]}" and len(instances.seen) == 1
    await engine.close()


async def test_a_slow_instance_is_not_sent_the_message_twice(instances):
    engine = client(instances)
    session = next(s for s in SESSIONS if engine.route(s)[0] == URLS[2])
    instances.state[URLS[2]] = "slow"
    with pytest.raises(EngineUnavailable):
        await engine.send(session, "hej")
    assert instances.seen == [(URLS[2], session)]  # it may still answer: the others were not asked too
    # The next turn goes elsewhere while the slow one is marked down.
    instances.state[URLS[2]] = "up"
    assert (await engine.send(session, "hej"))["messages"][0]["text"] != f"svar från {URLS[2]}"
    await engine.close()


async def test_all_instances_down_is_engine_unavailable(instances):
    engine = client(instances)
    for url in URLS:
        instances.state[url] = "refused"
    with pytest.raises(EngineUnavailable):
        await engine.send("session-00001", "hej")
    assert await engine.health() == (False, True)
    instances.state[URLS[1]] = "up"
    assert await engine.health() == (True, True)  # the engine is up while one instance is
    await engine.close()


async def test_health_brings_a_recovered_instance_back_at_once(instances):
    now = [0.0]
    engine = client(instances, clock=lambda: now[0])
    session = next(s for s in SESSIONS if engine.route(s)[0] == URLS[0])
    instances.state[URLS[0]] = "refused"
    await engine.send(session, "hej")
    assert engine.route(session)[0] != URLS[0]
    instances.state[URLS[0]] = "up"
    await engine.health()
    assert engine.route(session)[0] == URLS[0]
    await engine.close()


class Gated:
    """Instance A holds every request until released; the others answer at once."""

    def __init__(self):
        self.release = None
        self.seen: list[tuple[str, str]] = []

    async def __call__(self, request: httpx.Request) -> httpx.Response:

        base = f"{request.url.scheme}://{request.url.host}:{request.url.port}"
        sender = json.loads(request.content)["sender"]
        self.seen.append((base, sender))
        if base == URLS[0]:
            await self.release.wait()
        return fake_engine.reply({"recipient_id": sender, "text": f"svar från {base}"})


def gated_engine(timeout: float = 5.0, **options) -> tuple[Gated, EngineClient]:
    """An engine client in front of the Gated instances (call inside the test's event loop)."""
    import asyncio

    gated = Gated()
    gated.release = asyncio.Event()
    return gated, EngineClient(
        URLS, "http://actions:5055", timeout, 1.0, transport=httpx.MockTransport(gated), **options
    )


def owned_by_first(n: int) -> list[str]:
    ring = HashRing(URLS)
    return [s for s in SESSIONS if ring.preference(s)[0] == URLS[0]][:n]


@pytest.mark.parametrize("spill, third_goes_to_first", [(2, False), (0, True)])
async def test_a_busy_instance_s_turns_spill_to_the_least_busy_one(spill, third_goes_to_first):
    import asyncio

    gated, engine = gated_engine(spill=spill)
    first, second, third = owned_by_first(3)
    busy = [asyncio.create_task(engine.send(s, "hej")) for s in (first, second)]
    await asyncio.sleep(0.05)  # both are in flight on their own instance
    turn = asyncio.create_task(engine.send(third, "hej"))
    await asyncio.sleep(0.05)
    assert (gated.seen[-1][0] == URLS[0]) is third_goes_to_first
    gated.release.set()
    await asyncio.gather(*busy, turn)
    await engine.close()


async def test_two_turns_of_one_session_never_run_at_once():
    import asyncio

    gated, engine = gated_engine(spill=1)
    session = owned_by_first(1)[0]
    first = asyncio.create_task(engine.send(session, "första"))
    await asyncio.sleep(0.05)
    second = asyncio.create_task(engine.send(session, "andra"))  # spill=1 would move it at once …
    await asyncio.sleep(0.05)
    assert len(gated.seen) == 1  # … but it waits for the first turn of its session
    gated.release.set()
    await asyncio.gather(first, second)
    assert len(gated.seen) == 2
    await engine.close()


async def test_an_instance_gets_at_most_concurrency_turns_and_the_rest_go_in_arrival_order():
    import asyncio

    gated, engine = gated_engine(concurrency=2)
    sessions = owned_by_first(5)
    turns = []
    for session in sessions:
        turns.append(asyncio.create_task(engine.send(session, "hej")))
        await asyncio.sleep(0.01)  # they arrive one after another
    await asyncio.sleep(0.05)
    assert [s for _, s in gated.seen] == sessions[:2]  # two sent, three waiting in the gateway
    gated.release.set()
    await asyncio.gather(*turns)
    assert [s for _, s in gated.seen] == sessions  # first come, first served
    await engine.close()


async def test_waiting_for_a_busy_instance_times_out_without_marking_it_down():
    import asyncio

    gated, engine = gated_engine(timeout=0.3, concurrency=1)
    first, second = owned_by_first(2)
    holding = asyncio.create_task(engine.send(first, "hej"))
    await asyncio.sleep(0.05)
    with pytest.raises(EngineUnavailable, match="busy"):
        await engine.send(second, "hej")
    assert [s for _, s in gated.seen] == [first]  # the waiting turn was never sent anywhere
    assert engine.route(second)[0] == URLS[0]  # busy is not down
    gated.release.set()
    await holding
    assert (await engine.send(second, "hej"))["messages"][0]["text"] == f"svar från {URLS[0]}"  # the slot is free again
    await engine.close()


def test_settings_read_the_engine_concurrency():
    assert Settings().engine_concurrency == 4
    assert Settings(engine_concurrency=0).engine_concurrency == 0
    with pytest.raises(ValueError):
        Settings(engine_concurrency=-1)


async def test_a_message_about_danger_goes_ahead_of_the_waiting_turns():
    import asyncio

    gated, engine = gated_engine(concurrency=1)
    holder, first, second, danger = owned_by_first(4)
    turns = [asyncio.create_task(engine.send(holder, "hej"))]
    await asyncio.sleep(0.02)
    for session, urgent in ((first, False), (second, False), (danger, True)):
        turns.append(asyncio.create_task(engine.send(session, "hej", urgent=urgent)))
        await asyncio.sleep(0.01)
    gated.release.set()
    await asyncio.gather(*turns)
    assert [s for _, s in gated.seen] == [holder, danger, first, second]
    await engine.close()


async def test_a_slot_handed_over_as_its_waiter_gives_up_is_passed_on():
    import asyncio

    from gateway.engine import Slots

    slots = Slots(1)
    await slots.acquire()
    waiter = asyncio.create_task(slots.acquire())
    later = asyncio.create_task(slots.acquire())
    await asyncio.sleep(0)
    slots.release()  # the slot goes to `waiter` …
    waiter.cancel()  # … which gives up before it runs again
    await asyncio.gather(waiter, return_exceptions=True)
    await asyncio.wait_for(later, 1)  # the slot reached the next waiter instead of being lost
    gone = asyncio.create_task(slots.acquire())
    await asyncio.sleep(0)
    gone.cancel()  # a waiter that gives up while waiting takes no slot with it
    await asyncio.gather(gone, return_exceptions=True)
    slots.release()
    await asyncio.wait_for(slots.acquire(), 1)
