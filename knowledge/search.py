"""Search the knowledge base in a way that copes with Swedish inflection, compounds and typos.

Two BM25 indexes (bm25s) over the same articles, scores normalised and added:
- lemmas from spacy-lookups-data's Swedish table, so "hotades", "hotar" and "hot" meet;
- character n-grams (3–5) of diacritic-folded words, so compounds ("knivhotad") share
  "kniv" and typos or missing å/ä/ö ("gava", "javig") still overlap.
The title counts three times: a word in the title says more than one in the body. Each
article's document also holds its search words (`search_words` in the article's front matter,
docs/knowledge-format.md): the words people actually use ("julklapp", "facebook", "repad bil")
that the article's text may not. They come from the knowledge loader, like the rest of the
document, so the search never reads the engine's training files. The title and the search
words are also indexed on their own (lemmas and n-grams again) and added at half weight: a
search word is chosen for its topic, while the same word in a long body says less. Half, not
more, was the best top-1 on the team's training questions (docs/nlu-benchmark.md, Search).

Shared by the gateway (/api/search, /kunskap, answers without the engine) and the action server
(actions/fallback.py: the fused answer, "Menade du …?"), so that both search alike; each
process builds its index once, on first use (KnowledgeSearch.build).
"""

from __future__ import annotations

import functools
import gzip
import importlib.resources
import json
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import bm25s
import numpy as np
from bm25s.stopwords import STOPWORDS_SWEDISH

from knowledge.loader import KnowledgeBase
from knowledge.readability import plain_text

_WORD = re.compile(r"[0-9a-zåäöéü]+")
_FOLD = str.maketrans("åäöéèü", "aaoeeu")
TITLE_WEIGHT = 3
NGRAMS = (3, 4, 5)
KEYWORD_WEIGHT = 0.5
# The scope score may split a compound the index does not know ("hotsituation") into its
# longest known first and last parts ("hot", "situation"), each at least COMPOUND_PART letters.
# Off: measured by `python -m bench.nlu --cv 5` (docs/adr/0008-fused-answer-in-the-engine.md).
SPLIT_COMPOUNDS = False
COMPOUND_PART = 3


@functools.cache  # 660 000 forms: read once per process, on first use
def load_lemmas() -> dict[str, str]:
    path = importlib.resources.files("spacy_lookups_data") / "data" / "sv_lemma_lookup.json.gz"
    return json.loads(gzip.decompress(path.read_bytes()))


def fold(word: str) -> str:
    word = word.translate(_FOLD)
    return unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode()


STOPWORDS = frozenset(STOPWORDS_SWEDISH)
MIN_NGRAM_WORD = 4  # n-grams of short words ("han", "mig") only add noise


def words(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.lower()) if w not in STOPWORDS]


def char_ngrams(tokens: list[str]) -> list[str]:
    grams: list[str] = []
    for token in tokens:
        if len(token) < MIN_NGRAM_WORD:
            continue
        padded = f"#{fold(token)}#"
        for n in NGRAMS:
            grams.extend(padded[i : i + n] for i in range(max(1, len(padded) - n + 1)))
    return grams


def content_key(kb: KnowledgeBase) -> tuple:
    """Everything the index is built from, per article in order: equal keys, equal indexes."""
    return tuple((a.id, a.title, a.summary, a.steps, a.body, a.search_words) for a in kb.articles.values())


MAX_CACHED = 4
_BUILT: dict[tuple, KnowledgeSearch] = {}


@dataclass(frozen=True)
class Hit:
    topic: str
    score: float


class KnowledgeSearch:
    def __init__(
        self,
        kb: KnowledgeBase,
        lemmas: dict[str, str],
        extra: Mapping[str, Sequence[str]] | None = None,
        keyword_weight: float = KEYWORD_WEIGHT,
        split_compounds: bool = SPLIT_COMPOUNDS,
    ) -> None:
        """`extra`: text per topic id that stands in for the articles' search words; the NLU
        benchmark (bench/nlu.py) compares them with the engine's training questions that way."""
        self._lemmas = lemmas
        self.keyword_weight = keyword_weight
        self.split_compounds = split_compounds
        self._ids = list(kb.articles)
        docs, keywords = [], []
        for article in kb.articles.values():
            added = article.search_words if extra is None else extra.get(article.id, ())
            text = " ".join(
                [article.title] * TITLE_WEIGHT + [article.summary, *article.steps, plain_text(article.body), *added]
            )
            docs.append(words(text))
            keywords.append(words(" ".join([article.title, *added])))
        self._lemma_index = self._index([self._lemmatise(d) for d in docs])
        self._char_index = self._index([char_ngrams(d) for d in docs])
        self._keyword_lemmas = self._index([self._lemmatise(d) for d in keywords])
        self._keyword_chars = self._index([char_ngrams(d) for d in keywords])

    @classmethod
    def build(cls, kb: KnowledgeBase) -> KnowledgeSearch:
        """The index for this knowledge base's content, built once per process: every app
        created in one process (the unit tests build dozens) shares it, and an edited article
        is another key. The index is read-only once built, so sharing it is safe."""
        key = content_key(kb)
        search = _BUILT.get(key)
        if search is None:
            if len(_BUILT) >= MAX_CACHED:
                _BUILT.clear()  # a process that keeps editing articles (tests) starts afresh
            search = _BUILT[key] = cls(kb, load_lemmas())
        return search

    @staticmethod
    def _index(corpus: list[list[str]]) -> bm25s.BM25:
        index = bm25s.BM25()
        index.index(corpus, show_progress=False)
        return index

    def _lemmatise(self, tokens: list[str]) -> list[str]:
        return [self._lemmas.get(t, t) for t in tokens]

    @staticmethod
    def _scores(index: bm25s.BM25, tokens: list[str]) -> np.ndarray:
        known = [t for t in tokens if t in index.vocab_dict]
        if not known:
            return np.zeros(index.scores["num_docs"])
        scores = np.asarray(index.get_scores(known), dtype=float)
        top = scores.max()
        return scores / top if top > 0 else scores

    def search(self, query: str, limit: int = 5) -> list[Hit]:
        tokens = words(query)
        if not tokens:
            return []
        lemmas, grams = self._lemmatise(tokens), char_ngrams(tokens)
        total = (
            self._scores(self._lemma_index, lemmas)
            + self._scores(self._char_index, grams)
            + self.keyword_weight
            * (self._scores(self._keyword_lemmas, lemmas) + self._scores(self._keyword_chars, grams))
        )
        order = np.argsort(-total, kind="stable")[:limit]
        return [Hit(self._ids[i], round(float(total[i]), 4)) for i in order if total[i] > 0]

    def scope_score(self, query: str) -> float:
        """How much the question is about our field at all: the best article's raw BM25 score
        over lemmas. search() cannot tell: it normalises each index by its best article, so
        anything sharing one n-gram with an article has a hit. Lemmas, not n-grams: everyday
        questions share n-grams with every article ("anmäl", "kolleg")."""
        vocab = self._lemma_index.vocab_dict
        known = []
        for lemma in self._lemmatise(words(query)):
            if lemma in vocab:
                known.append(lemma)
            elif self.split_compounds:
                known.extend(self._compound_parts(lemma))
        return float(np.max(self._lemma_index.get_scores(known))) if known else 0.0

    def _compound_parts(self, word: str) -> list[str]:
        """The longest known first part and the longest known last part of a word the index
        does not know, as lemmas the index knows ("hotsituationen" → "hot", "situation")."""
        vocab, shortest = self._lemma_index.vocab_dict, COMPOUND_PART
        parts = []
        for end in range(len(word) - shortest, shortest - 1, -1):
            head = self._lemmas.get(word[:end], word[:end])
            if head in vocab:
                parts.append(head)
                break
        for start in range(shortest, len(word) - shortest + 1):
            tail = self._lemmas.get(word[start:], word[start:])
            if tail in vocab:
                parts.append(tail)
                break
        return parts
