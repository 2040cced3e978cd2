"""Hand-off: "jag vill prata med en människa" → the organisation's contacts, how and when."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import conversation
from actions.safety import SafeAction
from actions.settings import knowledge_base
from knowledge import render
from knowledge.loader import Channel, KnowledgeBase


def handoff_channels(kb: KnowledgeBase, topic: str | None) -> list[Channel]:
    """The organisation's own channels: the current topic's first, then the usual ones.

    National channels (112, polisen) are not a person in the organisation; 112 gets its own line.
    """
    keys = list(kb.articles[topic].channels) if topic else []
    keys += kb.phrases["handoff_channels"]
    own = kb.organisation.channels
    return [own[k] for k in dict.fromkeys(keys) if k in own]


def handoff_messages(kb: KnowledgeBase, topic: str | None) -> list[render.Message]:
    channels = handoff_channels(kb, topic)
    text = "\n".join(
        [kb.phrases["handoff_intro"], *(f"- {c.how_to_reach()}" for c in channels), "", kb.phrases["handoff_emergency"]]
    )
    links = [{"title": c.name, "url": c.url} for c in channels if c.url]
    return [render.message(text, links=links)]


class ActionHandoff(SafeAction):
    def name(self) -> str:
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Tell the person how and when to reach a human in their organisation."""
        kb = knowledge_base()
        topic = conversation.current_topic(tracker, kb.topics)
        conversation.send(dispatcher, tracker, handoff_messages(kb, topic))
        return []
