"""Answer a recognised topic from its knowledge-base article."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import conversation, reply
from actions.feedback import feedback_question
from actions.flows import flow_data, offer_is_a_question, offer_message
from actions.followups import CONTACTS_TOPIC, contacts_messages
from actions.roles import role_question, role_was_asked
from actions.safety import SafeAction
from actions.settings import knowledge_base, knowledge_search
from knowledge import render
from knowledge import suggestions as never_dead_end
from knowledge.loader import KnowledgeBase

EMERGENCY_TOPIC = "akut_fara"


def answered_topic(latest_message: dict[str, Any], topic_ids) -> tuple[str | None, bool]:
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


class ActionAnswerTopic(SafeAction):
    def name(self) -> str:
        return "action_answer_topic"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Give the person what to do now, whom to contact and where to read more."""
        kb = knowledge_base()
        topic, emergency = answered_topic(tracker.latest_message, kb.articles)
        if topic is None:
            topic = EMERGENCY_TOPIC if emergency else None
        if topic is None:
            reply.send(dispatcher, render.degraded_messages(kb))
            return []
        role, events = asker_role(tracker)
        current = conversation.current_topic(tracker, kb.topics)
        if (
            topic == CONTACTS_TOPIC
            and not emergency
            and conversation.latest_text(tracker)
            and current not in (None, CONTACTS_TOPIC)
        ):
            # "Vem ska jag ringa?" right after an answer is about that answer's topic.
            conversation.send(dispatcher, tracker, contacts_messages(kb, current), topic=current, audience=role)
            return events
        ranking = conversation.classifier_ranking(tracker)
        others: list[str] = []
        if not emergency and never_dead_end.in_doubt(topic, ranking):
            # A narrow lead: "Menade du …?" with the fused ranking's next topics (never beside
            # the 112 answer). The search runs only here, for about one answer in ten.
            text = conversation.latest_text(tracker)
            others = never_dead_end.doubt_alternatives(topic, ranking, text, knowledge_search(), kb.topics)
        send_answer(dispatcher, tracker, kb, topic, role, emergency=emergency, alternatives=others)
        return events


def send_answer(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    kb: KnowledgeBase,
    topic: str,
    role: str | None,
    emergency: bool = False,
    alternatives: list[str] | None = None,
) -> None:
    """A topic's answer: the article, then "Menade du …?" with `alternatives` (when any) and
    the answer's questions (answer_extras), so that the buttons stand next to the answer they
    question. Also the fused answer to an unsure question (actions/fallback.py)."""
    others = alternatives or []
    messages = render.article_messages(kb, topic, emergency=emergency, role=role)
    conversation.send(
        dispatcher, tracker, messages, topic=topic, emergency=emergency, audience=role, suggestions=others
    )
    extras = answer_extras(kb, tracker, topic, role, emergency)
    if others:
        extras = [render.alternatives_message(kb, others), *extras]
    if extras:
        conversation.send(
            dispatcher, tracker, extras, topic=topic, emergency=emergency, audience=role, suggestions=others
        )


def asker_role(tracker: Tracker) -> tuple[str | None, list]:
    """The remembered role, or the one the question reveals ("Som chef, …"), which then sticks."""
    role = conversation.text_value(tracker.get_slot(conversation.ROLE_SLOT))
    stated = flow_data().infer_role(conversation.latest_text(tracker))
    if stated and stated != role:
        return stated, [SlotSet(conversation.ROLE_SLOT, stated)]
    return role, []


def answer_extras(kb: KnowledgeBase, tracker: Tracker, topic: str, role: str | None, emergency: bool) -> list:
    """After an answer: the role question (once), the topic's guided flows, "Hjälpte svaret?".

    Sent as a group of their own after the article, so the article's group stays as it was.
    Nothing after an emergency answer, and nothing inside a form (the form asks next). A flow
    offer that is itself a yes/no question ("Är du i fara just nu?") replaces the feedback
    question, so that a typed "ja" can only mean one thing.
    """
    if emergency or conversation.active_form(tracker):
        return []
    extras = []
    article = kb.articles[topic]
    asks_role = role is None and len(article.audiences) > 1 and not role_was_asked(tracker)
    if asks_role:
        extras.append(role_question(kb, article.audiences))
    # Every flow of the topic offered to this asker (knowledge/flows.py, Flow.offered_to; while
    # the role question is open, choosing the role offers the role's flows: actions/roles.py).
    # `hot` asks "Är du i fara just nu?": that question last, nearest the text box, so that a
    # typed "ja" answers it.
    flows = sorted(flow_data().offered(topic, role, asking_role=asks_role), key=offer_is_a_question)
    extras.extend(offer_message(flow) for flow in flows)
    if not any(offer_is_a_question(flow) for flow in flows):
        extras.append(feedback_question(kb, topic))
    return extras
