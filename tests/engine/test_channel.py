"""The engine ↔ gateway contract, round trip: what an action sends is what the gateway reads.

Actions (actions/reply.py) → rasa_sdk's dispatcher → Rasa's bot utterances → our channel
(bot/channel.py) → JSON → knowledge.contract.decode_answer, as in the running engine, with
Rasa's own conversion of an action's message into an utterance.
"""

from __future__ import annotations

import asyncio
import json

from rasa.core.actions.action import create_bot_utterance
from rasa_sdk.executor import CollectingDispatcher

from actions import reply
from actions.roles import role_question
from actions.settings import knowledge_base
from bot.channel import StructuredOutput
from knowledge import contract, render


def through_the_engine(dispatcher: CollectingDispatcher) -> dict:
    channel = StructuredOutput()
    for sent in dispatcher.messages:
        utterance = create_bot_utterance(json.loads(json.dumps(sent)))
        asyncio.run(channel.send_response("session", utterance.message()))
    return json.loads(json.dumps(contract.answer(channel.messages)))


def test_messages_and_metadata_arrive_as_sent():
    kb = knowledge_base()
    messages = [*render.article_messages(kb, "hot", emergency=True), role_question(kb)]
    # A text with blank lines stays one message (Rasa's REST channel split it).
    messages.append(
        render.message("Första stycket.\n\nAndra stycket.", links=[{"title": "Brå", "url": "https://bra.se"}])
    )
    dispatcher = CollectingDispatcher()
    reply.send(
        dispatcher,
        messages,
        topic="hot",
        emergency=True,
        suggestions=["akut_fara"],
        audience="chef",
        feedback={"topic": "hot", "helpful": True},
        ranking=["hot"],
        unanswered="unsure",
    )
    decoded, meta = contract.decode_answer(through_the_engine(dispatcher))
    assert decoded == messages
    assert meta == {
        "topic": "hot",
        "emergency": True,
        "suggestions": ["akut_fara"],
        "audience": "chef",
        "feedback": {"topic": "hot", "helpful": True},
        "ranking": ["hot"],
        "unanswered": "unsure",
    }


def test_a_turn_with_several_sends_keeps_all_messages_and_the_last_metadata():
    kb = knowledge_base()
    dispatcher = CollectingDispatcher()
    reply.send(dispatcher, render.article_messages(kb, "gavor"), topic="gavor")
    reply.send(dispatcher, [role_question(kb)], topic="gavor", audience="medarbetare")
    decoded, meta = contract.decode_answer(through_the_engine(dispatcher))
    assert [m["kind"] for m in decoded] == ["lead", "steps", "contacts", "sources", "question"]
    assert meta["audience"] == "medarbetare"


def test_a_plain_domain_response_is_text():
    # utter_* responses from the domain carry no part of ours.
    channel = StructuredOutput()
    asyncio.run(channel.send_response("session", {"text": "Hej!", "buttons": [{"title": "Ja", "payload": "/affirm"}]}))
    decoded, meta = contract.decode_answer(contract.answer(channel.messages))
    assert decoded == [render.message("Hej!", buttons=[{"title": "Ja", "payload": "/affirm"}])] and meta == {}
