"""When the assistant is unsure or the question is outside its field."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import reply
from actions.safety import SafeAction
from actions.settings import knowledge_base
from knowledge import render

SUGGESTION_COUNT = 3
RANKING_LENGTH = 10  # the classifier's ranking_length (bot/config.yml)


def likeliest_topics(latest_message: dict[str, Any], topic_ids, count: int = SUGGESTION_COUNT) -> list[str]:
    ranking = latest_message.get("intent_ranking") or []
    ranked = [r.get("name") for r in sorted(ranking, key=lambda r: -(r.get("confidence") or 0))]
    return [name for name in ranked if name in topic_ids][:count]


def classifier_view(latest_message: dict[str, Any]) -> dict[str, Any]:
    """The classifier's final intent and ranking, for the gateway's fusion with the search."""
    ranking = [
        [r["name"], round(float(r.get("confidence") or 0.0), 4)]
        for r in latest_message.get("intent_ranking") or []
        if isinstance(r.get("name"), str) and r["name"] != "nlu_fallback"
    ]
    return {"intent": (latest_message.get("intent") or {}).get("name"), "ranking": ranking[:RANKING_LENGTH]}


class ActionSuggestTopics(SafeAction):
    def name(self) -> str:
        return "action_suggest_topics"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Offer the three likeliest topics as buttons instead of guessing, with contacts."""
        kb = knowledge_base()
        topics = likeliest_topics(tracker.latest_message, kb.articles)
        if not topics:
            topics = list(kb.phrases["quick_help_topics"])[:SUGGESTION_COUNT]
        reply.send(
            dispatcher,
            render.suggestion_messages(kb, topics),
            suggestions=topics,
            ranking=likeliest_topics(tracker.latest_message, kb.articles),
            unanswered="unsure",
            nlu=classifier_view(tracker.latest_message),
        )
        return []


class ActionOutOfScope(SafeAction):
    def name(self) -> str:
        return "action_out_of_scope"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Say kindly what the assistant can help with, and offer the quick-help menu."""
        kb = knowledge_base()
        reply.send(
            dispatcher,
            render.out_of_scope_messages(kb),
            ranking=likeliest_topics(tracker.latest_message, kb.articles),
            unanswered="out_of_scope",
            nlu=classifier_view(tracker.latest_message),
        )
        return []
