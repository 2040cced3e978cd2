"""The whole assistant over real HTTP: trained model, real Rasa, real action server, gateway."""

from __future__ import annotations

import time

import httpx
import pytest

from knowledge import render

pytestmark = pytest.mark.e2e


def ask(stack, session: str, **body) -> dict:
    r = httpx.post(f"{stack.url}/api/chat", json={"session_id": session, **body}, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()


def listening_addresses(port: int) -> set[str]:
    """Local addresses listening on a TCP port, read from /proc (IPv4 and IPv6)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table, encoding="ascii") as f:
                lines = f.read().splitlines()[1:]
        except FileNotFoundError:
            continue
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.rsplit(":", 1)
            if state == "0A" and int(hex_port, 16) == port:
                found.add(address)
    return found


def test_gift_question_answers_gavor_with_source_and_chef(stack, kb):
    body = ask(stack, "e2e-gift-0001", text="Vad gör jag om jag blir erbjuden en gåva?")
    assert body["engine"] == "rasa" and body["topic"] == "gavor" and body["emergency"] is False
    links = [link["url"] for m in body["messages"] for link in m["links"]]
    assert any(url.startswith("https://") for url in links)
    # Each link sits on the message that names it (the text carries the URL for plain channels).
    for m in body["messages"]:
        for link in m["links"]:
            assert link["url"] in m["text"], (link, m["text"][:80])
    assert any(kb.channel("chef").name in m["text"] for m in body["messages"])
    # The structured parts (issue 20): what to do now, the steps, whom to contact, the sources,
    # each message keeping the text, buttons and links the knowledge base gives it.
    parts = {m["kind"]: m for m in body["messages"]}
    assert [m["kind"] for m in body["messages"]][:4] == ["lead", "steps", "contacts", "sources"]
    for expected in render.article_messages(kb, "gavor"):
        got = parts[expected["kind"]]
        assert _words(got["text"]) == _words(expected["text"])
        assert (got["buttons"], got["links"], got["title"]) == (
            expected["buttons"],
            expected["links"],
            expected["title"],
        )
    assert [i["text"] for i in parts["steps"]["items"]] == list(kb.articles["gavor"].steps)
    contact_hrefs = [i["href"] for i in parts["contacts"]["items"] if i["href"]]
    assert contact_hrefs and all(h.startswith(("tel:", "mailto:", "https://")) for h in contact_hrefs)
    assert [i["href"] for i in parts["sources"]["items"]] == [s.url for s in kb.articles["gavor"].sources]
    assert parts["feedback"]["buttons"] and parts["feedback"]["text"] == kb.phrases["feedback_question"]


def _words(text: str) -> str:
    return " ".join(text.split())


def test_button_click_continues_the_conversation(stack):
    first = ask(stack, "e2e-button-01", text="Vad gör jag om jag blir erbjuden en gåva?")
    payload = next(b["payload"] for m in first["messages"] for b in m["buttons"])
    second = ask(stack, "e2e-button-01", payload=payload)
    assert second["engine"] == "rasa" and second["topic"] == payload.lstrip("/")


def test_threat_and_emergency_through_the_engine(stack, kb):
    threat = ask(stack, "e2e-threat-01", text="En klient skrev i ett mejl att han vet var jag bor")
    assert threat["topic"] == "hot" and threat["engine"] == "rasa"
    danger = ask(stack, "e2e-danger-01", text="någon hotar mig med kniv just nu")
    # Answered at once from the knowledge base; the engine answers the same turn late (ADR 0003).
    assert danger["emergency"] is True and danger["engine"] == "fallback" and danger["late_answer"] is True
    assert danger["messages"][0]["text"] == kb.phrases["emergency_line"]
    assert danger["messages"][0]["kind"] == "emergency"
    assert {"text": kb.phrases["emergency_call"], "href": "tel:112"} in danger["messages"][0]["items"]
    late = httpx.post(f"{stack.url}/api/chat/late-answer", json={"session_id": "e2e-danger-01"}, timeout=30).json()
    assert late["engine"] == "rasa" and late["late_answer"] is False


def test_engine_ports_listen_on_loopback_only(stack):
    loopback = {"0100007F", "00000000000000000000000001000000"}
    for port in (stack.rasa_port, stack.actions_port, stack.port):
        addresses = listening_addresses(port)
        assert addresses and addresses <= loopback, (port, addresses)


def test_with_rasa_killed_health_says_down_and_112_still_answers(stack, kb):
    """Stops Rasa, checks the degraded path, then starts Rasa again for the tests after it."""
    stack.stop_one("rasa")
    started = time.monotonic()
    health = httpx.get(f"{stack.url}/healthz", timeout=10).json()
    assert health["engine"] == "down" and time.monotonic() - started < 5
    body = ask(stack, "e2e-down-0001", text="någon hotar mig med kniv just nu")
    assert body["emergency"] is True and body["engine"] == "fallback"
    assert "112" in body["messages"][0]["text"] and body["messages"][0]["kind"] == "emergency"
    ordinary = ask(stack, "e2e-down-0002", text="Vad gör jag om jag blir erbjuden en gåva?")
    assert ordinary["engine"] == "fallback" and ordinary["messages"]
    assert ordinary["messages"][-1]["kind"] == "contacts"
    stack.restart("rasa")
    assert ask(stack, "e2e-down-0003", text="Vad gör jag om jag blir erbjuden en gåva?")["engine"] == "rasa"


# The situations issue 14 added as article sections: a typical question reaches the topic whose
# article answers it, and that article carries the section (shown in full on /kunskap/<id>).
SITUATIONS = [
    ("En besökare filmar mig i receptionen, får han det?", "kartlaggning", "Om någon filmar dig i jobbet"),
    ("Kan man anmäla förolämpning mot tjänsteman?", "trakasserier", "Förolämpning mot tjänsteman"),
    ("min hemadress sprids på sociala medier efter ett beslut", "skyddade_personuppgifter", "Om din hemadress sprids"),
    ("Jag ska göra hembesök hos en man som har hotat mig", "hot", "Hembesök och arbete ute"),
    ("Jag står i en brukares testamente, vad gör jag?", "gavor", "Gåvor och arv från brukare"),
    ("Får jag stöd när jag ska vittna i tingsrätten?", "polisanmalan", "Efter anmälan och vid en rättegång"),
]


def test_new_situations_reach_the_article_that_answers_them(stack, kb):
    for i, (question, topic, heading) in enumerate(SITUATIONS):
        body = ask(stack, f"e2e-situation-{i:02d}", text=question)
        assert (body["engine"], body["topic"]) == ("rasa", topic), question
        assert f"**{heading}" in kb.articles[topic].body
        assert heading in httpx.get(f"{stack.url}/kunskap/{topic}", timeout=30).text


def test_suicide_threat_over_a_decision_gets_112_first_then_the_pressure_article(stack, kb):
    # Self-harm words always take the emergency path (safety net): the 112 line first, then the
    # article the classifier chose, whose section says not to change the decision because of it.
    # The 112 answer comes at once from the knowledge base; the engine's article follows as the
    # late answer (issue 21), fetched as the widget does.
    body = ask(stack, "e2e-situation-20", text="Klienten säger att hon ska skada sig själv om hon inte får pengarna")
    assert body["emergency"] and body["late_answer"]
    assert body["messages"][0]["text"] == kb.phrases["emergency_line"]
    r = httpx.post(f"{stack.url}/api/chat/late-answer", json={"session_id": "e2e-situation-20"}, timeout=60)
    late = r.json()
    assert r.status_code == 200 and (late["emergency"], late["topic"]) == (True, "patryckningar")
    assert late["messages"][0]["text"].startswith(kb.articles["patryckningar"].summary)
    assert "**Om någon hotar att ta sitt liv**" in kb.articles["patryckningar"].body
