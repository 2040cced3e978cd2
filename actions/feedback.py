"""Feedback: "Hjälpte svaret? Ja / Nej" after an answer, counted anonymously per topic.

Nothing is stored here beyond the conversation itself: the answer travels in the custom
payload ({"lotsen": {"feedback": {"topic": ..., "helpful": ...}}}) for the gateway's statistics.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import conversation
from actions.safety import SafeAction
from actions.settings import knowledge_base
from knowledge import contract, render
from knowledge.flows import start_payload
from knowledge.loader import KnowledgeBase

INTENT = "feedback"
HELPFUL = {"ja": True, "nej": False}


def feedback_question(kb: KnowledgeBase, topic: str | None) -> render.Message:
    """The question with Ja/Nej buttons; each button carries the topic it is about."""

    def payload(value: str) -> str:
        return start_payload(INTENT, {"helpful": value, **({"feedback_topic": topic} if topic else {})})

    buttons = [
        {"title": kb.phrases["feedback_yes_button"], "payload": payload("ja")},
        {"title": kb.phrases["feedback_no_button"], "payload": payload("nej")},
    ]
    return render.message(
        kb.phrases["feedback_question"],
        buttons=buttons,
        kind=contract.KIND_FEEDBACK,
        title=render.part_title(kb, contract.KIND_FEEDBACK),
    )


def feedback_topic(value: Any, kb: KnowledgeBase) -> str | None:
    """Only a known topic id may reach the statistics."""
    return value if isinstance(value, str) and value in kb.topics else None


def record(
    dispatcher: CollectingDispatcher, tracker: Tracker, kb: KnowledgeBase, topic: str | None, helpful: bool
) -> None:
    """Thank the person; after a "Nej", offer a simpler answer or a human."""
    if helpful:
        messages = [render.message(kb.phrases["feedback_thanks"])]
    else:
        buttons = [
            {"title": kb.phrases["feedback_simpler_button"], "payload": start_payload("followup_simpler")},
            {"title": kb.phrases["feedback_handoff_button"], "payload": start_payload("handoff")},
        ]
        messages = [render.message(kb.phrases["feedback_sorry"], buttons=buttons)]
    conversation.send(dispatcher, tracker, messages, feedback={"topic": topic, "helpful": helpful})


class ActionFeedback(SafeAction):
    def name(self) -> str:
        return "action_feedback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Count whether the answer helped; typed feedback without a value gets the question."""
        kb = knowledge_base()
        entities = conversation.latest_entities(tracker)
        topic = feedback_topic(entities.get("feedback_topic"), kb) or conversation.current_topic(tracker, kb.topics)
        helpful = HELPFUL.get(str(entities.get("helpful", "")).lower())
        if helpful is None:
            conversation.send(dispatcher, tracker, [feedback_question(kb, topic)], topic=topic)
            return []
        record(dispatcher, tracker, kb, topic, helpful)
        return []
