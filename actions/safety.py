"""Every custom action answers, even when it fails: the base classes of all our actions.

An exception escaping an action makes rasa_sdk answer 500 with the whole request (the tracker,
with the unredacted text of this turn) and log a traceback with the exception's message; Rasa
then logs that answer. So the run of every action subclassing SafeAction or
SafeFormValidationAction is wrapped once, here: on an exception the person gets the knowledge
base's fallback answer (quick help and contacts) and the log gets the action's name and the
exception's type, nothing else.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.interfaces import ActionExecutionRejection

from actions import conversation, reply
from actions.settings import SLOW_SECONDS, crash_marker, knowledge_base, slow_marker
from knowledge import render

log = logging.getLogger("lotsen.actions")
_WRAPPED = "_lotsen_answers_on_crash"


class InjectedFault(RuntimeError):
    """Raised on purpose when the test switch LOTSEN_TEST_CRASH_MARKER is set (tests only)."""


def _check_injected_fault(tracker: Tracker) -> None:
    marker = crash_marker()
    text = tracker.latest_message.get("text") or ""
    if marker and marker in text:
        # The message carries the text on purpose: the worst case the wrapper must contain.
        raise InjectedFault(text)


async def _injected_delay(tracker: Tracker) -> None:
    marker = slow_marker()
    if marker and marker in (tracker.latest_message.get("text") or ""):
        await asyncio.sleep(SLOW_SECONDS)


def remember_topic(
    events: list[dict[str, Any]], dispatcher: CollectingDispatcher, tracker: Tracker
) -> list[dict[str, Any]]:
    """The topic of what the action sent becomes the conversation's current topic (a slot), in
    this one place, so that no action has to remember to set it."""
    topic = conversation.topic_of(dispatcher.messages, knowledge_base().topics)
    already = topic == tracker.get_slot(conversation.TOPIC_SLOT) or any(
        e.get("event") == "slot" and e.get("name") == conversation.TOPIC_SLOT for e in events or []
    )
    if topic is None or already:
        return events
    return [*(events or []), SlotSet(conversation.TOPIC_SLOT, topic)]


def answers_on_crash(run: Any) -> Any:
    @functools.wraps(run)
    async def safe_run(
        self: Action, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        try:
            _check_injected_fault(tracker)
            await _injected_delay(tracker)
            return remember_topic(await run(self, dispatcher, tracker, domain), dispatcher, tracker)
        except ActionExecutionRejection:
            raise  # a form's "not for me" (rasa_sdk answers 400 with the action's name only)
        except Exception as exc:  # noqa: BLE001 (any failure: answer from the knowledge base)
            log.error("action %s failed: %s", self.name(), type(exc).__name__)
            dispatcher.messages.clear()
            reply.send(dispatcher, render.degraded_messages(knowledge_base()))
            return []

    setattr(safe_run, _WRAPPED, True)
    return safe_run


class _AnswersOnCrash:
    """Wraps the `run` each subclass ends up with (its own or an inherited one), once."""

    run: Any  # rasa_sdk's Action (the other base) defines it; declared for the type checker

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        run = cls.run  # every concrete subclass has one (Action's or its own)
        if not getattr(run, _WRAPPED, False):
            cls.run = answers_on_crash(run)


def is_crash_safe(action_class: type) -> bool:
    return bool(getattr(getattr(action_class, "run", None), _WRAPPED, False))


class SafeAction(_AnswersOnCrash, Action, ABC):
    """rasa_sdk's Action whose run answers even when it fails."""

    @abstractmethod
    def name(self) -> str:
        """The action's name in the domain."""


class SafeFormValidationAction(_AnswersOnCrash, FormValidationAction, ABC):
    """rasa_sdk's FormValidationAction whose run answers even when it fails."""

    @abstractmethod
    def name(self) -> str:
        """The action's name in the domain (validate_<form>)."""
