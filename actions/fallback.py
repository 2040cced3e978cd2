"""When the assistant is unsure or the question is outside its field: never a dead end.

The classifier's ranking is fused with the knowledge search's here, in the action server
(knowledge/suggestions.py, docs/adr/0008-fused-answer-in-the-engine.md): an unsure question
that the two together clearly place gets that topic's ordinary answer – "Hjälpte svaret?", the
role question and the `topic` slot included – and otherwise the fused ranking's topics as
buttons; a rejected question gets the buttons when the search sees our field.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import conversation, reply
from actions.safety import SafeAction
from actions.settings import knowledge_base, knowledge_search
from actions.topics import asker_role, send_answer
from knowledge import render
from knowledge import suggestions as never_dead_end

SUGGESTION_COUNT = 3


def likeliest_topics(latest_message: dict[str, Any], topic_ids, count: int = SUGGESTION_COUNT) -> list[str]:
    ranking = latest_message.get("intent_ranking") or []
    ranked = [r.get("name") for r in sorted(ranking, key=lambda r: -(r.get("confidence") or 0))]
    return [name for name in ranked if name in topic_ids][:count]


def unanswered_help(tracker: Tracker, intent: str) -> never_dead_end.Help | None:
    """knowledge/suggestions.py's decision for this turn's text (None for a button payload)."""
    text = conversation.latest_text(tracker)
    if not text:
        return None
    kb = knowledge_base()
    ranking = conversation.classifier_ranking(tracker)
    return never_dead_end.unanswered_help(intent, ranking, text, knowledge_search(), kb.topics)


def answer_fused(
    dispatcher: CollectingDispatcher, tracker: Tracker, topic: str, alternatives: list[str]
) -> list[dict[str, Any]]:
    """The fused ranking's topic answered like any topic, its next topics as "Menade du …?"."""
    role, events = asker_role(tracker)
    send_answer(dispatcher, tracker, knowledge_base(), topic, role, alternatives=alternatives)
    return events


class ActionSuggestTopics(SafeAction):
    def name(self) -> str:
        return "action_suggest_topics"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """The fused answer when the classifier and the search agree enough; else the likeliest
        topics as buttons instead of a guess, with contacts."""
        kb = knowledge_base()
        helped = unanswered_help(tracker, never_dead_end.FALLBACK)
        if helped and helped.topic:
            return answer_fused(dispatcher, tracker, helped.topic, helped.topics)
        topics = helped.topics if helped else likeliest_topics(tracker.latest_message, kb.articles)
        if not topics:
            topics = list(kb.phrases["quick_help_topics"])[:SUGGESTION_COUNT]
        reply.send(
            dispatcher,
            render.suggestion_messages(kb, topics),
            suggestions=topics,
            ranking=likeliest_topics(tracker.latest_message, kb.articles),
            unanswered="unsure",
        )
        return []


class ActionOutOfScope(SafeAction):
    def name(self) -> str:
        return "action_out_of_scope"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Say kindly what the assistant can help with, and offer the quick-help menu – unless
        the classifier is not sure of its rejection and the search sees our field: then the
        fused ranking's topics as buttons."""
        kb = knowledge_base()
        helped = unanswered_help(tracker, never_dead_end.OUT_OF_SCOPE)
        if helped and helped.topic:
            return answer_fused(dispatcher, tracker, helped.topic, helped.topics)  # only with Thresholds.fused_rejected
        ranking = likeliest_topics(tracker.latest_message, kb.articles)
        if helped:
            reply.send(
                dispatcher,
                render.suggestion_messages(kb, helped.topics),
                suggestions=helped.topics,
                ranking=ranking,
                unanswered="out_of_scope",
            )
            return []
        reply.send(dispatcher, render.out_of_scope_messages(kb), ranking=ranking, unanswered="out_of_scope")
        return []
