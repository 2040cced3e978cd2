"""Feedback: "Hjälpte svaret?" buttons carry the topic; the answer goes out in the custom payload."""

from __future__ import annotations

from actions.feedback import ActionFeedback
from actions.flows import ActionAnswerYesNo
from actions.settings import knowledge_base
from actions.topics import ActionAnswerTopic
from tests.engine.builders import Conversation, meta, payloads, texts


def test_every_ordinary_answer_ends_with_the_feedback_question_for_its_topic():
    kb = knowledge_base()
    messages, _ = Conversation(slots={"role": "medarbetare"}).say("jav", "Vad är jäv?").run(ActionAnswerTopic())
    assert texts(messages)[-1] == kb.phrases["feedback_question"]
    assert payloads(messages)[-2:] == [
        '/feedback{"helpful": "ja", "feedback_topic": "jav"}',
        '/feedback{"helpful": "nej", "feedback_topic": "jav"}',
    ]


def test_no_feedback_question_after_an_emergency():
    kb = knowledge_base()
    messages, _ = Conversation().say("akut_fara", "han har en kniv").run(ActionAnswerTopic())
    assert kb.phrases["feedback_question"] not in texts(messages)


def test_a_click_is_sent_for_the_statistics_with_its_topic():
    messages, events = (
        Conversation().say("feedback", entities={"helpful": "ja", "feedback_topic": "gavor"}).run(ActionFeedback())
    )
    assert meta(messages)["feedback"] == {"topic": "gavor", "helpful": True}
    assert meta(messages)["topic"] is None  # a thank-you is not an answer about the topic
    assert events == []


def test_no_offers_a_simpler_answer_or_a_human():
    messages, _ = (
        Conversation().say("feedback", entities={"helpful": "nej", "feedback_topic": "hot"}).run(ActionFeedback())
    )
    assert meta(messages)["feedback"] == {"topic": "hot", "helpful": False}
    assert payloads(messages) == ["/followup_simpler", "/handoff"]


def test_an_unknown_topic_never_reaches_the_statistics():
    messages, _ = (
        Conversation().say("feedback", entities={"helpful": "ja", "feedback_topic": "<script>"}).run(ActionFeedback())
    )
    assert meta(messages)["feedback"] == {"topic": None, "helpful": True}


def test_typed_feedback_without_a_value_asks_the_question_about_the_current_topic():
    kb = knowledge_base()
    c = Conversation()
    c.say("mutor", "mutförsök").run(ActionAnswerTopic())
    messages, _ = c.say("feedback", "jag vill lämna synpunkter").run(ActionFeedback())
    assert texts(messages) == [kb.phrases["feedback_question"]]
    assert "feedback" not in meta(messages)
    assert '"feedback_topic": "mutor"' in payloads(messages)[0]


def test_a_typed_yes_right_after_an_answer_counts_as_feedback():
    c = Conversation(slots={"role": "chef"})
    c.say("jav", "Vad är jäv?").run(ActionAnswerTopic())
    messages, _ = c.say("affirm", "ja").run(ActionAnswerYesNo())
    assert meta(messages)["feedback"] == {"topic": "jav", "helpful": True}


def test_a_yes_without_a_question_before_it_is_not_guessed():
    kb = knowledge_base()
    messages, _ = Conversation().say("affirm", "ja").run(ActionAnswerYesNo())
    assert texts(messages) == [kb.phrases["yes_no_unclear"]]
    assert "feedback" not in meta(messages)
