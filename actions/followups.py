"""Follow-up questions answered about the conversation's current topic.

"Och om det är en leverantör?" changes one answer of the current flow and gives the new
outcome; "kan du förklara enklare?" and "var kan jag läsa mer?" use the current article;
"vem ska jag ringa?" (the topic intent kontaktvagar) is answered by topics.py with
`contacts_messages` below when there is a current topic.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import conversation
from actions.flows import flow_data, offer_message, outcome_messages, send_outcome
from actions.roles import role_answer
from actions.safety import SafeAction
from actions.settings import knowledge_base
from knowledge import render
from knowledge.flows import Flow, answers_from, answers_in_text
from knowledge.loader import KnowledgeBase

CONTACTS_TOPIC = "kontaktvagar"
READ_MORE_TOPIC = "stodmaterial"


def no_topic_messages(kb: KnowledgeBase) -> list[render.Message]:
    return [render.message(kb.phrases["no_current_topic"], buttons=render.quick_help_buttons(kb))]


def contacts_messages(kb: KnowledgeBase, topic: str) -> list[render.Message]:
    """Whom to contact about the current topic, with how and when; all contacts one click away."""
    article = kb.articles[topic]
    channels = kb.channels_for(article)
    text = "\n".join(
        [kb.phrases["contacts_for_topic"].format(title=article.title), *(f"- {c.how_to_reach()}" for c in channels)]
    )
    links = [{"title": c.name, "url": c.url} for c in channels if c.url]
    buttons = [{"title": kb.phrases["all_contacts_button"], "payload": render.topic_payload(CONTACTS_TOPIC)}]
    return [render.message(text, buttons=buttons, links=links)]


def what_if_answers(flows, topic: str | None, text: str) -> tuple[Flow | None, dict[str, str]]:
    """The flow the question is about and the answers it changes; the current topic's flow first."""
    own = flows.for_topic(topic)
    candidates = ([own] if own else []) + [f for f in flows.flows.values() if f is not own]
    for flow in candidates:
        if not flow.what_if:
            continue
        found = answers_in_text(flow, text, include_yes_no=flow is own)
        if found:
            return flow, found
    return None, {}


class ActionFollowupWhatIf(SafeAction):
    def name(self) -> str:
        return "action_followup_what_if"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Answer "och om det är …?" by changing that answer of the current flow."""
        kb = knowledge_base()
        flows = flow_data()
        text = conversation.latest_text(tracker)
        topic = conversation.current_topic(tracker, kb.topics)
        role = flows.infer_role(text)
        if role:
            conversation.send(dispatcher, tracker, role_answer(kb, role, topic), topic=topic, audience=role)
            return [SlotSet(conversation.ROLE_SLOT, role)]
        flow, found = what_if_answers(flows, topic, text)
        if flow is None:
            if topic is None:
                conversation.send(dispatcher, tracker, no_topic_messages(kb))
                return []
            article = kb.articles[topic]
            messages = [
                render.message(f"{kb.phrases['what_if_unclear'].format(title=article.title)}\n{article.simple}")
            ]
            own = flows.for_topic(topic)
            if own:
                messages.append(offer_message(own))
            conversation.send(dispatcher, tracker, messages, topic=topic)
            return []
        answers = {**answers_from(tracker.slots, flow), **found}
        if flow.is_complete(answers) and flow is flows.for_topic(topic):
            send_outcome(
                dispatcher, tracker, kb, outcome_messages(kb, flow, answers), intro=kb.phrases["what_if_changed"]
            )
            return [SlotSet(slot, value) for slot, value in found.items()]
        # Not enough answers yet: a button that starts the flow with what we know.
        known = {s: v for s, v in answers.items() if v in flow.questions[s].options}
        button = {"title": kb.phrases["what_if_more_button"], "payload": flow.payload(known)}
        conversation.send(
            dispatcher, tracker, [render.message(kb.phrases["what_if_more"], buttons=[button])], topic=flow.topic
        )
        return []


class ActionFollowupSimpler(SafeAction):
    def name(self) -> str:
        return "action_followup_simpler"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Say the current topic's advice again in the simplest words."""
        kb = knowledge_base()
        topic = conversation.current_topic(tracker, kb.topics)
        if topic is None:
            conversation.send(dispatcher, tracker, no_topic_messages(kb))
            return []
        article = kb.articles[topic]
        text = f"{kb.phrases['simpler_intro'].format(title=article.title)}\n{article.simple}"
        conversation.send(dispatcher, tracker, [render.message(text)], topic=topic)
        return []


class ActionFollowupReadMore(SafeAction):
    def name(self) -> str:
        return "action_followup_read_more"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Give the current topic's sources and related topics; without one, the support material."""
        kb = knowledge_base()
        topic = conversation.current_topic(tracker, kb.topics)
        if topic is None:
            topic = READ_MORE_TOPIC
            conversation.send(dispatcher, tracker, render.article_messages(kb, topic), topic=topic)
            return []
        article = kb.articles[topic]
        sources = render.sources_message(kb, article)
        sources["buttons"] = render.topic_buttons(kb, article.related)
        messages = [render.message(kb.phrases["read_more_intro"].format(title=article.title)), sources]
        conversation.send(dispatcher, tracker, messages, topic=topic)
        return []
