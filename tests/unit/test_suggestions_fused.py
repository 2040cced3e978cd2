"""The fused answer (knowledge/suggestions.py, fused_answer): an unsure question answered by the
classifier's confidences and the knowledge search's scores together, and what the gateway sends."""

from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient

from gateway.main import create_app
from gateway.settings import Settings
from knowledge.suggestions import FALLBACK, OUT_OF_SCOPE, Thresholds, fused_answer, fused_scores
from tests import fake_engine
from tests.unit.test_gateway import SESSION, FakeEngine, rasa_reply

TOPICS = {"gavor", "mutor", "jav", "hot", "vald"}
FUSING = Thresholds(search_min=1.0, oos_sure=0.8, fused_weight=0.5, fused_lead=0.2)


def test_fused_scores_add_the_searchs_normalised_scores_to_the_confidences():
    ranking = [("gavor", 0.35), ("out_of_scope", 0.3), ("mutor", 0.3)]
    fused = dict(fused_scores(ranking, [("mutor", 4.0), ("jav", 2.0)], TOPICS, 0.5))
    assert fused == pytest.approx({"gavor": 0.35, "mutor": 0.8, "jav": 0.25})
    # Weight 0: the classifier's topics in its own order; never out_of_scope as a topic.
    assert [t for t, _ in fused_scores(ranking, [("jav", 3.0)], TOPICS, 0.0)][:2] == ["gavor", "mutor"]


def test_an_unsure_question_with_a_clear_fused_lead_is_answered_with_alternatives():
    ranking = [("mutor", 0.3), ("gavor", 0.28), ("jav", 0.1)]
    hits = [("mutor", 3.0), ("hot", 1.0), ("gavor", 0.5)]
    assert fused_answer(FALLBACK, ranking, hits, 4.0, TOPICS, FUSING) == ["mutor", "gavor", "hot"]


def test_no_fused_answer_without_a_clear_lead_or_without_the_search():
    ranking = [("mutor", 0.3), ("gavor", 0.28)]
    even = [("mutor", 2.0), ("gavor", 2.0)]
    assert fused_answer(FALLBACK, ranking, even, 4.0, TOPICS, FUSING) == []  # lead 0.02 + 0 < 0.2
    assert fused_answer(FALLBACK, ranking, [("mutor", 3.0)], 0.5, TOPICS, FUSING) == []  # search sees nothing


def test_an_answer_or_a_rejection_is_left_alone_unless_asked():
    hits = [("mutor", 3.0)]
    assert fused_answer("gavor", [("gavor", 0.9)], hits, 4.0, TOPICS, FUSING) == []
    rejected = [(OUT_OF_SCOPE, 0.5), ("mutor", 0.3)]
    assert fused_answer(OUT_OF_SCOPE, rejected, hits, 4.0, TOPICS, FUSING) == []
    also = Thresholds(search_min=1.0, oos_sure=0.8, fused_weight=0.5, fused_lead=0.2, fused_rejected=True)
    assert fused_answer(OUT_OF_SCOPE, rejected, hits, 4.0, TOPICS, also)[0] == "mutor"
    sure = [(OUT_OF_SCOPE, 0.9), ("mutor", 0.05)]
    assert fused_answer(OUT_OF_SCOPE, sure, hits, 4.0, TOPICS, also) == []


# --- the gateway: an unsure engine answer becomes the fused topic's article --------------------


@pytest.fixture
def engine():
    return FakeEngine()


@pytest.fixture
def client(engine):
    with TestClient(create_app(Settings(), engine_transport=httpx.MockTransport(engine))) as c:
        yield c


def unsure_reply(kb, ranking):
    return rasa_reply(
        {"recipient_id": SESSION, "text": kb.phrases["suggestions_intro"], "buttons": []},
        fake_engine.turn(topic=None, emergency=False, suggestions=[], nlu={"intent": FALLBACK, "ranking": ranking}),
    )


def test_gateway_answers_an_unsure_question_the_fusion_is_clear_about(client, engine, kb, monkeypatch):
    from knowledge import suggestions

    monkeypatch.setattr(suggestions, "THRESHOLDS", FUSING)
    engine.reply = lambda body: unsure_reply(kb, [["mutor", 0.4], ["gavor", 0.25], ["out_of_scope", 0.2]])
    body = client.post(
        "/api/chat",
        json={"session_id": SESSION, "text": "Jag erbjöds pengar för att gynna en leverantör i en upphandling"},
    ).json()
    assert body["topic"] == "mutor"
    texts = [m["text"] for m in body["messages"]]
    assert kb.articles["mutor"].summary in texts[0]
    at = texts.index(kb.phrases["alternatives_intro"])
    assert [b["payload"] for b in body["messages"][at]["buttons"]] == [f"/{t}" for t in body["suggestions"]]
    assert len(body["suggestions"]) == 2 and "mutor" not in body["suggestions"]


def test_gateway_keeps_the_buttons_when_the_fusion_is_not_clear(client, engine, kb, monkeypatch):
    from knowledge import suggestions

    never = Thresholds(search_min=1.0, oos_sure=0.8, fused_weight=0.5, fused_lead=9.0)
    monkeypatch.setattr(suggestions, "THRESHOLDS", never)
    engine.reply = lambda body: unsure_reply(kb, [["mutor", 0.4], ["gavor", 0.25], ["out_of_scope", 0.2]])
    body = client.post(
        "/api/chat",
        json={"session_id": SESSION, "text": "Jag erbjöds pengar för att gynna en leverantör i en upphandling"},
    ).json()
    assert body["topic"] is None and len(body["suggestions"]) == 3
    assert body["messages"][0]["text"] == kb.phrases["suggestions_intro"]
