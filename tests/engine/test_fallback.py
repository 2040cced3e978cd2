"""Unsure or out of scope: never a dead end, never a guess. The action server fuses the
classifier's ranking with the knowledge search (the real one, over the real knowledge base)."""

from __future__ import annotations

from rasa_sdk.events import SlotSet

from actions.fallback import ActionOutOfScope, ActionSuggestTopics
from actions.settings import knowledge_base
from knowledge import contract
from tests.engine.builders import meta as turn_meta


def parts(messages):
    return [contract.answer([m])["messages"][0] for m in messages if m.get("text")]


def ranked(*pairs):
    return [{"name": name, "confidence": confidence} for name, confidence in pairs]


def test_unsure_without_help_from_the_search_offers_the_likeliest_topics(run, tracker):
    ranking = ranked(("nlu_fallback", 0.3), ("jav", 0.2), ("greet", 0.19), ("bisysslor", 0.18), ("gavor", 0.1))
    # Words the knowledge base does not know: the search sees nothing, the classifier's order stands.
    messages, events = run(ActionSuggestTopics(), tracker("nlu_fallback", "qwzx plonk", ranking=ranking))
    buttons = messages[0]["buttons"]
    assert [b["payload"] for b in buttons] == ["/jav", "/bisysslor", "/gavor"]
    meta = turn_meta(messages)
    assert meta["suggestions"] == ["jav", "bisysslor", "gavor"] and meta["topic"] is None
    # For the review of what the assistant did not understand (/statistik/granska).
    assert meta["unanswered"] == "unsure" and meta["ranking"] == ["jav", "bisysslor", "gavor"]
    assert "nlu" not in meta  # the ranking stays in the action server
    assert "112" in messages[1]["text"]  # contacts include the emergency number
    assert events == []


GIFT_TEXT = "Får jag ta emot en julklapp från en leverantör?"


def test_unsure_question_the_search_places_gets_an_ordinary_topic_answer(run, tracker):
    """The fused answer (knowledge/suggestions.py, fused_answer): the article with "Menade
    du …?", the answer's questions with "Hjälpte svaret?" last, and the topic slot."""
    kb = knowledge_base()
    ranking = ranked(("nlu_fallback", 0.5), ("mutor", 0.3), ("gavor", 0.28), ("jav", 0.1))
    messages, events = run(ActionSuggestTopics(), tracker("nlu_fallback", GIFT_TEXT, ranking=ranking))
    meta = turn_meta(messages)
    assert meta["topic"] == "gavor" and "unanswered" not in meta and "nlu" not in meta
    assert len(meta["suggestions"]) == 2 and "gavor" not in meta["suggestions"]
    sent = parts(messages)
    texts = [m["text"] for m in sent]
    assert texts[0] == kb.articles["gavor"].summary
    at = texts.index(kb.phrases["alternatives_intro"])
    assert [b["payload"] for b in sent[at]["buttons"]] == [f"/{t}" for t in meta["suggestions"]]
    assert sent[-1]["kind"] == "feedback" and at < len(sent) - 1
    assert all("gavor" in b["payload"] for b in sent[-1]["buttons"])  # the feedback is about gavor
    assert SlotSet("topic", "gavor") in events


def test_rejection_in_doubt_of_an_in_scope_question_gets_fused_buttons(run, tracker):
    kb = knowledge_base()
    ranking = ranked(("out_of_scope", 0.6), ("mutor", 0.2), ("jav", 0.1))
    messages, _ = run(ActionOutOfScope(), tracker("out_of_scope", GIFT_TEXT, ranking=ranking))
    meta = turn_meta(messages)
    assert meta["topic"] is None and meta["unanswered"] == "out_of_scope"
    assert len(meta["suggestions"]) == 3 and {"gavor", "mutor"} <= set(meta["suggestions"])
    assert messages[0]["text"] == kb.phrases["suggestions_intro"]
    assert [b["payload"] for b in messages[0]["buttons"]] == [f"/{t}" for t in meta["suggestions"]]


def test_out_of_scope_explains_and_offers_quick_help(run, tracker):
    kb = knowledge_base()
    ranking = ranked(("out_of_scope", 0.7), ("greet", 0.1), ("bisysslor", 0.08), ("hot", 0.02))
    messages, _ = run(
        ActionOutOfScope(), tracker("out_of_scope", "Vilket tåg ska jag ta till Göteborg?", ranking=ranking)
    )
    assert messages[0]["text"] == kb.phrases["out_of_scope"]
    meta = turn_meta(messages)
    assert meta["unanswered"] == "out_of_scope" and meta["ranking"] == ["bisysslor", "hot"]
    assert [b["payload"] for b in messages[0]["buttons"]] == [f"/{t}" for t in kb.phrases["quick_help_topics"]]
    assert meta["suggestions"] == [] and "nlu" not in meta


def test_a_sure_rejection_is_not_second_guessed(run, tracker):
    kb = knowledge_base()
    sure = ranked(("out_of_scope", 0.99), ("mutor", 0.001))
    messages, _ = run(ActionOutOfScope(), tracker("out_of_scope", GIFT_TEXT, ranking=sure))
    assert messages[0]["text"] == kb.phrases["out_of_scope"] and turn_meta(messages)["suggestions"] == []
