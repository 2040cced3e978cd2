"""Follow-ups about the current topic: what if, simpler, read more, whom to call."""

from __future__ import annotations

from rasa_sdk.events import SlotSet

from actions.flows import flow_action, flow_data
from actions.followups import ActionFollowupReadMore, ActionFollowupSimpler, ActionFollowupWhatIf
from actions.settings import knowledge_base
from actions.topics import ActionAnswerTopic
from tests.engine.builders import Conversation, meta, payloads, texts

CAKE_FROM_RELATIVE = {"gift_giver": "brukare_anhorig", "gift_kind": "symbolisk_grupp", "gift_case": "nej"}


def test_and_if_it_is_a_supplier_changes_the_giver_and_gives_a_new_verdict():
    verdicts = flow_data().flows["gift_assessment"].extra["verdicts"]
    c = Conversation(slots=CAKE_FROM_RELATIVE)
    first, _ = c.say("gift_assessment", entities={}).run(flow_action("action_gift_assessment_outcome"))
    assert verdicts["kan_vara_acceptabelt"]["title"] in texts(first)[0]
    messages, events = c.say("followup_what_if", "och om det är en leverantör?").run(ActionFollowupWhatIf())
    assert events == [SlotSet("gift_giver", "leverantor")]
    assert texts(messages)[0] == knowledge_base().phrases["what_if_changed"]
    assert verdicts["radgor_med_chefen"]["title"] in texts(messages)[1]
    assert meta(messages)["topic"] == "gavor"


def test_a_what_if_before_any_assessment_offers_to_start_it_with_that_answer():
    c = Conversation()
    c.say("gavor", "Får jag ta emot en gåva?").run(ActionAnswerTopic())
    messages, events = c.say("followup_what_if", "och om det är en leverantör?").run(ActionFollowupWhatIf())
    assert events == []
    assert payloads(messages) == ['/gift_assessment{"gift_giver": "leverantor"}']


def test_and_if_i_am_a_manager_is_a_role_change():
    c = Conversation()
    c.say("gavor", "Får jag ta emot en gåva?").run(ActionAnswerTopic())
    messages, events = c.say("followup_what_if", "och om jag är chef?").run(ActionFollowupWhatIf())
    assert events == [SlotSet("role", "chef")]
    assert texts(messages)[1].startswith("För dig som chef:")


def test_a_what_if_the_assistant_cannot_use_says_so_and_repeats_the_essentials():
    kb = knowledge_base()
    c = Conversation()
    c.say("jav", "Vad är jäv?").run(ActionAnswerTopic())
    messages, _ = c.say("followup_what_if", "och om det är på en tisdag?").run(ActionFollowupWhatIf())
    assert texts(messages)[0].endswith(kb.articles["jav"].simple)


def test_explain_simpler_uses_the_current_topic():
    kb = knowledge_base()
    c = Conversation()
    c.say("mutor", "någon försökte muta mig").run(ActionAnswerTopic())
    messages, _ = c.say("followup_simpler", "kan du förklara enklare?").run(ActionFollowupSimpler())
    assert texts(messages) == [
        f"{kb.phrases['simpler_intro'].format(title=kb.articles['mutor'].title)}\n{kb.articles['mutor'].simple}"
    ]
    assert meta(messages)["topic"] == "mutor"


def test_read_more_gives_the_current_topics_sources_and_related_topics():
    kb = knowledge_base()
    c = Conversation()
    c.say("jav", "Vad är jäv?").run(ActionAnswerTopic())
    messages, _ = c.say("followup_read_more", "var kan jag läsa mer?").run(ActionFollowupReadMore())
    assert kb.articles["jav"].sources[0].url in texts(messages)[1]
    assert payloads(messages) == [f"/{t}" for t in kb.articles["jav"].related]


def test_who_to_call_after_an_answer_gives_that_topics_contacts():
    kb = knowledge_base()
    c = Conversation()
    c.say("gavor", "Får jag ta emot en gåva?").run(ActionAnswerTopic())
    messages, _ = c.say("kontaktvagar", "vem ska jag ringa?").run(ActionAnswerTopic())
    assert texts(messages)[0].startswith(kb.phrases["contacts_for_topic"].format(title=kb.articles["gavor"].title))
    for key in kb.articles["gavor"].channels:
        assert kb.channel(key).how_to_reach() in texts(messages)[0]
    assert payloads(messages) == ["/kontaktvagar"]
    assert meta(messages)["topic"] == "gavor"


def test_who_to_call_without_a_topic_or_by_button_gives_all_contacts():
    kb = knowledge_base()
    alone, _ = Conversation().say("kontaktvagar", "vem ska jag ringa?").run(ActionAnswerTopic())
    assert texts(alone)[0].startswith(kb.articles["kontaktvagar"].summary)
    c = Conversation()
    c.say("gavor", "Får jag ta emot en gåva?").run(ActionAnswerTopic())
    clicked, _ = c.say("kontaktvagar").run(ActionAnswerTopic())
    assert texts(clicked)[0].startswith(kb.articles["kontaktvagar"].summary)


def test_follow_ups_without_a_topic_ask_what_it_is_about():
    kb = knowledge_base()
    messages, _ = Conversation().say("followup_simpler", "förklara enklare").run(ActionFollowupSimpler())
    assert texts(messages) == [kb.phrases["no_current_topic"]]
