"""The fused answer (knowledge/suggestions.py, fused_answer): an unsure question answered by the
classifier's confidences and the knowledge search's scores together. What the action server
makes of it: tests/engine/test_fallback.py; over the real stack: tests/e2e/test_suggestions.py."""

from __future__ import annotations

import pytest

from knowledge.suggestions import FALLBACK, OUT_OF_SCOPE, Thresholds, fused_answer, fused_scores

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
