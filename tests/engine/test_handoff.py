"""Hand-off: the organisation's people, how and when to reach them, the current topic's first."""

from __future__ import annotations

from actions.handoff import ActionHandoff
from actions.settings import knowledge_base
from actions.topics import ActionAnswerTopic
from tests.engine.builders import Conversation, texts


def test_a_human_means_the_organisations_channels_with_how_and_when():
    kb = knowledge_base()
    messages, _ = Conversation().say("handoff", "jag vill prata med en människa").run(ActionHandoff())
    text = texts(messages)[0]
    assert text.startswith(kb.phrases["handoff_intro"]) and text.endswith(kb.phrases["handoff_emergency"])
    for key in kb.phrases["handoff_channels"]:
        assert kb.channel(key).how_to_reach() in text
    assert kb.channel("chef").hours in text
    assert "114 14" not in text  # national channels are not a person in the organisation


def test_the_current_topics_own_contacts_come_first():
    kb = knowledge_base()
    c = Conversation()
    c.say("gavor", "Får jag ta emot en gåva?").run(ActionAnswerTopic())
    messages, _ = c.say("handoff", "jag vill prata med en människa").run(ActionHandoff())
    lines = texts(messages)[0].split("\n")
    assert lines[2] == f"- {kb.channel('jurist').how_to_reach()}"  # gavor: chef, jurist, …
