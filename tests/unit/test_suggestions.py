"""Never a dead end (knowledge/suggestions.py): rank fusion and when a question gets buttons."""

from __future__ import annotations

from dataclasses import dataclass, field

from knowledge.suggestions import (
    FALLBACK,
    OUT_OF_SCOPE,
    Help,
    Thresholds,
    alternatives,
    degraded_suggestions,
    doubt_alternatives,
    fuse,
    in_doubt,
    suggestions,
    unanswered_help,
)

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


# --- the decision in one call, as the action server makes it (with a stand-in search) ---------


@dataclass(frozen=True)
class FakeHit:
    topic: str
    score: float


@dataclass
class FakeSearch:
    hits: list[FakeHit]
    scope: float
    asked: list[str] = field(default_factory=list)

    def search(self, query: str, limit: int = 5) -> list[FakeHit]:
        self.asked.append(query)
        return self.hits[:limit]

    def scope_score(self, query: str) -> float:
        return self.scope


GIFTS = FakeSearch([FakeHit("gavor", 3.0), FakeHit("mutor", 1.5)], 4.0)


def test_a_rejection_in_doubt_gets_the_fused_buttons_and_a_sure_one_no_search():
    search = FakeSearch(GIFTS.hits, GIFTS.scope)
    rejected = [(OUT_OF_SCOPE, 0.6), ("mutor", 0.2), ("jav", 0.1)]
    helped = unanswered_help(OUT_OF_SCOPE, rejected, "julklapp från en leverantör", search, TOPICS, SURE)
    assert helped == Help(None, ["mutor", "gavor", "jav"])
    sure = [(OUT_OF_SCOPE, 0.97), ("mutor", 0.01)]
    assert unanswered_help(OUT_OF_SCOPE, sure, "julklapp", search, TOPICS, SURE) is None
    assert search.asked == ["julklapp från en leverantör"]  # the sure rejection searched nothing
    nothing = FakeSearch([FakeHit("gavor", 0.2)], 0.3)
    assert unanswered_help(OUT_OF_SCOPE, rejected, "tåg till Göteborg", nothing, TOPICS, SURE) is None


def test_an_unsure_question_gets_the_fused_answer_or_the_buttons():
    fusing = Thresholds(search_min=1.5, oos_sure=0.85, fused_weight=1.0, fused_lead=0.2)
    unsure = [("mutor", 0.3), ("gavor", 0.28), ("jav", 0.1)]
    assert unanswered_help(FALLBACK, unsure, "julklapp", GIFTS, TOPICS, fusing) == Help("gavor", ["mutor", "jav"])
    never = Thresholds(search_min=1.5, oos_sure=0.85, fused_weight=1.0, fused_lead=9.0)
    helped = unanswered_help(FALLBACK, unsure, "julklapp", GIFTS, TOPICS, never)
    assert helped is not None and helped.topic is None and len(helped.topics) == 3
    # The classifier answered: its answer stands, nothing is searched.
    search = FakeSearch(GIFTS.hits, GIFTS.scope)
    assert unanswered_help("gavor", [("gavor", 0.9)], "julklapp", search, TOPICS, fusing) is None
    assert search.asked == []


def test_doubt_alternatives_search_only_for_an_answer_in_doubt():
    search = FakeSearch([FakeHit("jav", 2.0), FakeHit("mutor", 1.0)], 5.0)
    assert doubt_alternatives("gavor", [("gavor", 0.9), ("mutor", 0.05)], "gåva", search, TOPICS, DOUBTFUL) == []
    assert search.asked == []
    doubtful = [("gavor", 0.5), ("mutor", 0.3)]
    assert doubt_alternatives("gavor", doubtful, "gåva", search, TOPICS, DOUBTFUL) == ["mutor", "jav"]
    assert doubt_alternatives("gavor", doubtful, "", search, TOPICS, DOUBTFUL) == []  # a button: no text
