"""Never a dead end (knowledge/suggestions.py): rank fusion and when a question gets buttons."""

from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient

from gateway.main import create_app
from gateway.settings import Settings
from knowledge.suggestions import (
    FALLBACK,
    OUT_OF_SCOPE,
    Thresholds,
    alternatives,
    degraded_suggestions,
    fuse,
    in_doubt,
    suggestions,
)
from tests import fake_engine
from tests.unit.test_gateway import SESSION, FakeEngine, rasa_reply

TOPICS = {"gavor", "mutor", "jav", "hot", "vald"}
SURE = Thresholds(search_min=1.5, oos_sure=0.85)


def test_fusion_of_one_ranking_keeps_its_order():
    assert fuse([["hot", "vald", "jav"]]) == ["hot", "vald", "jav"]


def test_fusion_prefers_what_both_rankings_rank_high():
    # "mutor" is second in both, "gavor" first in one and absent from the other.
    assert fuse([["gavor", "mutor", "jav"], ["hot", "mutor", "vald"]])[0] == "mutor"
    assert fuse([["gavor", "mutor"], ["hot", "mutor"]], limit=1) == ["mutor"]


def test_fusion_counts_an_item_once_per_ranking():
    assert fuse([["hot", "hot", "vald"], ["vald"]])[0] == "vald"


def test_an_answered_question_gets_no_buttons():
    assert suggestions("gavor", [("gavor", 0.9)], ["mutor"], 9.0, TOPICS, SURE) == []
    assert suggestions("greet", [("greet", 0.9)], ["mutor"], 9.0, TOPICS, SURE) == []


def test_unsure_fuses_classifier_and_search():
    ranking = [("gavor", 0.35), ("out_of_scope", 0.3), ("jav", 0.2), ("hot", 0.1)]
    assert suggestions(FALLBACK, ranking, ["mutor", "gavor"], 3.0, TOPICS, SURE) == ["gavor", "mutor", "jav"]
    # The search sees nothing: the classifier's topics alone (never out_of_scope as a button).
    assert suggestions(FALLBACK, ranking, ["mutor"], 0.2, TOPICS, SURE) == ["gavor", "jav", "hot"]


def test_rejected_but_the_search_sees_the_field_gets_buttons():
    ranking = [("out_of_scope", 0.55), ("hot", 0.3), ("vald", 0.1)]
    assert suggestions(OUT_OF_SCOPE, ranking, ["hot", "jav"], 2.0, TOPICS, SURE) == ["hot", "vald", "jav"]


def test_out_of_scope_only_when_neither_sees_anything():
    ranking = [("out_of_scope", 0.55), ("hot", 0.3)]
    assert suggestions(OUT_OF_SCOPE, ranking, ["hot"], 1.0, TOPICS, SURE) == []  # search below its threshold
    sure = [("out_of_scope", 0.97), ("hot", 0.01)]
    assert suggestions(OUT_OF_SCOPE, sure, ["hot"], 5.0, TOPICS, SURE) == []  # the classifier is sure


def test_degraded_mode_uses_the_search_alone():
    assert degraded_suggestions(["hot", "vald", "jav", "gavor"], 2.0, TOPICS, SURE) == ["hot", "vald", "jav"]
    assert degraded_suggestions(["hot"], 0.5, TOPICS, SURE) == []


# --- the gateway: the engine's out-of-scope/unsure answer augmented by the search -------------


def out_of_scope_reply(kb, ranking):
    return rasa_reply(
        {
            "recipient_id": SESSION,
            "text": kb.phrases["out_of_scope"].strip(),
            "buttons": [{"title": "Hot", "payload": "/hot"}],
        },
        fake_engine.turn(topic=None, emergency=False, suggestions=[], nlu={"intent": OUT_OF_SCOPE, "ranking": ranking}),
    )


@pytest.fixture
def engine():
    return FakeEngine()


@pytest.fixture
def client(engine):
    with TestClient(create_app(Settings(), engine_transport=httpx.MockTransport(engine))) as c:
        yield c


def test_rejected_question_about_gifts_gets_fused_buttons(client, engine, kb):
    engine.reply = lambda body: out_of_scope_reply(kb, [["out_of_scope", 0.6], ["mutor", 0.2], ["jav", 0.1]])
    body = client.post(
        "/api/chat", json={"session_id": SESSION, "text": "Får jag ta emot en julklapp från en leverantör?"}
    ).json()
    assert body["engine"] == "rasa" and body["topic"] is None
    assert len(body["suggestions"]) == 3 and "gavor" in body["suggestions"] and "mutor" in body["suggestions"]
    assert body["messages"][0]["text"] == kb.phrases["suggestions_intro"]
    assert [b["payload"] for b in body["messages"][0]["buttons"]] == [f"/{t}" for t in body["suggestions"]]


def test_rejected_everyday_question_stays_out_of_scope(client, engine, kb):
    engine.reply = lambda body: out_of_scope_reply(kb, [["out_of_scope", 0.6], ["mutor", 0.2]])
    body = client.post("/api/chat", json={"session_id": SESSION, "text": "Vilket tåg ska jag ta till Göteborg?"}).json()
    assert body["suggestions"] == [] and body["messages"][0]["text"] == kb.phrases["out_of_scope"].strip()


def test_a_sure_rejection_is_not_second_guessed(client, engine, kb):
    engine.reply = lambda body: out_of_scope_reply(kb, [["out_of_scope", 0.99], ["mutor", 0.001]])
    body = client.post(
        "/api/chat", json={"session_id": SESSION, "text": "Får jag ta emot en julklapp från en leverantör?"}
    ).json()
    assert body["suggestions"] == []


# --- "Menade du …?" beside an answer in doubt --------------------------------------------------

DOUBTFUL = Thresholds(search_min=1.5, oos_sure=0.85, doubt_margin=0.3)


def test_a_clear_answer_carries_no_alternatives():
    ranking = [("gavor", 0.9), ("mutor", 0.05)]
    assert alternatives("gavor", ranking, ["mutor", "jav"], 5.0, TOPICS, DOUBTFUL) == []


def test_an_answer_in_doubt_carries_the_fused_next_topics():
    ranking = [("gavor", 0.5), ("out_of_scope", 0.3), ("mutor", 0.1), ("hot", 0.05)]
    # The answered topic never comes back as an alternative, nor out_of_scope.
    assert alternatives("gavor", ranking, ["jav", "mutor"], 5.0, TOPICS, DOUBTFUL) == ["mutor", "jav"]
    # The search sees nothing: the classifier's next topics alone.
    assert alternatives("gavor", ranking, ["jav"], 0.5, TOPICS, DOUBTFUL) == ["mutor", "hot"]


def test_no_alternatives_for_an_intent_that_is_no_topic_or_not_the_classifiers_first():
    assert alternatives("greet", [("greet", 0.5), ("hot", 0.4)], ["hot"], 5.0, TOPICS, DOUBTFUL) == []
    # A button click or the emergency override: the answered topic is not the ranking's first.
    assert not in_doubt("akut_fara", [("hot", 0.5), ("vald", 0.4)], DOUBTFUL)


def answered_reply(kb, topic, ranking, emergency=False):
    return rasa_reply(
        fake_engine.part(kb.articles[topic].summary, kind="lead"),
        fake_engine.part(kb.phrases["feedback_question"], kind="feedback"),
        fake_engine.turn(topic=topic, emergency=emergency, suggestions=[], nlu={"intent": topic, "ranking": ranking}),
    )


GIFT_QUESTION = "Får jag ta emot en present från en leverantör?"


def test_gateway_puts_menade_du_beside_an_answer_in_doubt(client, engine, kb):
    engine.reply = lambda body: answered_reply(kb, "gavor", [["gavor", 0.46], ["mutor", 0.4], ["jav", 0.05]])
    body = client.post("/api/chat", json={"session_id": SESSION, "text": GIFT_QUESTION}).json()
    assert body["topic"] == "gavor" and len(body["suggestions"]) == 2 and "mutor" in body["suggestions"]
    texts = [m["text"] for m in body["messages"]]
    at = texts.index(kb.phrases["alternatives_intro"])
    assert texts[0] == kb.articles["gavor"].summary and at == 1  # after the answer, before its question
    assert [b["payload"] for b in body["messages"][at]["buttons"]] == [f"/{t}" for t in body["suggestions"]]


def test_gateway_keeps_a_confident_or_emergency_answer_clean(client, engine, kb):
    engine.reply = lambda body: answered_reply(kb, "gavor", [["gavor", 0.95], ["mutor", 0.01]])
    body = client.post("/api/chat", json={"session_id": SESSION, "text": GIFT_QUESTION}).json()
    assert body["suggestions"] == [] and kb.phrases["alternatives_intro"] not in [m["text"] for m in body["messages"]]
    engine.reply = lambda body: answered_reply(kb, "hot", [["hot", 0.46], ["vald", 0.4]], emergency=True)
    body = client.post("/api/chat", json={"session_id": SESSION, "text": "Han hotar mig med kniv nu"}).json()
    assert body["suggestions"] == [] and kb.phrases["alternatives_intro"] not in [m["text"] for m in body["messages"]]
