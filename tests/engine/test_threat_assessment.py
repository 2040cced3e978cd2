"""The threat flow: "Är du i fara just nu?" – yes gives 112 at once, no the next steps as buttons."""

from __future__ import annotations

from actions.flows import ActionAnswerYesNo, flow_action
from actions.settings import knowledge_base
from actions.topics import ActionAnswerTopic
from tests.engine.builders import Conversation, meta, payloads, texts

NEXT_STEP_TOPICS = ["dokumentera", "informera_chef", "polisanmalan", "stod_efter_handelse"]


def test_the_threat_answer_asks_about_danger_with_one_click_answers_and_no_feedback_question():
    kb = knowledge_base()
    messages, _ = Conversation().say("hot", "En klient skrev att han vet var jag bor").run(ActionAnswerTopic())
    assert texts(messages)[0].startswith(kb.articles["hot"].summary)
    assert texts(messages)[-1] == "Är du i fara just nu?"
    assert payloads(messages)[-2:] == [
        '/threat_assessment{"in_danger": "ja"}',
        '/threat_assessment{"in_danger": "nej"}',
    ]
    assert kb.phrases["feedback_question"] not in texts(messages)


def test_in_danger_gives_the_emergency_answer_first():
    kb = knowledge_base()
    messages, _ = (
        Conversation(slots={"in_danger": "ja"})
        .say("threat_assessment", entities={"in_danger": "ja"})
        .run(flow_action("action_threat_assessment_outcome"))
    )
    assert texts(messages)[0] == kb.phrases["emergency_line"]
    assert texts(messages)[1].startswith(kb.articles["akut_fara"].summary)
    assert meta(messages)["emergency"] is True and meta(messages)["topic"] == "akut_fara"
    assert kb.phrases["feedback_question"] not in texts(messages)  # 112 stays the last word


def test_not_in_danger_gives_each_next_step_as_a_button_to_its_topic():
    messages, _ = (
        Conversation(slots={"in_danger": "nej"})
        .say("threat_assessment", entities={"in_danger": "nej"})
        .run(flow_action("action_threat_assessment_outcome"))
    )
    assert payloads(messages)[:4] == [f"/{t}" for t in NEXT_STEP_TOPICS]
    assert meta(messages)["emergency"] is False and meta(messages)["topic"] == "hot"


def test_a_typed_yes_to_the_danger_question_is_an_emergency():
    kb = knowledge_base()
    c = Conversation()
    c.say("hot", "jag har blivit hotad").run(ActionAnswerTopic())
    messages, events = c.say("affirm", "ja").run(ActionAnswerYesNo())
    assert texts(messages)[0] == kb.phrases["emergency_line"]
    assert meta(messages)["emergency"] is True
    assert events == [
        {"event": "slot", "timestamp": None, "name": "in_danger", "value": "ja"},
        {"event": "slot", "timestamp": None, "name": "topic", "value": "akut_fara"},
    ]


def test_the_form_question_is_the_same_question():
    messages, _ = Conversation().say("threat_assessment").run(flow_action("action_ask_in_danger"))
    assert texts(messages) == ["Är du i fara just nu?"]
    assert payloads(messages) == ['/threat_assessment{"in_danger": "ja"}', '/threat_assessment{"in_danger": "nej"}']
