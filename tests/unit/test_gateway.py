"""The gateway with a mocked engine: API contract, errors, degraded mode, the 112 line."""

from __future__ import annotations

import json

import httpx
import pytest
from fastapi.testclient import TestClient

from gateway.main import create_app
from gateway.settings import Settings
from tests import fake_engine

SESSION = "test-session-0001"


def rasa_reply(*items):
    return fake_engine.reply(*items)


def meta(topic=None, emergency=False, suggestions=()):
    return fake_engine.turn(topic=topic, emergency=emergency, suggestions=list(suggestions))


class FakeEngine:
    """Stands in for Rasa and the action server at the HTTP level."""

    def __init__(self):
        self.reply = lambda body: rasa_reply()
        self.down = False
        self.seen: list[dict] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            raise httpx.ConnectError("connection refused", request=request)
        if request.url.path == fake_engine.WEBHOOK:
            body = json.loads(request.content)
            self.seen.append(body)
            return self.reply(body)
        return httpx.Response(200, text="ok")


@pytest.fixture
def engine():
    return FakeEngine()


@pytest.fixture
def client(engine):
    """A fresh app per test: conversations change its state (engine marked down, late answers)."""
    app = create_app(
        Settings(allowed_origins=["https://intranat.example"]), engine_transport=httpx.MockTransport(engine)
    )
    with TestClient(app) as c:
        yield c


@pytest.fixture(scope="module")
def reader():
    """One app for the tests that only read pages and APIs or send refused requests: nothing they
    do changes its state, so they share it (building an app per test was most of their time).
    No rate limit: their requests would add up in one bucket; test_security tests the limit."""
    app = create_app(
        Settings(allowed_origins=["https://intranat.example"], rate_limit_per_minute=0),
        engine_transport=httpx.MockTransport(FakeEngine()),
    )
    with TestClient(app) as c:
        yield c


def test_engine_answer_is_mapped_with_links_and_buttons(client, engine):
    engine.reply = lambda body: rasa_reply(
        {"recipient_id": SESSION, "text": "Tacka nej."},
        fake_engine.part(
            "Läs mer:", [{"title": "Mutor", "payload": "/mutor"}], links=[{"title": "Brå", "url": "https://bra.se"}]
        ),
        meta(topic="gavor"),
    )
    r = client.post("/api/chat", json={"session_id": SESSION, "text": "Får jag ta emot en gåva?"})
    assert r.status_code == 200
    body = r.json()
    assert body["topic"] == "gavor" and body["engine"] == "rasa" and body["emergency"] is False
    # The fields every client has always read, filled as before; the structure (issue 20) beside them.
    assert body["messages"][0] == {
        "text": "Tacka nej.",
        "buttons": [],
        "links": [],
        "kind": "text",
        "title": None,
        "items": [],
    }
    assert body["messages"][1]["links"] == [{"title": "Brå", "url": "https://bra.se"}]
    assert engine.seen[-1] == {"sender": SESSION, "message": "Får jag ta emot en gåva?"}


def test_engine_parts_give_each_message_its_kind_and_items(client, engine):
    engine.reply = lambda body: rasa_reply(
        fake_engine.part("Tacka nej.", kind="lead"),
        fake_engine.part(
            "Vänd dig till:\n- Polisen",
            kind="contacts",
            title="Vem kontaktar jag?",
            items=[{"text": "Polisen", "href": "tel:11414"}, {"text": 5}],
        ),
        meta(topic="gavor"),
    )
    body = client.post("/api/chat", json={"session_id": SESSION, "text": "Får jag ta emot en gåva?"}).json()
    assert [m["kind"] for m in body["messages"]] == ["lead", "contacts"]
    assert body["messages"][1]["title"] == "Vem kontaktar jag?"
    assert body["messages"][1]["items"] == [{"text": "Polisen", "href": "tel:11414"}]  # a malformed item is dropped


def test_offered_payload_is_accepted_and_unknown_refused(client, engine):
    engine.reply = lambda body: rasa_reply({"text": "Välj", "buttons": [{"title": "Ja", "payload": "/affirm"}]}, meta())
    offered = client.post("/api/chat", json={"session_id": SESSION, "text": "hej"}).json()["messages"][0]["buttons"][0]
    # Handed out signed (gateway/signing.py); the engine gets the bare payload back.
    assert offered["payload"].startswith("/affirm.") and offered["payload"] != "/affirm"
    assert client.post("/api/chat", json={"session_id": SESSION, "payload": offered["payload"]}).status_code == 200
    assert engine.seen[-1] == {"sender": SESSION, "message": "/affirm"}
    for refused in ("/restart", "/affirm", offered["payload"].replace("/affirm", "/restart"), offered["payload"][:-1]):
        r = client.post("/api/chat", json={"session_id": SESSION, "payload": refused})
        assert r.status_code == 422 and r.json()["error"]["code"] == "unknown_payload", refused
    r = client.post("/api/chat", json={"session_id": "another-session-1", "payload": offered["payload"]})
    assert r.status_code == 422
    # Topic payloads are public (the quick-help menu offers them before any conversation).
    assert client.post("/api/chat", json={"session_id": "another-session-1", "payload": "/gavor"}).status_code == 200


def test_session_id_is_generated_when_missing(client, engine):
    engine.reply = lambda body: rasa_reply({"text": "Hej!"})
    first = client.post("/api/chat", json={"text": "hej"}).json()["session_id"]
    second = client.post("/api/chat", json={"text": "hej"}).json()["session_id"]
    assert first != second and len(first) >= 32
    # Signed by the server: any replica can tell the ids it issued, without remembering them.
    from gateway.session_keys import issued_by_server

    secret = client.app.state.lotsen.secret
    assert issued_by_server(secret, first) and issued_by_server(secret, second)
    assert not issued_by_server(secret, first[:-1] + ("A" if first[-1] != "A" else "B"))
    assert not issued_by_server(b"another-secret", first) and not issued_by_server(secret, SESSION)


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ("{inte json", 400, "invalid_json"),
        ("[]", 422, "invalid_request"),
        ('"text"', 422, "invalid_request"),
        ("{}", 422, "invalid_request"),
        ('{"session_id": "kort", "text": "hej"}', 422, "invalid_request"),
        ('{"session_id": "ok-session-id", "text": ""}', 422, "invalid_request"),
        ('{"session_id": "ok-session-id", "text": "   "}', 422, "invalid_request"),
        ('{"session_id": "ok-session-id", "text": 5}', 422, "invalid_request"),
        ('{"session_id": "ok-session-id", "text": "a", "payload": "/gavor"}', 422, "invalid_request"),
        ('{"session_id": "ok-session-id", "text": "a", "extra": 1}', 422, "invalid_request"),
        ('{"session_id": "ok-session-id", "text": "' + "x" * 1001 + '"}', 422, "invalid_request"),
        ('{"session_id": "ok session id", "text": "hej"}', 422, "invalid_request"),
    ],
)
def test_client_mistakes_get_swedish_json_errors(reader, body, status, code):
    r = reader.post("/api/chat", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == status
    error = r.json()["error"]
    assert error["code"] == code and error["message"]


def test_engine_down_suggests_articles_from_search(client, engine):
    engine.down = True
    r = client.post(
        "/api/chat", json={"session_id": SESSION, "text": "Får jag ta emot en julklapp från en leverantör?"}
    )
    body = r.json()
    assert r.status_code == 200 and body["engine"] == "fallback" and body["emergency"] is False
    assert body["suggestions"][0] == "gavor"
    assert body["messages"][0]["buttons"][0]["payload"] == "/gavor"
    assert "112" in body["messages"][1]["text"]


def test_engine_down_without_search_hits_offers_quick_help(client, engine, kb):
    engine.down = True
    body = client.post("/api/chat", json={"session_id": SESSION, "text": "xyzzy"}).json()
    payloads = [b["payload"] for b in body["messages"][0]["buttons"]]
    assert payloads == [f"/{t}" for t in kb.phrases["quick_help_topics"]]


def test_engine_down_emergency_still_answers_112_first(client, engine, kb):
    engine.down = True
    r = client.post("/api/chat", json={"session_id": SESSION, "text": "någon hotar mig med kniv just nu"})
    body = r.json()
    assert body["emergency"] is True and body["topic"] == "akut_fara" and body["engine"] == "fallback"
    assert "112" in body["messages"][0]["text"]
    assert body["messages"][0]["text"] == kb.phrases["emergency_line"]
    assert body["messages"][0]["kind"] == "emergency"
    assert {"text": kb.phrases["emergency_call"], "href": "tel:112"} in body["messages"][0]["items"]


def test_engine_down_topic_button_still_answers_from_the_article(client, engine, kb):
    engine.down = True
    body = client.post("/api/chat", json={"session_id": SESSION, "payload": "/gavor"}).json()
    assert body["topic"] == "gavor"
    assert body["messages"][0]["text"].startswith(kb.articles["gavor"].summary)
    assert [m["kind"] for m in body["messages"]] == ["lead", "steps", "contacts", "sources"]


def test_silent_engine_counts_as_down(client, engine):
    engine.reply = lambda body: rasa_reply()  # e.g. the action server failed
    body = client.post("/api/chat", json={"session_id": SESSION, "text": "jäv"}).json()
    assert body["engine"] == "fallback"


def test_gateway_puts_112_first_when_the_engine_missed_it(engine, kb):
    # With the immediate emergency answer switched off (the behaviour before issue 21), the
    # engine's answer is the turn's answer, and the gateway still puts the 112 line first.
    app = create_app(Settings(emergency_immediate=False), engine_transport=httpx.MockTransport(engine))
    engine.reply = lambda body: rasa_reply({"text": "Här är svaret om hot."}, meta(topic="hot"))
    with TestClient(app) as client:
        body = client.post(
            "/api/chat", json={"session_id": SESSION, "text": "han står utanför dörren med en kniv"}
        ).json()
    assert body["emergency"] is True and body["engine"] == "rasa" and body["late_answer"] is False
    assert body["messages"][0]["text"] == kb.phrases["emergency_line"]
    assert body["messages"][1]["text"] == "Här är svaret om hot."


def test_engine_timeout_falls_back(engine):
    def slow(request):
        raise httpx.ReadTimeout("slow", request=request)

    app = create_app(Settings(engine_timeout=0.1), engine_transport=httpx.MockTransport(slow))
    with TestClient(app) as c:
        assert c.post("/api/chat", json={"session_id": SESSION, "text": "hej"}).json()["engine"] == "fallback"


def test_healthz_reports_engine_state(client, engine):
    assert client.get("/healthz").json() == {"status": "ok", "engine": "up", "actions": "up"}
    engine.down = True
    assert client.get("/healthz").json() == {"status": "ok", "engine": "down", "actions": "down"}


def test_topics_api(reader, kb):
    listing = reader.get("/api/topics").json()
    assert len(listing["topics"]) == 33
    article = reader.get("/api/topics/gavor").json()
    assert article["channels"][0]["key"] == "chef"
    assert article["sources"][0]["url"].startswith("https://")
    assert article["steps"] == list(kb.articles["gavor"].steps)
    assert article["elected_officials"] is None
    elected = reader.get("/api/topics/fortroendevalda").json()["elected_officials"]
    assert elected.startswith("Den här delen är för dig som är förtroendevald")
    missing = reader.get("/api/topics/finns_inte")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "unknown_topic"


def test_unknown_route_and_method_are_json(reader):
    assert reader.get("/finns-inte").json()["error"]["code"] == "not_found"
    assert reader.get("/api/chat").json()["error"]["code"] == "method_not_allowed"


def test_search_api_copes_with_inflection_typos_and_compounds(reader):
    for query, expected in [
        ("gåvor från leverantörer", "gavor"),
        ("javig", "jav"),
        ("extrajobb", "bisysslor"),
        ("mutförsök", "mutor"),
        ("visselblåsare", "visselblasning"),
    ]:
        results = reader.get("/api/search", params={"q": query}).json()["results"]
        assert results and results[0]["id"] == expected, (query, results[:2])
    assert reader.get("/api/search", params={"q": ""}).status_code == 422
    assert reader.get("/api/search").json()["error"]["code"] == "invalid_request"


def test_knowledge_pages_render_every_article(reader, kb):
    index = reader.get("/kunskap")
    assert index.status_code == 200 and '<html lang="sv">' in index.text
    for title in kb.phrases["group_titles"].values():
        assert f">{title}</h2>" in index.text
    for topic_id, article in kb.articles.items():
        page = reader.get(f"/kunskap/{topic_id}")
        assert page.status_code == 200
        assert f"<h1>{article.title}</h1>".replace("&", "&amp;") in page.text or article.title in page.text
        assert article.sources[0].url in page.text and "Gör så här nu" in page.text
        assert "<script>" not in page.text.split("<script src=")[0]
    assert kb.channel("chef").name in reader.get("/kunskap/gavor").text
    missing = reader.get("/kunskap/finns_inte")
    assert missing.status_code == 404 and "Sidan finns inte" in missing.text


def test_knowledge_search_page(reader):
    page = reader.get("/kunskap", params={"q": "julklapp leverantör"})
    assert 'href="/kunskap/gavor"' in page.text.split('id="hits"')[1].split("</section>")[0]


def test_widget_and_demo_page(reader):
    js = reader.get("/widget.js")
    assert js.status_code == 200 and js.headers["content-type"].startswith("text/javascript")
    assert "__LOTSEN_STRINGS__" not in js.text and "Akut fara? Ring 112" in js.text
    page = reader.get("/")
    assert '<html lang="sv">' in page.text and 'src="/widget.js"' in page.text


def test_cors_allows_only_configured_origins(reader):
    ok = reader.options(
        "/api/chat", headers={"Origin": "https://intranat.example", "Access-Control-Request-Method": "POST"}
    )
    assert ok.headers.get("access-control-allow-origin") == "https://intranat.example"
    bad = reader.options(
        "/api/chat", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
    )
    assert "access-control-allow-origin" not in bad.headers


def test_organisation_file_switches_contacts(engine, tmp_path):
    from tests.unit.test_knowledge import KOMMUN

    engine.down = True
    app = create_app(Settings(organisation_file=KOMMUN), engine_transport=httpx.MockTransport(engine))
    with TestClient(app) as c:
        article = c.get("/api/topics/gavor").json()
        assert article["organisation"] == "Exempelkommunen"
        answer = c.post("/api/chat", json={"session_id": SESSION, "payload": "/gavor"}).json()
        assert any("Din närmaste chef eller enhetschef" in m["text"] for m in answer["messages"])
        assert "Din närmaste chef eller enhetschef" in c.get("/kunskap/gavor").text


def test_a_message_about_danger_is_sent_to_the_engine_as_urgent(client, monkeypatch):
    from gateway.engine import EngineClient

    urgent_flags = []
    original = EngineClient.send

    async def recording_send(self, session_id, message, urgent=False, **kwargs):
        urgent_flags.append(urgent)
        return await original(self, session_id, message, urgent=urgent, **kwargs)

    monkeypatch.setattr(EngineClient, "send", recording_send)
    assert client.post("/api/chat", json={"session_id": SESSION, "text": "Han står i receptionen med en kniv"}).json()[
        "late_answer"
    ]
    # The engine answers that turn in the background: the late answer is its end.
    assert client.post("/api/chat/late-answer", json={"session_id": SESSION}).status_code == 200
    assert (
        client.post("/api/chat", json={"session_id": SESSION, "text": "Får jag ta emot en julklapp?"}).status_code
        == 200
    )
    assert urgent_flags == [True, False]
