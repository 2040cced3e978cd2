"""POST /api/session/clear with a mocked engine: the engine is told to forget, bad input is 422."""

from __future__ import annotations

import json

import httpx
import pytest
from fastapi.testclient import TestClient

from gateway.main import create_app
from gateway.settings import Settings
from tests import fake_engine

SESSION = "clear-session-0001"
ORIGIN = "https://intranat.example"


SENT: list[dict] = []


def engine(request: httpx.Request) -> httpx.Response:
    if request.url.path == fake_engine.WEBHOOK:
        SENT.append(json.loads(request.content))
        return fake_engine.reply({"text": "Vill du veta mer?", "buttons": [{"title": "Ja", "payload": "/affirm"}]})
    return httpx.Response(200, text="ok")


@pytest.fixture
def client():
    app = create_app(Settings(allowed_origins=[ORIGIN]), engine_transport=httpx.MockTransport(engine))
    with TestClient(app) as c:
        yield c


def test_clearing_asks_the_engine_to_forget_the_conversation(client):
    # The gateway keeps nothing of a conversation but a late answer (signed button payloads
    # need no memory, docs/adr/0004-stateless-gateway.md): the engine deletes its events.
    client.post("/api/chat", json={"session_id": SESSION, "text": "hej"})
    SENT.clear()
    r = client.post("/api/session/clear", json={"session_id": SESSION})
    assert r.status_code == 204 and r.content == b""
    assert SENT == [{"sender": SESSION, "message": "/forget_conversation"}]


def test_clearing_an_unknown_session_twice_is_fine(client):
    for _ in range(2):
        assert client.post("/api/session/clear", json={"session_id": "never-seen-0001"}).status_code == 204


@pytest.mark.parametrize("body", [{}, {"session_id": "kort"}, {"session_id": "ok-session-01", "extra": 1}, [], "x"])
def test_bad_requests_get_a_swedish_json_error(client, body):
    r = client.post("/api/session/clear", json=body)
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "invalid_request" and r.json()["error"]["message"]


def test_an_embedding_origin_may_clear_and_others_may_not(client):
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
    allowed = client.options("/api/session/clear", headers={"Origin": ORIGIN, **preflight})
    assert allowed.status_code == 200 and allowed.headers["access-control-allow-origin"] == ORIGIN
    refused = client.options("/api/session/clear", headers={"Origin": "https://evil.example", **preflight})
    assert "access-control-allow-origin" not in refused.headers
