"""The role: asked once, read from "Som chef …", remembered, changeable, and used for the answer."""

from __future__ import annotations

from rasa_sdk.events import SlotSet

from actions.roles import ActionSetRole
from actions.settings import knowledge_base
from actions.topics import ActionAnswerTopic
from tests.engine.builders import Conversation, meta, payloads, texts

ROLE_BUTTONS = ['/set_role{"role": "medarbetare"}', '/set_role{"role": "chef"}']


def test_the_first_answer_asks_for_the_role_once():
    kb = knowledge_base()
    c = Conversation()
    first, _ = c.say("gavor", "Får jag ta emot en gåva?").run(ActionAnswerTopic())
    assert kb.phrases["role_question"] in texts(first)
    assert set(ROLE_BUTTONS) <= set(payloads(first))
    second, _ = c.say("jav", "Vad är jäv?").run(ActionAnswerTopic())
    assert kb.phrases["role_question"] not in texts(second)


def test_a_question_as_manager_sets_the_role_and_gets_the_managers_section():
    kb = knowledge_base()
    messages, events = (
        Conversation()
        .say("gavor", "Som chef, hur ska vi hantera gåvor som skickas till enheten?")
        .run(ActionAnswerTopic())
    )
    assert events == [SlotSet("role", "chef"), SlotSet("topic", "gavor")]
    assert texts(messages)[2] == f"För dig som chef:\n{kb.articles['gavor'].audience_section('chef')}"
    assert kb.phrases["role_question"] not in texts(messages)
    assert meta(messages)["audience"] == "chef"


def test_the_remembered_role_shapes_later_answers():
    kb = knowledge_base()
    messages, events = (
        Conversation(slots={"role": "medarbetare"}).say("mutor", "någon erbjöd mig pengar").run(ActionAnswerTopic())
    )
    assert events == [SlotSet("topic", "mutor")]
    assert texts(messages)[2].startswith("För dig som medarbetare:")
    assert kb.articles["mutor"].audience_section("medarbetare") in texts(messages)[2]


def test_clicking_a_role_answers_the_current_topic_for_that_role():
    kb = knowledge_base()
    c = Conversation()
    c.say("gavor", "Får jag ta emot en gåva?").run(ActionAnswerTopic())
    messages, events = c.say("set_role", entities={"role": "chef"}).run(ActionSetRole())
    assert events == [SlotSet("role", "chef")]
    assert texts(messages)[0] == kb.phrases["role_confirmed"].format(role="chef")
    assert texts(messages)[1].endswith(kb.articles["gavor"].audience_section("chef"))
    assert meta(messages)["topic"] == "gavor" and meta(messages)["audience"] == "chef"


def test_the_role_can_be_changed_by_writing_it():
    c = Conversation(slots={"role": "chef"})
    _, events = c.say("set_role", "egentligen är jag medarbetare").run(ActionSetRole())
    assert events == [SlotSet("role", "medarbetare")]


def test_changing_role_without_saying_which_asks_with_all_three():
    kb = knowledge_base()
    messages, events = Conversation(slots={"role": "chef"}).say("set_role", "jag vill byta roll").run(ActionSetRole())
    assert events == [] and texts(messages) == [kb.phrases["role_unknown"]]
    assert len(payloads(messages)) == 3


def test_a_topic_without_a_section_for_the_role_says_the_advice_is_the_same():
    kb = knowledge_base()
    c = Conversation()
    c.say("gavor", "gåvor").run(ActionAnswerTopic())
    messages, _ = c.say("set_role", entities={"role": "verksamhetsutvecklare"}).run(ActionSetRole())
    assert texts(messages)[1] == kb.phrases["role_no_section"].format(title=kb.articles["gavor"].title)


def test_a_manager_on_threats_is_offered_the_risk_level_and_an_employee_is_not():
    c = Conversation()
    answer, _ = c.say("hot", "Jag har blivit hotad av en klient").run(ActionAnswerTopic())
    # Under the threat answer, for everyone: "Är du i fara just nu?"; the risk level, a managers'
    # tool, comes with the role: "Jag är chef" offers it.
    assert '/threat_assessment{"in_danger": "ja"}' in payloads(answer)
    assert "/risk_level" not in payloads(answer)
    assert any("chef" in p for p in payloads(answer) if p.startswith("/set_role")), payloads(answer)
    manager, _ = c.say("set_role", entities={"role": "chef"}).run(ActionSetRole())
    assert "/risk_level" in payloads(manager)
    employee, _ = c.say("set_role", entities={"role": "medarbetare"}).run(ActionSetRole())
    assert "/risk_level" not in payloads(employee)
