"""Never a dead end: what a question gets when the classifier does not answer it.

One pure decision, shared by the action server (actions/fallback.py, actions/topics.py), the
gateway (answers without the engine) and `make bench-nlu`, so that the benchmark measures
exactly what people get:
- the classifier answered a topic with a clear lead over the next intent: that answer stands,
  nothing to add; with a narrow lead (`doubt_margin`) the answer stands and carries "Menade du
  …?" buttons with the fused ranking's next topics beside it;
- the classifier is unsure (nlu_fallback): the three best topics of the classifier's ranking
  fused with the knowledge search's, as buttons;
- the classifier rejected the question (out_of_scope): the same buttons when the knowledge
  search sees something in scope, and "utanför det jag kan hjälpa med" only when it does not.

The rankings are fused by reciprocal-rank fusion (Cormack et al. 2009): it needs no
calibration between an SVM's confidences and BM25 scores, only the order of each.
Pure Python (the engine's and the app's environments both import it).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

SUGGESTIONS = 3
# "Menade du …?" beside an answer in doubt: two more topics, so the answer and its buttons
# together are three, like the buttons of an unsure answer.
ALTERNATIVES = 2
# RRF's constant: 60 in the paper. With 33 topics a smaller k lets the first places of each
# ranking count more; bench/nlu.py prints both and docs/nlu-benchmark.md records the choice.
RRF_K = 60
OUT_OF_SCOPE = "out_of_scope"
FALLBACK = "nlu_fallback"
# How many of the knowledge search's hits the fusion reads: two screens of buttons.
SEARCH_HITS = 2 * SUGGESTIONS


def fuse(rankings: Iterable[Sequence[str]], k: int = RRF_K, limit: int | None = None) -> list[str]:
    """Reciprocal-rank fusion: score(t) = Σ 1 / (k + rank of t in each ranking), best first.

    Ties keep the order of first appearance (the first ranking wins), so fusing one ranking
    returns it unchanged."""
    scores: dict[str, float] = {}
    for ranking in rankings:
        seen: set[str] = set()
        for rank, item in enumerate(ranking, start=1):
            if item in seen:
                continue
            seen.add(item)
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    order = sorted(scores, key=lambda item: -scores[item])  # sorted() is stable
    return order[:limit] if limit is not None else order


@dataclass(frozen=True)
class Thresholds:
    """When a rejected question still gets buttons. Chosen by `python -m bench.nlu --cv 5` on
    the training data (search index without the fold's examples), never on a held-out set."""

    # The knowledge search "sees something in scope": the best article's raw BM25 score over
    # lemmas (knowledge/search.py, KnowledgeSearch.scope_score) reaches this.
    # The classifier is sure a question is out of scope: its out_of_scope confidence reaches
    # `oos_sure`, and the search is not asked (everyday questions share words with our articles).
    # The fourth round's CV had its lowest cost at 2.0 / 0.95 (2.64 against 2.83 here), but a
    # raw lemma score of 2 misses compounds that only the search words hold: "Vad gör man när
    # en hotsituation uppstår i jobbet?" scores 1.39 and would be a dead end again
    # (tests/e2e/test_suggestions.py). So 1.0 / 0.80 stay (docs/nlu-benchmark.md).
    search_min: float = 1.0
    oos_sure: float = 0.8
    # An answered topic whose confidence leads the next intent's by less than this carries
    # "Menade du …?" buttons (FallbackClassifier already turns a lead below its
    # ambiguity_threshold, 0.05, into an unsure answer). 0 never adds them. 0.5: the lowest CV
    # cost with at most 10 % of in-scope answers given buttons (9.8 %; docs/nlu-benchmark.md).
    doubt_margin: float = 0.5
    # The fused answer (fused_answer): an unsure question is answered with the best topic of
    # the classifier's confidences plus `fused_weight` × the search's normalised scores when
    # that topic leads the next by at least `fused_lead` (above 1 + fused_weight: never).
    # 1.0 / 0.2: the lowest CV cost of the grid (15.39 against 16.11 without it, per 100
    # questions; docs/nlu-benchmark.md, fourth round).
    fused_weight: float = 1.0
    fused_lead: float = 0.2
    # Also answer a rejected question this way when the classifier is not sure of its
    # rejection (below oos_sure) and the search sees the field. Off: it cost more in CV (15.52
    # against 15.39 at the same weight and lead).
    fused_rejected: bool = False


THRESHOLDS = Thresholds()


def search_in_scope(search_score: float, thresholds: Thresholds = THRESHOLDS) -> bool:
    return search_score >= thresholds.search_min


def rejection_in_doubt(classifier_ranking: Sequence[tuple[str, float]], thresholds: Thresholds = THRESHOLDS) -> bool:
    """The classifier rejected the question (out_of_scope) but is not sure of it."""
    oos_confidence = next((c for name, c in classifier_ranking if name == OUT_OF_SCOPE), 1.0)
    return oos_confidence < thresholds.oos_sure


def fused(
    classifier_ranking: Sequence[tuple[str, float]],
    search_ranking: Sequence[str],
    search_score: float,
    topics: Collection[str],
    thresholds: Thresholds = THRESHOLDS,
    k: int = RRF_K,
) -> list[str]:
    """The topics of the classifier's ranking fused with the knowledge search's, best first.

    One ranking for both the buttons of an unanswered question and "Menade du …?" beside an
    answer in doubt, so the two never disagree on the order. The search counts only when it
    sees something in scope: below that its order is noise."""
    ranked = [name for name, _ in classifier_ranking if name in topics]
    found = [t for t in search_ranking if t in topics] if search_in_scope(search_score, thresholds) else []
    return fuse([ranked, found], k=k)


def suggestions(
    intent: str | None,
    classifier_ranking: Sequence[tuple[str, float]],
    search_ranking: Sequence[str],
    search_score: float,
    topics: Collection[str],
    thresholds: Thresholds = THRESHOLDS,
    count: int = SUGGESTIONS,
    k: int = RRF_K,
) -> list[str]:
    """The topics to offer as buttons for a question the classifier did not answer.

    `intent`: the classifier's final intent (after FallbackClassifier); `classifier_ranking`:
    (intent, confidence) best first; `search_ranking`: the knowledge search's topics, best
    first, and `search_score` its scope score.
    Returns [] when the classifier answered (a topic or another intent: nothing to add) or
    when it rejected the question and either is sure of that or the search sees nothing in
    scope: then, and only then, the answer is "utanför det jag kan hjälpa med"."""
    if intent not in (FALLBACK, OUT_OF_SCOPE):
        return []
    in_scope = search_in_scope(search_score, thresholds)
    if intent == OUT_OF_SCOPE and not (in_scope and rejection_in_doubt(classifier_ranking, thresholds)):
        return []
    return fused(classifier_ranking, search_ranking, search_score, topics, thresholds, k)[:count]


def degraded_suggestions(
    search_ranking: Sequence[str],
    search_score: float,
    topics: Collection[str],
    thresholds: Thresholds = THRESHOLDS,
    count: int = SUGGESTIONS,
) -> list[str]:
    """Without the engine there is no classifier: the search's best topics when it sees
    something in scope, else [] (the quick-help menu)."""
    if not search_in_scope(search_score, thresholds):
        return []
    return [t for t in search_ranking if t in topics][:count]


def in_doubt(
    answered: str, classifier_ranking: Sequence[tuple[str, float]], thresholds: Thresholds = THRESHOLDS
) -> bool:
    """The classifier answered `answered` but its lead over the next intent is narrow."""
    if not classifier_ranking or classifier_ranking[0][0] != answered:
        return False
    second = classifier_ranking[1][1] if len(classifier_ranking) > 1 else 0.0
    return classifier_ranking[0][1] - second < thresholds.doubt_margin


def alternatives(
    answered: str,
    classifier_ranking: Sequence[tuple[str, float]],
    search_ranking: Sequence[str],
    search_score: float,
    topics: Collection[str],
    thresholds: Thresholds = THRESHOLDS,
    count: int = ALTERNATIVES,
    k: int = RRF_K,
) -> list[str]:
    """ "Menade du …?" beside the answer to topic `answered`: the next topics of the fused
    ranking, or [] when the classifier's lead is clear (a confident answer stays clean for a
    stressed reader) or `answered` is not a topic."""
    if answered not in topics or not in_doubt(answered, classifier_ranking, thresholds):
        return []
    others = fused(classifier_ranking, search_ranking, search_score, topics, thresholds, k)
    return [t for t in others if t != answered][:count]


def fused_scores(
    classifier_ranking: Sequence[tuple[str, float]],
    search_hits: Sequence[tuple[str, float]],
    topics: Collection[str],
    weight: float,
) -> list[tuple[str, float]]:
    """Topics by the classifier's confidence + `weight` × the search's score divided by its best
    one, best first. A weighted sum, not RRF: here the size of each lead matters, not only the
    order (an SVM sure of one topic should outweigh the search's third place)."""
    confidence = {name: c for name, c in classifier_ranking if name in topics}
    found = [(t, s) for t, s in search_hits if t in topics]
    best = max((s for _, s in found), default=0.0)
    searched = {t: s / best for t, s in found} if best > 0 else {}
    scores = {t: confidence.get(t, 0.0) + weight * searched.get(t, 0.0) for t in [*confidence, *searched]}
    return sorted(scores.items(), key=lambda item: -item[1])  # stable: the classifier's order on ties


def fused_answer(
    intent: str | None,
    classifier_ranking: Sequence[tuple[str, float]],
    search_hits: Sequence[tuple[str, float]],
    search_score: float,
    topics: Collection[str],
    thresholds: Thresholds = THRESHOLDS,
) -> list[str]:
    """When the classifier is unsure (nlu_fallback) but the classifier and the search together
    clearly prefer one topic: [that topic, then the next topics of the fused ranking] – the
    answer and its "Menade du …?" buttons; else [] (the buttons of suggestions() as before).
    Never for a question the classifier answered, nor when the search sees nothing in scope;
    for a rejected one only with `fused_rejected` and a rejection the classifier is not sure of."""
    if not search_in_scope(search_score, thresholds):
        return []
    if intent == OUT_OF_SCOPE:
        if not (thresholds.fused_rejected and rejection_in_doubt(classifier_ranking, thresholds)):
            return []
    elif intent != FALLBACK:
        return []
    fused = fused_scores(classifier_ranking, search_hits, topics, thresholds.fused_weight)
    if not fused:
        return []
    lead = fused[0][1] - (fused[1][1] if len(fused) > 1 else 0.0)
    if lead < thresholds.fused_lead:
        return []
    return [t for t, _ in fused[: 1 + ALTERNATIVES]]


# --- the decision with the knowledge search, in one call ----------------------------------------


class Hit(Protocol):
    @property
    def topic(self) -> str: ...
    @property
    def score(self) -> float: ...


class Search(Protocol):
    """What the decision needs of knowledge/search.py's KnowledgeSearch (typed here, so that
    this module stays free of bm25s and numpy)."""

    def search(self, query: str, limit: int = ...) -> Sequence[Hit]: ...
    def scope_score(self, query: str) -> float: ...


@dataclass(frozen=True)
class Help:
    """What an unsure or rejected question gets instead of the classifier's answer: `topic`'s
    article with `topics` as "Menade du …?" beside it (the fused answer), or, when `topic` is
    None, `topics` as buttons."""

    topic: str | None
    topics: list[str]


def unanswered_help(
    intent: str | None,
    classifier_ranking: Sequence[tuple[str, float]],
    text: str,
    search: Search,
    topics: Collection[str],
    thresholds: Thresholds | None = None,
) -> Help | None:
    """For a question the classifier was unsure of or rejected: the fused answer when the
    fused ranking clearly prefers one topic, else the buttons; None when the classifier's own
    answer stands (it answered, or the question is out of scope). One search for both."""
    thresholds = thresholds or THRESHOLDS
    if intent not in (FALLBACK, OUT_OF_SCOPE):
        return None
    if intent == OUT_OF_SCOPE and not rejection_in_doubt(classifier_ranking, thresholds):
        return None  # a sure rejection gets neither answer nor buttons: no search needed
    hits = [(h.topic, h.score) for h in search.search(text, SEARCH_HITS)]
    score = search.scope_score(text)
    answered = fused_answer(intent, classifier_ranking, hits, score, topics, thresholds)
    if answered:
        return Help(answered[0], answered[1:])
    buttons = suggestions(intent, classifier_ranking, [t for t, _ in hits], score, topics, thresholds)
    return Help(None, buttons) if buttons else None


def doubt_alternatives(
    answered: str,
    classifier_ranking: Sequence[tuple[str, float]],
    text: str,
    search: Search,
    topics: Collection[str],
    thresholds: Thresholds | None = None,
) -> list[str]:
    """ "Menade du …?" topics beside the answer to `answered` when the classifier's lead was
    narrow, else []. The search runs only for an answer in doubt (about one in ten)."""
    thresholds = thresholds or THRESHOLDS
    if not text or not in_doubt(answered, classifier_ranking, thresholds):
        return []
    found = [h.topic for h in search.search(text, SEARCH_HITS)]
    return alternatives(answered, classifier_ranking, found, search.scope_score(text), topics, thresholds)
