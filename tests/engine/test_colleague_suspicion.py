"""Suspicion about a colleague: never investigate yourself; the channel depends on the chef."""

from __future__ import annotations

from actions.flows import flow_action
from actions.settings import knowledge_base
from tests.engine.builders import Conversation, meta, texts


def outcome(route: str):
    return (
        Conversation(slots={"suspicion_route": route})
        .say("colleague_suspicion", entities={"suspicion_route": route})
        .run(flow_action("action_colleague_suspicion_outcome"))[0]
    )


def test_every_route_starts_with_do_not_investigate_yourself():
    for route in ("chef", "chef_inblandad", "anonym"):
        assert texts(outcome(route))[0].startswith("Utred inte själv")


def test_when_the_chef_may_be_involved_the_chef_is_not_a_channel_but_the_whistleblowing_channel_is():
    kb = knowledge_base()
    channels = texts(outcome("chef_inblandad"))[1]
    assert kb.channel("visselblasarkanal").name in channels
    assert kb.channel("sakerhetsfunktion").name in channels
    assert kb.channel("chef").name not in channels
    assert kb.channel("chef").name in texts(outcome("chef"))[1]


def test_the_anonymous_route_leads_to_the_whistleblowing_channel_first():
    kb = knowledge_base()
    messages = outcome("anonym")
    assert texts(messages)[1].split("\n")[1].startswith(f"- {kb.channel('visselblasarkanal').name}")
    assert "/visselblasning" in [b["payload"] for m in messages for b in m.get("buttons") or []]
    assert meta(messages)["topic"] == "misstanke_kollega"
