"""action_answer_topic: the article's summary and steps first, then contacts, then sources."""

from __future__ import annotations

from rasa_sdk.events import SlotSet

from actions.settings import knowledge_base
from actions.topics import ActionAnswerTopic
from knowledge import contract
from tests.engine.builders import meta as turn_meta


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


GIFT_QUESTION = "Får jag ta emot en present från en leverantör?"


def test_an_answer_in_doubt_carries_menade_du_before_its_questions(run, tracker):
    """A narrow lead (knowledge/suggestions.py, doubt_margin): the fused ranking's next topics
    as "Menade du …?" after the article and before its questions; the ranking is not sent."""
    kb = knowledge_base()
    ranking = [{"name": "gavor", "confidence": 0.46}, {"name": "mutor", "confidence": 0.4}]
    messages, _ = run(ActionAnswerTopic(), tracker("gavor", GIFT_QUESTION, ranking=ranking))
    meta = turn_meta(messages)
    assert meta["topic"] == "gavor" and len(meta["suggestions"]) == 2 and "mutor" in meta["suggestions"]
    assert "nlu" not in meta
    sent = parts(messages)
    texts = [m["text"] for m in sent]
    at = texts.index(kb.phrases["alternatives_intro"])
    assert texts[0] == kb.articles["gavor"].summary
    assert [b["payload"] for b in sent[at]["buttons"]] == [f"/{t}" for t in meta["suggestions"]]
    questions = [i for i, m in enumerate(sent) if m["kind"] in ("question", "feedback") and i != at]
    assert questions and at < min(questions) and sent[-1]["kind"] == "feedback"


def test_a_confident_or_emergency_answer_stays_clean(run, tracker):
    kb = knowledge_base()
    clear = [{"name": "gavor", "confidence": 0.95}, {"name": "mutor", "confidence": 0.01}]
    messages, _ = run(ActionAnswerTopic(), tracker("gavor", GIFT_QUESTION, ranking=clear))
    assert turn_meta(messages)["suggestions"] == []
    assert kb.phrases["alternatives_intro"] not in [m.get("text") for m in messages]
    close = [
        {"name": "akut_fara", "confidence": 1.0},
        {"name": "hot", "confidence": 0.46},
        {"name": "vald", "confidence": 0.4},
    ]
    messages, _ = run(
        ActionAnswerTopic(),
        tracker(
            "akut_fara",
            "Han hotar mig med kniv nu",
            ranking=close,
            emergency={"terms": ["kniv"], "original_intent": "hot"},
        ),
    )
    assert turn_meta(messages)["suggestions"] == []
    assert kb.phrases["alternatives_intro"] not in [m.get("text") for m in messages]


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
