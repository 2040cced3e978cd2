"""The asker's role (medarbetare, chef, verksamhetsutvecklare): asked once, remembered, changeable."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import conversation
from actions.flows import flow_data, offer_message
from actions.safety import SafeAction
from actions.settings import knowledge_base
from knowledge import contract, render
from knowledge.flows import start_payload
from knowledge.loader import AUDIENCES, KnowledgeBase

INTENT = "set_role"


def role_question(
    kb: KnowledgeBase, audiences: Iterable[str] = AUDIENCES, text_key: str = "role_question"
) -> render.Message:
    wanted = set(audiences)
    buttons = [
        {"title": kb.phrases["role_buttons"][a], "payload": start_payload(INTENT, {"role": a})}
        for a in AUDIENCES
        if a in wanted
    ]
    return render.message(kb.phrases[text_key], buttons=buttons, kind=contract.KIND_QUESTION)


def role_was_asked(tracker: Tracker) -> bool:
    """The role question is asked once per conversation: any earlier role button counts."""
    return any(p.startswith(f"/{INTENT}") for p in conversation.offered_payloads(tracker))


def role_answer(kb: KnowledgeBase, role: str, topic: str | None) -> list[render.Message]:
    """Confirm the role, then the current topic's section for it (if the article has one)."""
    messages = [render.message(kb.phrases["role_confirmed"].format(role=kb.phrases["role_names"][role]))]
    if topic:
        article = kb.articles[topic]
        # The answer before said the lead and the steps: the section does not repeat them.
        section = render.audience_message(article, role, said=[article.summary, *article.steps])
        messages.append(section or render.message(kb.phrases["role_no_section"].format(title=article.title)))
        # A tool made for this role (the manager's risk level under `hot`) is offered here.
        messages.extend(offer_message(f) for f in flow_data().unlocked_by(topic, role))
    return messages


def stated_role(tracker: Tracker) -> str | None:
    """The role this message gives: a button's entity, else words like "som chef"."""
    role = conversation.latest_entities(tracker).get("role")
    if role in AUDIENCES:
        return role
    return flow_data().infer_role(conversation.latest_text(tracker), about_role=True)


class ActionSetRole(SafeAction):
    def name(self) -> str:
        return "action_set_role"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Remember who is asking and show the current topic's advice for that role."""
        kb = knowledge_base()
        topic = conversation.current_topic(tracker, kb.topics)
        role = stated_role(tracker)
        if role is None:
            conversation.send(dispatcher, tracker, [role_question(kb, text_key="role_unknown")], topic=topic)
            return []
        conversation.send(dispatcher, tracker, role_answer(kb, role, topic), topic=topic, audience=role)
        return [SlotSet(conversation.ROLE_SLOT, role)]
