"""The incident record in Teams (issue 18 §1): the answer's record link becomes a form in the
card; its submit is written back to the person and never reaches the engine or a log."""

from __future__ import annotations

import logging

from knowledge import render
from tests import fake_engine
from tests.unit.test_teams_bot import activity, card, client, engine, messages, personal_chat, shared_engine  # noqa: F401 (pytest fixtures)

SECRET = "Jag vet var du bor Xq9Hemligt"


def show_cards(reply: dict) -> list[dict]:
    return [
        a
        for element in card(reply)["body"]
        if element["type"] == "ActionSet"
        for a in element["actions"]
        if a["type"] == "Action.ShowCard"
    ]


def test_the_record_link_opens_a_form_in_the_card(client, engine):
    record = render.incident_record()
    engine.reply = lambda body: [
        fake_engine.part("Ring 112 om du är i fara.", links=[record.link]),
        fake_engine.turn(topic="hot", emergency=False, suggestions=[]),
    ]
    [answer] = messages(client.post("/api/messages", json=activity(text="jag blev hotad")))
    [form] = show_cards(answer)
    inputs = [e for e in form["card"]["body"] if e["type"].startswith("Input.")]
    assert [e["id"] for e in inputs] == [f"record_{f.id}" for f in record.fields]
    assert record.texts["url"] not in str(card(answer)["body"][0])


def test_the_submitted_record_comes_back_and_goes_nowhere_else(client, engine, caplog):
    record = render.incident_record()
    values = {"record_what": SECRET, "record_police": "Inte än", "record_who": "Anna Berg"}
    with caplog.at_level(logging.DEBUG):
        [reply] = messages(client.post("/api/messages", json=activity(value={"incident_record": "make", **values})))
    assert SECRET in reply["text"] and record.texts["record_heading"] in reply["text"]
    assert engine.seen == []
    assert "Xq9Hemligt" not in caplog.text
