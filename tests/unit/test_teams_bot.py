"""POST /api/messages with a mocked engine: activity → engine → Teams reply, card submits, welcome.

Replies come back in the HTTP body (deliveryMode expectReplies), through the real Agents SDK
adapter and application; the answer to a normal activity goes to its serviceUrl, which
tests/teams covers with Microsoft's own client.
"""

from __future__ import annotations

import json
import uuid

import httpx
import pytest
from fastapi.testclient import TestClient

from gateway.main import create_app
from gateway.settings import Settings
from gateway.teams.config import TeamsStrings
from tests import fake_engine

SERVICE_URL = "http://127.0.0.1:56150/_connector"
PERSONAL: dict = {}  # this test's personal chat (fixture personal_chat)


def meta(topic=None, emergency=False):
    return fake_engine.turn(topic=topic, emergency=emergency, suggestions=[])


class FakeEngine:
    """The engine's channel at the HTTP level: records what it was sent."""

    def __init__(self):
        self.reset()

    def reset(self):
        self.reply = lambda body: []
        self.seen: list[dict] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == fake_engine.WEBHOOK:
            body = json.loads(request.content)
            self.seen.append(body)
            return fake_engine.reply(*self.reply(body))
        return httpx.Response(200, text="ok")


@pytest.fixture(scope="module")
def shared_engine():
    return FakeEngine()


@pytest.fixture(scope="module")
def client(shared_engine, tmp_path_factory):
    # One app for the module (building it loads the knowledge base); each test talks in a
    # conversation of its own, so offered buttons cannot leak from one test into another.
    settings = Settings(teams_anonymous=True, data_dir=tmp_path_factory.mktemp("teams-bot"))
    with TestClient(create_app(settings, engine_transport=httpx.MockTransport(shared_engine))) as c:
        yield c


@pytest.fixture
def engine(shared_engine):
    shared_engine.reset()
    return shared_engine


@pytest.fixture(autouse=True)
def personal_chat():
    global PERSONAL
    PERSONAL = {"id": f"a:{uuid.uuid4().hex}", "conversationType": "personal", "tenantId": "tenant-1"}


@pytest.fixture(scope="module")
def strings():
    return TeamsStrings.load()


def activity(**fields) -> dict:
    return {
        "type": "message",
        "channelId": "msteams",
        "deliveryMode": "expectReplies",
        "serviceUrl": SERVICE_URL,
        "conversation": PERSONAL,
        "from": {"id": "29:user", "name": "Anna Berg"},
        "recipient": {"id": "28:bot", "name": "Påverkanslotsen"},
        **fields,
    }


def replies(response) -> list[dict]:
    assert response.status_code == 200, response.text
    return response.json()["activities"]


def messages(response) -> list[dict]:
    return [a for a in replies(response) if a["type"] == "message"]


def card(reply: dict) -> dict:
    [attachment] = reply["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    return attachment["content"]


def submits(reply: dict) -> list[dict]:
    return [a for element in card(reply)["body"] if element["type"] == "ActionSet" for a in element["actions"]]


def test_message_goes_to_the_engine_without_mentions_and_comes_back_as_text_and_card(client, engine):
    engine.reply = lambda body: [
        {"text": "Tacka nej om du är osäker.\nFråga din chef."},
        {"text": "Läs också om:", "buttons": [{"title": "Mutförsök", "payload": "/mutor"}]},
        meta(topic="gavor"),
    ]
    r = client.post("/api/messages", json=activity(text="<at>Påverkanslotsen</at> Får jag ta emot en gåva?"))
    typing, first, second = replies(r)
    assert typing["type"] == "typing"
    assert engine.seen[-1]["message"] == "Får jag ta emot en gåva?"
    assert engine.seen[-1]["sender"].startswith("teams-") and PERSONAL["id"] not in engine.seen[-1]["sender"]
    assert first["text"] == "Tacka nej om du är osäker.\n\nFråga din chef." and not first.get("attachments")
    assert first["conversation"]["id"] == PERSONAL["id"] and first["recipient"]["id"] == "29:user"
    assert submits(second) == [{"type": "Action.Submit", "title": "Mutförsök", "data": {"payload": "/mutor"}}]


def test_card_click_sends_the_payload_and_answers(client, engine):
    engine.reply = lambda body: [
        {"text": "Välj:", "buttons": [{"title": "Ja, det var en gåva", "payload": "/affirm"}]},
        meta(),
    ]
    [offer] = messages(client.post("/api/messages", json=activity(text="gåva")))
    [button] = submits(offer)
    assert button["data"]["payload"].startswith("/affirm.")  # signed (gateway/signing.py)
    engine.reply = lambda body: [{"text": "Då gäller det här."}, meta(topic="gavor")]
    [answer] = messages(client.post("/api/messages", json=activity(value=button["data"])))
    assert engine.seen[-1]["message"] == "/affirm"
    assert answer["text"] == "Då gäller det här."


def test_same_conversation_same_session_other_conversation_other_session(client, engine):
    engine.reply = lambda body: [{"text": "ok"}]
    client.post("/api/messages", json=activity(text="ett"))
    client.post("/api/messages", json=activity(text="två"))
    other = {"id": f"19:{PERSONAL['id']}@thread.tacv2;messageid=7", "conversationType": "channel", "tenantId": "t"}
    client.post("/api/messages", json=activity(text="<at>Lotsen</at> tre", conversation=other))
    first, second, third = (s["sender"] for s in engine.seen)
    assert first == second != third


def test_a_payload_never_offered_in_this_conversation_is_refused(client, engine, strings):
    engine.reply = lambda body: [{"text": "Välj:", "buttons": [{"title": "Ja", "payload": "/affirm"}]}]
    client.post("/api/messages", json=activity(text="gåva"))
    other = {**PERSONAL, "id": PERSONAL["id"] + "-other"}
    [reply] = messages(client.post("/api/messages", json=activity(value={"payload": "/affirm"}, conversation=other)))
    assert reply["text"] == strings.unknown_button
    assert len(engine.seen) == 1
    # Topic payloads are public: the welcome card's quick help works before any question.
    engine.reply = lambda body: [{"text": "Om gåvor."}, meta(topic="gavor")]
    [reply] = messages(client.post("/api/messages", json=activity(value={"payload": "/gavor"}, conversation=other)))
    assert reply["text"] == "Om gåvor." and engine.seen[-1]["message"] == "/gavor"


@pytest.mark.parametrize(
    ("fields", "key"),
    [
        ({"text": "<at>Lotsen</at>"}, "no_text"),
        ({"text": "å" * 1001}, "too_long"),
        ({"value": {"payload": 7}}, "unknown_button"),
    ],
)
def test_turns_the_engine_cannot_take_get_a_swedish_hint(client, engine, strings, fields, key):
    [reply] = messages(client.post("/api/messages", json=activity(**fields)))
    assert reply["text"] == getattr(strings, key).format(max_chars=1000)
    assert engine.seen == []


def test_emergency_line_first_and_plain_even_when_the_engine_is_down(client, engine, kb):
    def down(body):
        raise httpx.ConnectError("refused")

    engine.reply = down
    r = client.post("/api/messages", json=activity(text="Han har en kniv och hotar mig"))
    first, *rest = messages(r)
    assert first["text"] == kb.phrases["emergency_line"] and not first.get("attachments")
    assert rest


def test_emergency_answer_first_then_what_the_engine_adds_in_the_same_turn(client, engine, kb):
    engine.reply = lambda body: [
        {"text": "Om hot i tjänsten.", "buttons": [{"title": "Polisanmälan", "payload": "/polisanmalan"}]},
        meta(topic="hot", emergency=True),
    ]
    first, *rest = messages(client.post("/api/messages", json=activity(text="Han står här med en kniv")))
    assert first["text"] == kb.phrases["emergency_line"] and not first.get("attachments")
    # The knowledge base's emergency article, then the engine's late answer as its own card.
    late = rest[-1]
    assert (
        card(late)["body"][0]["text"] == "Om hot i tjänsten." and submits(late)[0]["data"]["payload"] == "/polisanmalan"
    )
    assert all("Om hot i tjänsten." not in (m.get("text") or "") for m in rest[:-1])
    assert engine.seen[-1]["message"] == "Han står här med en kniv"


def test_welcome_card_in_a_personal_chat_only(client, engine, strings, kb):
    added = activity(type="conversationUpdate", membersAdded=[{"id": "29:user"}, {"id": "28:bot"}])
    [welcome] = messages(client.post("/api/messages", json=added))
    content = card(welcome)
    assert content["body"][0]["text"] == strings.welcome
    assert [a["data"]["payload"] for a in submits(welcome)] == [f"/{t}" for t in kb.phrases["quick_help_topics"]]
    group = {**added, "conversation": {"id": "19:g@thread.v2", "conversationType": "groupChat", "tenantId": "t"}}
    assert messages(client.post("/api/messages", json=group)) == []
    user_joined = {**added, "membersAdded": [{"id": "29:other"}]}
    assert messages(client.post("/api/messages", json=user_joined)) == []
    assert engine.seen == []


def test_other_activities_are_accepted_silently(client, engine):
    for kind in ("installationUpdate", "messageReaction", "typing", "event"):
        assert messages(client.post("/api/messages", json=activity(type=kind))) == []
    assert engine.seen == []


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ("{inte json", 400, "invalid_json"),
        ("[]", 422, "invalid_activity"),
        ('{"type": "message"}', 422, "invalid_activity"),
        ('{"type": 5, "conversation": {"id": "a"}}', 422, "invalid_activity"),
        (
            '{"type": "message", "conversation": {"id": ""}, "serviceUrl": "http://127.0.0.1:1"}',
            422,
            "invalid_activity",
        ),
        ('{"type": "message", "conversation": {"id": "a"}}', 422, "invalid_activity"),
        (
            '{"type": "message", "conversation": {"id": "a"}, "serviceUrl": "http://127.0.0.1:1", "from": 5}',
            422,
            "invalid_activity",
        ),
    ],
)
def test_malformed_activities_get_swedish_json_errors_not_500(client, body, status, code):
    r = client.post("/api/messages", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == status
    assert r.json()["error"]["code"] == code and r.json()["error"]["message"]


def test_no_user_text_in_the_logs(client, engine, caplog):
    engine.reply = lambda body: [{"text": "ok"}]
    with caplog.at_level("DEBUG"):
        client.post("/api/messages", json=activity(text="Min chef Anna Berg hotar mig"))
        client.post(
            "/api/messages",
            content='{"type": "message", "conversation": {"id": "a"}, "text": 5, "from": "Anna Berg"}',
            headers={"Content-Type": "application/json"},
        )
    assert "Anna Berg" not in caplog.text
