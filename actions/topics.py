"""Answer a recognised topic from its knowledge-base article."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import reply
from actions.settings import knowledge_base
from knowledge import render

EMERGENCY_TOPIC = "akut_fara"


def answered_topic(latest_message: Dict[str, Any], topic_ids) -> tuple[str | None, bool]:
    """Which article to show and whether the 112 line goes first.

    The engine's emergency override turns a message into `akut_fara` but keeps what the
    classifier saw: a false alarm then still gets the answer that was asked for.
    """
    intent = (latest_message.get("intent") or {}).get("name")
    emergency = intent == EMERGENCY_TOPIC
    original = (latest_message.get("emergency") or {}).get("original_intent")
    if emergency and original in topic_ids and original != EMERGENCY_TOPIC:
        return original, True
    return (intent if intent in topic_ids else None), emergency


class ActionAnswerTopic(Action):
    def name(self) -> Text:
        return "action_answer_topic"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        """Give the person what to do now, whom to contact and where to read more."""
        kb = knowledge_base()
        topic, emergency = answered_topic(tracker.latest_message, kb.articles)
        if topic is None:
            topic = EMERGENCY_TOPIC if emergency else None
        if topic is None:
            reply.send(dispatcher, render.degraded_messages(kb))
            return []
        messages = render.article_messages(kb, topic, emergency=emergency)
        reply.send(dispatcher, messages, topic=topic, emergency=emergency)
        return []
