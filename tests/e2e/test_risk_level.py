"""The manager's risk level end to end through POST /api/chat (issue 18 §2): every answer of
every question, each of the four levels, acute danger, a question and an emergency in the
middle, and stopping."""

from __future__ import annotations

import pytest

from knowledge.flows import load_flows
from tests.e2e.test_flows import Chat

pytestmark = pytest.mark.e2e

NOT_INSTEAD = "ersätter aldrig säkerhetsfunktionens eller polisens bedömning"
ORDER = ("risk_acute", "risk_concrete", "risk_repeated", "risk_private", "risk_capacity")


@pytest.fixture(scope="module")
def flow():
    return load_flows().flows["risk_level"]


def start(stack, flow) -> Chat:
    chat = Chat(stack, "risk")
    chat.say("Som chef undrar jag hur allvarligt hotet mot min medarbetare är")
    if flow.questions["risk_acute"].text not in chat.texts():
        # The question may be understood as a question about threats: then the offer.
        chat.click("/risk_level")
    assert flow.questions["risk_acute"].text in chat.texts()
    return chat


def answer(chat: Chat, flow, answers: dict) -> None:
    for slot in ORDER:
        if slot not in answers:
            continue
        assert flow.questions[slot].text in chat.texts(), (slot, chat.texts())
        chat.click(f'"{slot}": "{answers[slot]}"')


# Each option of each question at least once, each level reached.
PATHS = [
    (
        {"risk_concrete": "konkret", "risk_repeated": "forsta", "risk_private": "nej", "risk_capacity": "ja"},
        "mycket_hog",
    ),
    ({"risk_concrete": "vagt", "risk_repeated": "upprepat", "risk_private": "ja", "risk_capacity": "ja"}, "mycket_hog"),
    ({"risk_concrete": "konkret", "risk_repeated": "upprepat", "risk_private": "nej", "risk_capacity": "nej"}, "hog"),
    ({"risk_concrete": "dolt", "risk_repeated": "forsta", "risk_private": "vet_inte", "risk_capacity": "nej"}, "medel"),
    ({"risk_concrete": "vagt", "risk_repeated": "forsta", "risk_private": "nej", "risk_capacity": "vet_inte"}, "medel"),
    ({"risk_concrete": "vagt", "risk_repeated": "forsta", "risk_private": "nej", "risk_capacity": "nej"}, "lag"),
]


@pytest.mark.parametrize(("answers", "level"), PATHS)
def test_every_path_gives_its_level_with_actions_contacts_and_the_caveat(stack, flow, answers, level):
    chat = start(stack, flow)
    answer(chat, flow, {"risk_acute": "nej", **answers})
    verdict = flow.extra["verdicts"][level]
    assert chat.has(verdict["title"]) and chat.has(verdict["next_step"]) and NOT_INSTEAD in chat.text()
    assert chat.last["emergency"] is False
    if level == "mycket_hog":
        assert chat.texts()[0].split(maxsplit=2)[2].startswith("Ring 112")
    # Whom to contact: the security function is named in every level.
    assert any("Säkerhetsfunktion" in t or "säkerhetsfunktion" in t for t in chat.texts())


def test_acute_danger_ends_the_questions_with_112_first(stack, flow, kb):
    chat = start(stack, flow)
    chat.click('"risk_acute": "ja"')
    assert chat.last["emergency"] is True
    assert chat.texts()[0] == kb.phrases["emergency_line"]
    assert flow.questions["risk_concrete"].text not in chat.text()


def test_a_question_in_between_is_answered_and_the_question_asked_again(stack, flow, kb):
    chat = start(stack, flow)
    chat.click('"risk_acute": "nej"')
    chat.say("Hur gör jag en polisanmälan?")
    assert chat.has(kb.articles["polisanmalan"].summary)
    assert flow.questions["risk_concrete"].text in chat.texts()
    answer(
        chat, flow, {"risk_concrete": "vagt", "risk_repeated": "forsta", "risk_private": "nej", "risk_capacity": "nej"}
    )
    assert chat.has(flow.extra["verdicts"]["lag"]["title"])


def test_an_emergency_in_the_middle_answers_with_112_and_leaves_the_questions(stack, flow, kb):
    chat = start(stack, flow)
    chat.click('"risk_acute": "nej"')
    chat.say("han står utanför med en kniv nu")
    assert chat.last["emergency"] is True and chat.texts()[0] == kb.phrases["emergency_line"]
    chat.say("Vad gäller för gåvor?")
    assert chat.last["topic"] == "gavor"
    assert flow.questions["risk_concrete"].text not in chat.text()


def test_stopping_leaves_the_questions(stack, flow, kb):
    chat = start(stack, flow)
    chat.say("avbryt")
    assert chat.has(kb.phrases["flow_stopped"])
