"""Unsure or out of scope: suggestions as buttons, never a guess."""

from __future__ import annotations

from actions.fallback import ActionOutOfScope, ActionSuggestTopics
from actions.settings import knowledge_base
from tests.engine.builders import meta as turn_meta


def test_low_confidence_offers_three_likeliest_topics(run, tracker):
    ranking = [
        {"name": "nlu_fallback", "confidence": 0.3},
        {"name": "jav", "confidence": 0.2},
        {"name": "greet", "confidence": 0.19},
        {"name": "bisysslor", "confidence": 0.18},
        {"name": "gavor", "confidence": 0.1},
        {"name": "mutor", "confidence": 0.05},
    ]
    messages, _ = run(ActionSuggestTopics(), tracker("nlu_fallback", "extrajobb hos släkting", ranking=ranking))
    buttons = messages[0]["buttons"]
    assert [b["payload"] for b in buttons] == ["/jav", "/bisysslor", "/gavor"]
    meta = turn_meta(messages)
    assert meta["suggestions"] == ["jav", "bisysslor", "gavor"] and meta["topic"] is None
    # For the review of what the assistant did not understand (/statistik/granska).
    assert meta["unanswered"] == "unsure" and meta["ranking"] == ["jav", "bisysslor", "gavor"]
    # The classifier's view, for the gateway's fusion with the knowledge search.
    assert meta["nlu"]["intent"] == "nlu_fallback"
    assert meta["nlu"]["ranking"][:2] == [["jav", 0.2], ["greet", 0.19]]
    assert "112" in messages[1]["text"]  # contacts include the emergency number


def test_out_of_scope_explains_and_offers_quick_help(run, tracker):
    kb = knowledge_base()
    ranking = [
        {"name": "out_of_scope", "confidence": 0.7},
        {"name": "greet", "confidence": 0.1},
        {"name": "bisysslor", "confidence": 0.08},
        {"name": "hot", "confidence": 0.02},
    ]
    messages, _ = run(ActionOutOfScope(), tracker("out_of_scope", "när är lönen?", ranking=ranking))
    assert messages[0]["text"] == kb.phrases["out_of_scope"]
    meta = turn_meta(messages)
    assert meta["unanswered"] == "out_of_scope" and meta["ranking"] == ["bisysslor", "hot"]
    assert [b["payload"] for b in messages[0]["buttons"]] == [f"/{t}" for t in kb.phrases["quick_help_topics"]]
    assert meta["nlu"]["intent"] == "out_of_scope"
