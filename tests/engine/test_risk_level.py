"""The manager's risk level: a "ja" to acute danger finishes the questions at once (flows.yml
`finish_when`, read by every flow's form validation)."""

from __future__ import annotations

import asyncio

from actions.flows import flow_action
from knowledge import contract
from tests.engine.builders import Conversation, meta, payloads, texts


def validate(slot: str, value: str) -> dict:
    c = Conversation(slots={"requested_slot": slot}).say("risk_level", entities={slot: value}, **{slot: value})
    c.active_loop = "risk_level_form"
    c.events.append({"event": "slot", "name": slot, "value": value})  # what the form extracted
    events = asyncio.run(flow_action("validate_risk_level_form").get_validation_events(None, c.tracker(), {}))
    return {e["name"]: e["value"] for e in events}


def test_acute_danger_fills_the_rest_so_the_form_ends():
    filled = validate("risk_acute", "ja")
    assert filled["risk_acute"] == "ja"
    assert set(filled) == {"risk_acute", "risk_concrete", "risk_repeated", "risk_private", "risk_capacity"}


def test_no_acute_danger_asks_on():
    assert validate("risk_acute", "nej") == {"risk_acute": "nej"}


def test_the_questions_come_with_their_answers_as_buttons():
    messages, _ = Conversation().say("risk_level").run(flow_action("action_ask_risk_concrete"))
    assert texts(messages)[0].startswith("Fråga 2 av 5")
    assert payloads(messages)[0] == '/risk_level{"risk_concrete": "vagt"}'


def test_the_acute_outcome_is_the_emergency_answer():
    answers = {
        "risk_acute": "ja",
        "risk_concrete": "vagt",
        "risk_repeated": "forsta",
        "risk_private": "ja",
        "risk_capacity": "ja",
    }
    messages, _ = Conversation(slots=answers).say("risk_level").run(flow_action("action_risk_level_outcome"))
    assert meta(messages)["emergency"] is True and "112" in texts(messages)[0]


def test_the_outcome_links_its_printable_summary_with_the_chosen_options_only():
    answers = {
        "risk_acute": "nej",
        "risk_concrete": "konkret",
        "risk_repeated": "upprepat",
        "risk_private": "nej",
        "risk_capacity": "nej",
    }
    messages, _ = Conversation(slots=answers).say("risk_level").run(flow_action("action_risk_level_outcome"))
    links = [lk["url"] for m in contract.answer(messages)["messages"] for lk in m["links"]]
    assert "/kunskap/hotniva?" + "&".join(f"{k}={v}" for k, v in answers.items()) in links
