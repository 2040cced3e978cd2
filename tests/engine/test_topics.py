"""action_answer_topic: the article's summary and steps first, then contacts, then sources."""

from __future__ import annotations

from rasa_sdk.events import SlotSet

from actions.settings import knowledge_base
from actions.topics import ActionAnswerTopic
from knowledge import contract


def custom(messages):
    return [meta for meta in map(contract.turn_meta, messages) if meta][0]


def parts(messages):
    return [contract.answer([m])["messages"][0] for m in messages if m.get("text")]


def test_gift_question_gets_article_contacts_and_sources(run, tracker):
    kb = knowledge_base()
    messages, events = run(ActionAnswerTopic(), tracker("gavor", "Får jag ta emot en gåva?"))
    texts = [m["text"] for m in messages if m.get("text")]
    assert texts[0].startswith(kb.articles["gavor"].summary)
    assert texts[1].startswith(kb.phrases["steps_heading"])
    assert kb.channel("chef").name in texts[2]
    assert kb.articles["gavor"].sources[0].url in texts[3]
    meta = custom(messages)
    assert meta["topic"] == "gavor" and meta["emergency"] is False
    # Each message carries its own links and what it is (knowledge/contract.py).
    sent = parts(messages)
    assert [p["kind"] for p in sent][:4] == ["lead", "steps", "contacts", "sources"]
    assert sent[3]["links"] and not sent[0]["links"]
    assert events == [SlotSet("topic", "gavor")]


def test_an_answer_carries_the_classifiers_view_for_menade_du(run, tracker):
    """The gateway decides from it whether "Menade du …?" goes beside the answer
    (knowledge/suggestions.py); the 112 answer never carries it (test below)."""
    ranking = [{"name": "gavor", "confidence": 0.5}, {"name": "mutor", "confidence": 0.4}]
    messages, _ = run(ActionAnswerTopic(), tracker("gavor", "Får jag ta emot en gåva?", ranking=ranking))
    assert custom(messages)["nlu"] == {"intent": "gavor", "ranking": [["gavor", 0.5], ["mutor", 0.4]]}


def test_emergency_override_keeps_the_asked_topic_after_112(run, tracker):
    kb = knowledge_base()
    messages, _ = run(
        ActionAnswerTopic(),
        tracker(
            "akut_fara", "jag fick ett hotfullt mejl med kniv", emergency={"terms": ["kniv"], "original_intent": "hot"}
        ),
    )
    texts = [m["text"] for m in messages if m.get("text")]
    assert texts[0] == kb.phrases["emergency_line"]
    assert texts[1].startswith(kb.articles["hot"].summary)
    assert custom(messages) == {"topic": "hot", "emergency": True, "suggestions": []}
    assert parts(messages)[0]["kind"] == "emergency"


def test_plain_emergency_shows_akut_fara(run, tracker):
    kb = knowledge_base()
    messages, _ = run(
        ActionAnswerTopic(),
        tracker("akut_fara", "han har kniv", emergency={"terms": ["kniv"], "original_intent": "nlu_fallback"}),
    )
    texts = [m["text"] for m in messages if m.get("text")]
    assert texts[0] == kb.phrases["emergency_line"]
    assert texts[1].startswith(kb.articles["akut_fara"].summary)
    assert custom(messages)["topic"] == "akut_fara"
