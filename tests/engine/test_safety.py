"""Every custom action answers even when it fails, and logs only the exception's type
(actions/safety.py); injected entity and slot values cannot crash an action."""

from __future__ import annotations

import asyncio
import importlib
import logging
import pkgutil

import pytest
from rasa_sdk import Action
from rasa_sdk.executor import ActionExecutor, CollectingDispatcher
from rasa_sdk.utils import all_subclasses

import actions
from actions import safety, settings
from actions.feedback import ActionFeedback
from actions.flows import flow_action, flow_action_classes
from actions.roles import ActionSetRole
from actions.topics import ActionAnswerTopic
from knowledge import render
from tests.engine.builders import Conversation, texts

SECRET_TEXT = "Kraschtest: Zlatan Hemligsson 070-123 45 67 hotar mig"


def registered_actions() -> list[type]:
    for module in pkgutil.iter_modules(actions.__path__):
        importlib.import_module(f"actions.{module.name}")
    flow_action_classes()  # as `python -m actions` does before rasa_sdk registers
    executor = ActionExecutor()
    executor.register_package("actions")
    return [
        cls
        for cls in all_subclasses(Action)
        if cls.__module__.startswith("actions.") and not getattr(cls, "__abstractmethods__", None)
    ]


def test_every_registered_action_is_crash_safe():
    found = registered_actions()
    assert len(found) > 20
    unsafe = [cls.__name__ for cls in found if not safety.is_crash_safe(cls)]
    assert unsafe == [], "subclass actions.safety.SafeAction / SafeFormValidationAction"


@pytest.fixture
def crash_marker(monkeypatch):
    monkeypatch.setenv(settings.CRASH_MARKER_ENV, "Kraschtest")
    settings.crash_marker.cache_clear()
    yield
    settings.crash_marker.cache_clear()


@pytest.mark.parametrize(
    "action",
    [ActionAnswerTopic(), ActionFeedback(), flow_action("validate_gift_assessment_form")],
    ids=lambda a: a.name(),
)
def test_a_failing_action_answers_from_the_knowledge_base_and_logs_the_type_only(action, crash_marker, caplog):
    conversation = Conversation().say("gavor", SECRET_TEXT)
    with caplog.at_level(logging.DEBUG):
        messages, events = conversation.run(action)
    kb = settings.knowledge_base()
    assert texts(messages) == [m["text"] for m in render.degraded_messages(kb)]
    assert events == []
    assert "InjectedFault" in caplog.text and action.name() in caplog.text
    assert "Zlatan" not in caplog.text and "070" not in caplog.text


def test_without_the_marker_nothing_is_injected():
    settings.crash_marker.cache_clear()
    messages, _ = Conversation().say("gavor", SECRET_TEXT).run(ActionAnswerTopic())
    assert settings.knowledge_base().phrases["degraded_intro"].strip() not in texts(messages)


@pytest.mark.parametrize("value", [{"$ne": 1}, ["ja", "nej"]])
def test_injected_entity_values_are_ignored(value):
    """What a typed "/feedback{...}" could carry before the gateway neutralised it."""
    dispatcher = CollectingDispatcher()
    conversation = Conversation().say(
        "feedback", text="/feedback", entities={"helpful": value, "feedback_topic": value}
    )
    asyncio.run(ActionFeedback().run(dispatcher, conversation.tracker(), {}))
    kb = settings.knowledge_base()
    # Not counted as feedback: the question is asked instead, and the action did not fall back.
    assert kb.phrases["feedback_question"] in texts(dispatcher.messages)


@pytest.mark.parametrize("value", [{"role": "chef"}, ["chef"]])
def test_injected_slot_values_do_not_crash_actions(value, caplog):
    conversation = Conversation(slots={"role": value}).say("roll", entities={"role": value})
    with caplog.at_level(logging.ERROR, logger="lotsen.actions"):
        conversation.run(ActionSetRole())
        conversation.say("gavor", "Får jag ta emot en gåva?").run(ActionAnswerTopic())
        conversation.slots["gift_giver"] = {"bad": "value"}
        conversation.slots["requested_slot"] = "gift_giver"
        conversation.run(flow_action("validate_gift_assessment_form"))
    assert "failed" not in caplog.text
