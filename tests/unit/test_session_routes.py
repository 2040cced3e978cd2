"""POST /api/session/clear with a mocked engine: offered buttons are forgotten, bad input is 422."""
from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient

from gateway.main import create_app
from gateway.settings import Settings
from tests import fake_engine

SESSION = "clear-session-0001"
ORIGIN = "https://intranat.example"


def engine(request: httpx.Request) -> httpx.Response:
    if request.url.path == fake_engine.WEBHOOK:
        return fake_engine.reply({"text": "Vill du veta mer?", "buttons": [{"title": "Ja", "payload": "/affirm"}]})
    return httpx.Response(200, text="ok")


@pytest.fixture
def client():
    app = create_app(Settings(allowed_origins=[ORIGIN]), engine_transport=httpx.MockTransport(engine))
    with TestClient(app) as c:
        yield c


def test_clearing_forgets_the_buttons_offered_to_the_session(client):
    client.post("/api/chat", json={"session_id": SESSION, "text": "hej"})
    assert client.post("/api/chat", json={"session_id": SESSION, "payload": "/affirm"}).status_code == 200
    r = client.post("/api/session/clear", json={"session_id": SESSION})
    assert r.status_code == 204 and r.content == b""
    r = client.post("/api/chat", json={"session_id": SESSION, "payload": "/affirm"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "unknown_payload"


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
