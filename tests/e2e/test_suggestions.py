"""Never a dead end, over the real stack: an in-scope question the classifier rejects gets the
search's topics as buttons; a clearly out-of-scope one still gets the out-of-scope answer; an
unsure one that the classifier and the search together place gets that topic's ordinary answer
(the action server decides: docs/adr/0008-fused-answer-in-the-engine.md)."""

from __future__ import annotations

import httpx
import pytest

from knowledge import contract

pytestmark = pytest.mark.e2e

# In scope (a threatening situation at work); the trained classifier rejects it as
# out_of_scope without being sure (which the test checks first) and the search sees the field.
REJECTED_IN_SCOPE = "Vad gör man när en hotsituation uppstår i jobbet?"
CLEARLY_OUT_OF_SCOPE = "Vilket tåg ska jag ta till Göteborg?"


def engine_meta(stack, session: str, text: str) -> dict:
    """The turn's metadata of the engine's own answer, straight from Rasa."""
    r = httpx.post(f"{stack.rasa_url}{contract.WEBHOOK_PATH}", json={"sender": session, "message": text}, timeout=30)
    assert r.status_code == 200, r.text
    _, meta = contract.decode_answer(r.json())
    return meta


def ask(stack, session: str, text: str) -> dict:
    r = httpx.post(f"{stack.url}/api/chat", json={"session_id": session, "text": text}, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()


def test_rejected_in_scope_question_gets_topic_buttons(stack, kb):
    meta = engine_meta(stack, "e2e-ned-engine-01", REJECTED_IN_SCOPE)
    assert meta.get("unanswered") == "out_of_scope", (
        f"the classifier no longer rejects it: {meta} – pick another question"
    )
    body = ask(stack, "e2e-ned-gateway-01", REJECTED_IN_SCOPE)
    assert body["engine"] == "rasa" and body["topic"] is None
    assert len(body["suggestions"]) == 3 and set(body["suggestions"]) <= set(kb.topics), body["suggestions"]
    first = body["messages"][0]
    assert first["text"] == kb.phrases["suggestions_intro"]
    assert [b["payload"] for b in first["buttons"]] == [f"/{t}" for t in body["suggestions"]]
    # A button is an ordinary topic payload: it answers with the article.
    chosen = body["suggestions"][0]
    r = httpx.post(
        f"{stack.url}/api/chat", json={"session_id": "e2e-ned-gateway-01", "payload": f"/{chosen}"}, timeout=30
    )
    assert r.status_code == 200 and r.json()["topic"] == chosen


def test_clearly_out_of_scope_question_still_gets_the_out_of_scope_answer(stack, kb):
    assert engine_meta(stack, "e2e-ned-engine-02", CLEARLY_OUT_OF_SCOPE).get("unanswered") == "out_of_scope"
    body = ask(stack, "e2e-ned-gateway-02", CLEARLY_OUT_OF_SCOPE)
    assert body["suggestions"] == [] and body["topic"] is None
    assert body["messages"][0]["text"] == " ".join(kb.phrases["out_of_scope"].split())


# Real questions (tests/data/nlu_real_heldout.yml) that the trained classifier is unsure of
# (FallbackClassifier) and that it and the knowledge search together place in one topic
# (knowledge/suggestions.py, fused_answer). The test takes the first still unsure, so that new
# training data does not silently turn it into a test of a confident answer.
UNSURE_PLACED = (
    "När ska riskbedömning göras?",
    "Vad kan korruption innebära i vår verksamhet?",
    "Vad gör man om man drabbas, men chefen inte verkar agera?",
)


def test_unsure_question_gets_the_fused_topics_ordinary_answer_and_follow_ups_use_it(stack, kb):
    unsure = [
        text
        for i, text in enumerate(UNSURE_PLACED)
        if "nlu_fallback" in (engine_meta(stack, f"e2e-fused-engine-{i}", text).get("ranking") or [])
    ]
    assert unsure, "the classifier is sure of every question now – pick other unsure real questions"
    session = "e2e-fused-gateway-01"
    body = ask(stack, session, unsure[0])
    topic = body["topic"]
    assert body["engine"] == "rasa" and topic in kb.topics, body
    texts = [m["text"] for m in body["messages"]]
    assert texts[0] == kb.articles[topic].summary
    # "Menade du …?" with the fused ranking's next topics, then the answer's questions, the
    # feedback question about this topic last.
    at = texts.index(kb.phrases["alternatives_intro"])
    assert len(body["suggestions"]) == 2 and topic not in body["suggestions"]
    assert [b["payload"] for b in body["messages"][at]["buttons"]] == [f"/{t}" for t in body["suggestions"]]
    feedback = body["messages"][-1]
    assert feedback["kind"] == "feedback" and feedback["text"] == kb.phrases["feedback_question"]
    assert at < len(texts) - 1
    # The engine knows the topic: "Vem ska jag ringa?" is about it.
    follow_up = ask(stack, session, "Vem ska jag ringa?")
    assert follow_up["topic"] == topic
    assert follow_up["messages"][0]["text"].startswith(
        kb.phrases["contacts_for_topic"].format(title=kb.articles[topic].title)
    )
