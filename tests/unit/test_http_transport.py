"""The aiohttp-backed httpx transport against real local HTTP servers: answers arrive intact and
each failure becomes the httpx error the engine client's re-routing depends on."""

from __future__ import annotations

import asyncio
import socket

import httpx
import pytest
from aiohttp import web

from gateway.engine import EngineClient, EngineUnavailable
from gateway.http_transport import AiohttpTransport
from knowledge import contract


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
async def server():
    """A Rasa look-alike: its webhook (bot/channel.py) echoes, /slow answers late, /drop hangs up."""

    async def webhook(request: web.Request) -> web.Response:
        body = await request.json()
        return web.json_response({"messages": [{"text": f"svar på {body['message']}"}], "meta": {}})

    async def slow(_: web.Request) -> web.Response:
        await asyncio.sleep(2)
        return web.json_response([])

    async def drop(request: web.Request) -> web.Response:
        request.transport.close()  # gone without an answer, as when Rasa dies mid-request
        await asyncio.sleep(1)
        return web.json_response([])

    async def root(_: web.Request) -> web.Response:
        return web.Response(text="Hello from Rasa")

    app = web.Application()
    app.router.add_post(contract.WEBHOOK_PATH, webhook)
    app.router.add_post("/slow", slow)
    app.router.add_post("/drop", drop)
    app.router.add_get("/", root)
    # Teardown does not wait for /slow and /drop to finish: their clients gave up long before.
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


async def test_a_json_answer_arrives_intact(server):
    async with httpx.AsyncClient(transport=AiohttpTransport(), timeout=5) as client:
        r = await client.post(f"{server}{contract.WEBHOOK_PATH}", json={"sender": "s1", "message": "gåva?"})
    assert r.status_code == 200
    assert r.json() == {"messages": [{"text": "svar på gåva?"}], "meta": {}}
    assert r.headers["content-type"].startswith("application/json")


async def test_failures_become_the_matching_httpx_errors(server):
    refused = f"http://127.0.0.1:{free_port()}"
    async with httpx.AsyncClient(transport=AiohttpTransport(), timeout=httpx.Timeout(0.3)) as client:
        with pytest.raises(httpx.ConnectError):
            await client.post(f"{refused}{contract.WEBHOOK_PATH}", json={})
        with pytest.raises(httpx.ReadTimeout):
            await client.post(f"{server}/slow", json={})
        with pytest.raises(httpx.TransportError) as dropped:
            await client.post(f"{server}/drop", json={})
        assert not isinstance(dropped.value, httpx.TimeoutException)


async def test_the_engine_client_skips_a_refusing_instance(server):
    refused = f"http://127.0.0.1:{free_port()}"
    engine = EngineClient([refused, server], "http://127.0.0.1:9", timeout=3, health_timeout=1)
    try:
        # Whichever instance a session hashes to first, every session gets the live one's answer.
        for i in range(6):
            answer = await engine.send(f"session-{i}", "hej")
            assert answer == {"messages": [{"text": "svar på hej"}], "meta": {}}
        assert (await engine.health()) == (True, False)
    finally:
        await engine.close()


async def test_no_instance_up_is_engine_unavailable():
    engine = EngineClient([f"http://127.0.0.1:{free_port()}"], "http://127.0.0.1:9", timeout=1, health_timeout=0.5)
    try:
        with pytest.raises(EngineUnavailable):
            await engine.send("s", "hej")
    finally:
        await engine.close()
