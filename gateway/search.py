"""Search the knowledge base in a way that copes with Swedish inflection, compounds and typos.

Two BM25 indexes (bm25s) over the same articles, scores normalised and added:
- lemmas from spacy-lookups-data's Swedish table, so "hotades", "hotar" and "hot" meet;
- character n-grams (3–5) of diacritic-folded words, so compounds ("knivhotad") share
  "kniv" and typos or missing å/ä/ö ("gava", "javig") still overlap.
The title counts three times: a word in the title says more than one in the body. Each
article's document also holds the NLU training questions for its topic: they carry the words
people actually use ("julklapp", "facebook", "repad bil") that the articles may not.
"""

from __future__ import annotations

import functools
import gzip
import importlib.resources
import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import bm25s
import numpy as np
from bm25s.stopwords import STOPWORDS_SWEDISH

from knowledge.loader import KnowledgeBase, safe_load
from knowledge.readability import plain_text

_WORD = re.compile(r"[0-9a-zåäöéü]+")
_FOLD = str.maketrans("åäöéèü", "aaoeeu")
TITLE_WEIGHT = 3
NGRAMS = (3, 4, 5)


NLU_DIR = Path(__file__).resolve().parent.parent / "nlu_data"


def load_examples(nlu_dir: Path = NLU_DIR) -> dict[str, list[str]]:
    """Training questions per intent, from Rasa's YAML format ("- example" lines)."""
    out: dict[str, list[str]] = {}
    for path in sorted(nlu_dir.glob("*.yml")):
        data = safe_load(path.read_text(encoding="utf-8")) or {}
        for block in data.get("nlu") or []:
            if "intent" in block and isinstance(block.get("examples"), str):
                lines = [line[2:].strip() for line in block["examples"].splitlines() if line.startswith("- ")]
                out.setdefault(block["intent"], []).extend(lines)
    return out


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


@dataclass(frozen=True)
class Hit:
    topic: str
    score: float


class KnowledgeSearch:
    def __init__(self, kb: KnowledgeBase, lemmas: dict[str, str], examples: dict[str, list[str]]) -> None:
        self._lemmas = lemmas
        self._ids = list(kb.articles)
        docs = []
        for article in kb.articles.values():
            text = " ".join(
                [article.title] * TITLE_WEIGHT
                + [article.summary, *article.steps, plain_text(article.body), *examples.get(article.id, [])]
            )
            docs.append(words(text))
        self._lemma_index = self._index([self._lemmatise(d) for d in docs])
        self._char_index = self._index([char_ngrams(d) for d in docs])

    @classmethod
    def build(cls, kb: KnowledgeBase) -> KnowledgeSearch:
        return cls(kb, load_lemmas(), load_examples())

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
        total = self._scores(self._lemma_index, self._lemmatise(tokens)) + self._scores(
            self._char_index, char_ngrams(tokens)
        )
        order = np.argsort(-total, kind="stable")[:limit]
        return [Hit(self._ids[i], round(float(total[i]), 4)) for i in order if total[i] > 0]

    def scope_score(self, query: str) -> float:
        """How much the question is about our field at all: the best article's raw BM25 score
        over lemmas. search() cannot tell: it normalises each index by its best article, so
        anything sharing one n-gram with an article has a hit. Lemmas, not n-grams: everyday
        questions share n-grams with every article ("anmäl", "kolleg")."""
        known = [t for t in self._lemmatise(words(query)) if t in self._lemma_index.vocab_dict]
        return float(np.max(self._lemma_index.get_scores(known))) if known else 0.0
