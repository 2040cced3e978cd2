"""make bench-nlu: our NLU pipeline against two baselines on the held-out set, in one run.

Trains, each into its own temporary directory (never models/):
  (a) our pipeline, bot/config.yml, as the full model `make model` builds (NLU + rules);
  (b) Rasa's default configuration (bench/configs/rasa_default.yml: the pipeline `rasa init`
      falls back to, language sv), NLU only: its policies do not change what is understood;
  (c) a retrieval baseline: BM25 over the knowledge-base articles and the training examples,
      each document labelled with its topic or intent; a label's score is its best document's.
Then every system answers tests/data/nlu_heldout.yml and tests/data/emergencies_heldout.yml
and the metrics below are printed as Markdown tables (docs/nlu-benchmark.md keeps a copy).

`--cv` instead runs a stratified k-fold cross-validation of bot/config.yml on the TRAINING
data and prints how the fallback thresholds would behave: that is where the thresholds are
tuned, never on the held-out set.

Run in the engine environment from the repository root: .venv-engine/bin/python -m bench.nlu
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import logging
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
OUR_CONFIG = Path("bot/config.yml")
DEFAULT_CONFIG = Path("bench/configs/rasa_default.yml")
NLU_DIR = Path("nlu_data")
RULES_DIR = Path("bot/rules")
DOMAIN_DIR = Path("bot/domain")
TOPICS_FILE = Path("knowledge/topics.yml")
ARTICLES_DIR = Path("knowledge/articles")
HELDOUT = Path("tests/data/nlu_heldout.yml")
REAL_HELDOUT = Path("tests/data/nlu_real_heldout.yml")  # real questions, split by website
EMERGENCIES = Path("tests/data/emergencies_heldout.yml")

OUT_OF_SCOPE = "out_of_scope"
FALLBACK = "nlu_fallback"
EMERGENCY = "akut_fara"
OTHER = "other"  # any intent that is neither a topic nor out_of_scope (chitchat, roles …)
SUGGESTIONS = 3  # actions/fallback.py offers this many topics as buttons
CONFUSED_PAIRS = 12
UNSURE_COST = 0.5  # an "unsure" answer (three buttons) costs half a wrong article …
MAX_UNSURE = 10.0  # … but an assistant that asks back more often than 1 in 10 is tiresome
# "Menade du …?" buttons beside a right answer cost a quarter of a wrong answer left without a
# right button: they are clutter for a stressed reader, but one glance, not a wrong article.
DOUBT_COST = 0.25
MAX_DOUBT = 10.0  # … and at most 1 in 10 answers carries them, so a confident answer stays clean
SEED = 42

DEFINITIONS = f"""\
Definitions (in scope = a held-out question whose gold intent is one of the topic ids;
ranking = the classifier's intents by confidence with {FALLBACK} removed; final = the intent
whose answer the person gets, after FallbackClassifier; when our EmergencyOverride fires the
112 line comes first and the answer is still the classifier's topic (actions/topics.py), or
{EMERGENCY} when the classifier had no topic):
- top-1: in-scope questions whose ranking starts with the gold topic. Strict: out_of_scope or
  another intent (chitchat …) first counts as wrong, whatever the final answer.
- top-3: in-scope questions with the gold topic among the first three of the ranking.
- macro-F1: unweighted mean F1 over the topics and out_of_scope, each item labelled by the
  first of its ranking (any other intent counts as a wrong prediction, not as a class).
- answered: final = gold topic (the article comes straight away).
- unsure: final = {FALLBACK}; the person gets the three likeliest topics as buttons.
  "gold in buttons" = the gold topic is one of those {SUGGESTIONS} buttons.
- wrong: final = another topic or another intent (a wrong article: the costly error).
- rejected: in-scope questions whose final = out_of_scope ("I cannot help with that").
- out-of-scope recall: out-of-scope questions whose final = out_of_scope;
  out-of-scope precision: of all held-out items with final = out_of_scope, the share that is
  out of scope.
- never a dead end (knowledge/suggestions.py, with the gateway's knowledge search): an unsure or
  rejected question gets the classifier's ranking fused with the search's (RRF) as {SUGGESTIONS}
  buttons; a rejected one only when the classifier is not sure and the search sees the field.
  An answered topic whose confidence leads the next intent's by less than doubt_margin carries
  "Menade du …?" buttons with the fused ranking's next {SUGGESTIONS - 1} topics ("answered in
  doubt"; never beside the 112 answer).
  "right topic in the answer or the buttons": final = a right topic, or a right topic among
  those buttons; "rejected without buttons": final = out_of_scope and no buttons (the "utanför"
  answer); "out-of-scope recall, never a dead end": out-of-scope questions that still get
  the "utanför" answer. Fused top-1/top-3: the fused ranking for every in-scope question.
  On the real set a question may name several acceptable topics: any of them is right.
- emergency recall: items of {EMERGENCIES} whose answer starts with the 112 line
  (the intent is {EMERGENCY}, from the classifier or EmergencyOverride). "classifier only" =
  what our pipeline would answer without EmergencyOverride (ranking starts with {EMERGENCY}
  and FallbackClassifier did not fire).
- training time: wall time of the training command (process start included); BM25: building
  the index. Model size: the .tar.gz (BM25: the saved index).
"""


# --- data ---------------------------------------------------------------------------------

_ENTITY = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")


def pct(n: int, d: int) -> float:
    return 100.0 * n / d


def read_examples(paths: Iterable[Path]) -> list[tuple[str, str]]:
    """(text, intent) pairs from Rasa YAML NLU files; entity markup is reduced to its text."""
    pairs = []
    for path in paths:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for block in data.get("nlu") or []:
            if "intent" not in block or not isinstance(block.get("examples"), str):
                continue
            for line in block["examples"].splitlines():
                line = line.strip()
                if line.startswith("- "):
                    pairs.append((_ENTITY.sub(r"\1", line[2:].strip()), block["intent"]))
    return pairs


def read_heldout(path: Path) -> list[tuple[str, list[str]]]:
    """(text, acceptable intents, the block's intent first) from a held-out file: the team's
    format ("- example" lines, one intent) or the real set's (a list of {text, metadata:
    {url, topics}}, where topics names every acceptable topic)."""
    items = []
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    for block in data.get("nlu") or []:
        intent = block.get("intent")
        examples = block.get("examples")
        if not intent:
            continue
        if isinstance(examples, str):
            items += [(text, [intent]) for text, _ in read_examples_text(examples, intent)]
            continue
        for example in examples or []:
            topics = (example.get("metadata") or {}).get("topics") or []
            items.append((_ENTITY.sub(r"\1", example["text"]), [intent, *[t for t in topics if t != intent]]))
    return items


def read_examples_text(examples: str, intent: str) -> list[tuple[str, str]]:
    return [
        (_ENTITY.sub(r"\1", line.strip()[2:].strip()), intent)
        for line in examples.splitlines()
        if line.strip().startswith("- ")
    ]


def training_examples() -> list[tuple[str, str]]:
    return read_examples(sorted(NLU_DIR.glob("*.yml")))


def topic_ids() -> list[str]:
    data = yaml.safe_load(TOPICS_FILE.read_text(encoding="utf-8"))
    return [item["id"] for section in data.values() if isinstance(section, list) for item in section]


def label_of(intent: str, topics: set[str]) -> str:
    return intent if intent in topics or intent in (OUT_OF_SCOPE, FALLBACK) else OTHER


# --- systems --------------------------------------------------------------------------------


@dataclass
class Prediction:
    final: str  # whose answer the person gets: a topic, out_of_scope, nlu_fallback …
    ranking: list[str]  # the classifier's intents, best first, without nlu_fallback
    fallback_fired: bool = False
    emergency: bool = False  # the answer starts with the 112 line
    confidences: list[tuple[str, float]] | None = None  # the ranking with confidences (classifiers)
    alternatives: list[str] | None = None  # a fused answer's "Menade du …?" topics


@dataclass
class Trained:
    name: str
    seconds: float
    size_bytes: int
    predict: Callable[[Sequence[str]], list[Prediction]]
    # What the gateway adds, when this column's differs from the run's (other thresholds).
    never_dead_end: NeverDeadEnd | None = None


def _engine_env() -> dict[str, str]:
    # No training cache: every run trains from scratch, so training times are real, and the
    # shared .rasa/cache of the other developers is left alone.
    return {
        **os.environ,
        "RASA_TELEMETRY_ENABLED": "false",
        "RASA_MAX_CACHE_SIZE": "0",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "PYTHONWARNINGS": "ignore",
    }


def rasa_train(config: Path, out: Path, full: bool) -> tuple[float, Path]:
    if full:
        cmd = [
            sys.executable,
            "-m",
            "rasa",
            "train",
            "--config",
            str(config),
            "--domain",
            str(DOMAIN_DIR),
            "--data",
            str(NLU_DIR),
            str(RULES_DIR),
        ]
    else:
        cmd = [sys.executable, "-m", "rasa", "train", "nlu", "--config", str(config), "--nlu", str(NLU_DIR)]
    cmd += ["--out", str(out), "--fixed-model-name", "bench"]
    log = out / "train.log"
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    with log.open("w") as fh:
        result = subprocess.run(cmd, stdout=fh, stderr=subprocess.STDOUT, env=_engine_env())
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"training with {config} failed:\n{log.read_text()[-3000:]}")
    return seconds, out / "bench.tar.gz"


def quiet_rasa() -> None:
    """Rasa logs every parsed message at debug level; the benchmark prints its own numbers."""
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    configure_logging_and_warnings(logging.WARNING)
    configure_structlog(logging.WARNING)


def rasa_predictor(model: Path) -> Callable[[Sequence[str]], list[Prediction]]:
    from rasa.core.agent import Agent

    quiet_rasa()
    agent = Agent.load(str(model))

    def predict(texts: Sequence[str]) -> list[Prediction]:
        async def parse_all():
            return [await agent.parse_message(text) for text in texts]

        topics = set(topic_ids())
        return [from_parse(parsed, topics) for parsed in asyncio.run(parse_all())]

    return predict


def from_parse(parsed: dict, topics: set[str]) -> Prediction:
    raw = [r["name"] for r in parsed.get("intent_ranking") or []]
    intent = (parsed.get("intent") or {}).get("name") or FALLBACK
    # EmergencyOverride: the 112 line comes first, then the answer to the classifier's topic
    # (actions/topics.py), or the akut_fara article when the classifier had no topic.
    original = (parsed.get("emergency") or {}).get("original_intent")
    final = original if intent == EMERGENCY and original in topics else intent
    confidences = [
        (r["name"], float(r["confidence"])) for r in parsed.get("intent_ranking") or [] if r["name"] != FALLBACK
    ]
    return Prediction(
        final=final,
        ranking=[name for name, _ in confidences],
        fallback_fired=bool(raw) and raw[0] == FALLBACK,
        emergency=intent == EMERGENCY,
        confidences=confidences,
    )


def train_rasa(name: str, config: Path, tmp: Path, full: bool) -> Trained:
    print(f"… training {name} ({config}{', full model' if full else ', NLU only'})", flush=True)
    seconds, model = rasa_train(config, tmp, full)
    return Trained(name, seconds, model.stat().st_size, rasa_predictor(model))


# BM25 tokens: words without stop words, Snowball-stemmed, then å/ä/ö folded so that text
# typed without diacritics meets the articles.
_WORD = re.compile(r"[0-9a-zåäöéü]+")


class Bm25Baseline:
    def __init__(self, documents: list[tuple[str, str]]) -> None:
        import bm25s
        import Stemmer
        from bm25s.stopwords import STOPWORDS_SWEDISH

        self._stem = Stemmer.Stemmer("swedish").stemWord
        self._stop = frozenset(STOPWORDS_SWEDISH)
        self.labels = sorted({label for _, label in documents})
        index_of = {label: i for i, label in enumerate(self.labels)}
        self._doc_label = [index_of[label] for _, label in documents]
        self.index = bm25s.BM25()
        self.index.index([self.tokens(text) for text, _ in documents], show_progress=False)

    def tokens(self, text: str) -> list[str]:
        out = []
        for word in _WORD.findall(text.lower()):
            if word in self._stop:
                continue
            stem = unicodedata.normalize("NFKD", self._stem(word).translate(str.maketrans("åäö", "aao")))
            out.append("".join(c for c in stem if not unicodedata.combining(c)))
        return out

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        import numpy as np

        predictions = []
        for text in texts:
            known = [t for t in self.tokens(text) if t in self.index.vocab_dict]
            if not known:  # nothing in common with the field at all
                predictions.append(Prediction(OUT_OF_SCOPE, [OUT_OF_SCOPE]))
                continue
            scores = np.asarray(self.index.get_scores(known), dtype=float)
            best = np.full(len(self.labels), -1.0)
            np.maximum.at(best, self._doc_label, scores)
            order = [self.labels[i] for i in np.argsort(-best, kind="stable")]
            predictions.append(Prediction(order[0], order, emergency=order[0] == EMERGENCY))
        return predictions


def article_documents() -> list[tuple[str, str]]:
    docs = []
    for path in sorted(ARTICLES_DIR.glob("*.md")):
        text = path.read_text(encoding="utf-8")
        body = text.split("---", 2)[-1] if text.startswith("---") else text
        title = re.search(r"^title:\s*(.+)$", text, re.M)
        docs.append(((title.group(1) + " " if title else "") + body, path.stem))
    return docs


def train_bm25(tmp: Path, examples: list[tuple[str, str]]) -> Trained:
    print("… indexing BM25 (articles + training examples)", flush=True)
    start = time.perf_counter()
    baseline = Bm25Baseline(article_documents() + examples)
    seconds = time.perf_counter() - start
    baseline.index.save(str(tmp / "bm25"))
    (tmp / "bm25" / "labels.yml").write_text(yaml.safe_dump(baseline.labels), encoding="utf-8")
    size = sum(p.stat().st_size for p in (tmp / "bm25").rglob("*") if p.is_file())
    return Trained("BM25 baseline", seconds, size, baseline.predict)


# --- metrics --------------------------------------------------------------------------------


@dataclass
class Report:
    name: str
    numbers: dict[str, float]
    per_topic_f1: dict[str, float]
    confused: list[tuple[tuple[str, str], int]]
    seconds: float
    size_bytes: int


def f1_scores(gold: list[str], predicted: list[str], classes: list[str]) -> dict[str, float]:
    scores = {}
    for cls in classes:
        tp = sum(g == cls and p == cls for g, p in zip(gold, predicted, strict=False))
        fp = sum(g != cls and p == cls for g, p in zip(gold, predicted, strict=False))
        fn = sum(g == cls and p != cls for g, p in zip(gold, predicted, strict=False))
        scores[cls] = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    return scores


class NeverDeadEnd:
    """What the action server adds to an unsure or rejected answer (knowledge/suggestions.py),
    with the same knowledge search (knowledge/search.py): the very code people meet."""

    def __init__(self, thresholds=None) -> None:
        from knowledge import suggestions
        from knowledge.loader import load
        from knowledge.search import KnowledgeSearch

        self.suggestions = suggestions
        self.thresholds = thresholds or suggestions.THRESHOLDS
        self.kb = load()
        self.search = KnowledgeSearch.build(self.kb)
        self.topics = set(self.kb.topics)

    def with_thresholds(self, thresholds) -> NeverDeadEnd:
        """The same knowledge base and search index, other thresholds."""
        other = copy.copy(self)
        other.thresholds = thresholds
        return other

    def search_ranking(self, text: str) -> tuple[list[str], float]:
        return [h.topic for h in self.search.search(text, 2 * SUGGESTIONS)], self.search.scope_score(text)

    def with_fused_answer(self, text: str, p: Prediction) -> Prediction:
        """What the action server answers with the fused answer (actions/fallback.py, through
        knowledge/suggestions.py's unanswered_help): an unsure question answered with the fused
        ranking's best topic, its next ones as "Menade du …?" buttons."""
        if p.emergency:
            return p
        helped = self.suggestions.unanswered_help(
            p.final, p.confidences or [], text, self.search, self.topics, self.thresholds
        )
        if helped is None or helped.topic is None:
            return p
        ranking = [helped.topic, *[t for t in p.ranking if t != helped.topic]]
        return Prediction(helped.topic, ranking, p.fallback_fired, p.emergency, p.confidences, helped.topics)

    def offered(self, text: str, p: Prediction) -> list[str]:
        """The buttons the person gets: for an unsure or rejected question, or beside an
        answer in doubt ("Menade du …?"; never beside the 112 answer, as in actions/topics.py)."""
        if p.alternatives is not None:
            return p.alternatives
        if p.final in self.topics:
            if p.emergency:
                return []
            return self.suggestions.doubt_alternatives(
                p.final, p.confidences or [], text, self.search, self.topics, self.thresholds
            )
        ranking, score = self.search_ranking(text)
        return self.suggestions.suggestions(p.final, p.confidences or [], ranking, score, self.topics, self.thresholds)

    def fused(self, text: str, p: Prediction) -> list[str]:
        ranking, _ = self.search_ranking(text)
        return self.suggestions.fuse([[t for t in p.ranking if t in self.topics], ranking])


def evaluate(
    trained: Trained,
    heldout: list[tuple[str, list[str]]],
    emergencies: list[str],
    topics: list[str],
    never_dead_end: NeverDeadEnd | None = None,
) -> Report:
    """`heldout`: (text, acceptable intents with the primary one first). A question is in scope
    when its primary intent is a topic; any acceptable topic counts as right."""
    topic_set = set(topics)
    texts = [text for text, _ in heldout]
    predictions = trained.predict(texts)
    gold = [golds[0] for _, golds in heldout]
    in_scope = [
        (set(golds), p, text) for (text, golds), p in zip(heldout, predictions, strict=False) if golds[0] in topic_set
    ]
    oos = [(g, p, text) for (text, _), g, p in zip(heldout, gold, predictions, strict=False) if g == OUT_OF_SCOPE]
    n_in = len(in_scope)

    def share(count: int, total: int) -> float:
        return 100.0 * count / total if total else 0.0

    finals = [label_of(p.final, topic_set) for p in predictions]
    # The first of the ranking; counted right for F1 when it is any acceptable topic.
    top1 = []
    for (_, golds), p in zip(heldout, predictions, strict=False):
        first = label_of(p.ranking[0], topic_set) if p.ranking else OTHER
        top1.append(golds[0] if first in golds else first)
    unsure = [(g, p) for g, p, _ in in_scope if p.final == FALLBACK]
    rejected_all = sum(f == OUT_OF_SCOPE for f in finals)
    oos_hits = sum(p.final == OUT_OF_SCOPE for _, p, _ in oos)
    emergency_predictions = trained.predict(emergencies)
    f1 = f1_scores(gold, top1, topics + [OUT_OF_SCOPE])
    numbers = {
        "top1": share(sum(bool(p.ranking[:1]) and p.ranking[0] in g for g, p, _ in in_scope), n_in),
        "top3": share(sum(bool(g & set(p.ranking[:3])) for g, p, _ in in_scope), n_in),
        "macro_f1": 100.0 * sum(f1.values()) / len(f1),
        "answered": share(sum(p.final in g for g, p, _ in in_scope), n_in),
        "unsure": share(len(unsure), n_in),
        "unsure_hit": share(
            sum(bool(g & set([t for t in p.ranking if t in topic_set][:SUGGESTIONS])) for g, p in unsure), len(unsure)
        ),
        "wrong": share(sum(p.final not in g | {FALLBACK, OUT_OF_SCOPE} for g, p, _ in in_scope), n_in),
        "rejected": share(sum(p.final == OUT_OF_SCOPE for _, p, _ in in_scope), n_in),
        "oos_recall": share(oos_hits, len(oos)),
        "oos_precision": share(oos_hits, rejected_all),
        "oos_unsure": share(sum(p.final == FALLBACK for _, p, _ in oos), len(oos)),
        "emergency": share(sum(p.emergency for p in emergency_predictions), len(emergencies)),
        "emergency_classifier": share(
            sum(not p.fallback_fired and p.ranking[:1] == [EMERGENCY] for p in emergency_predictions), len(emergencies)
        ),
        "n_in": n_in,
        "n_oos": len(oos),
        "n_emergency": len(emergencies),
    }
    if never_dead_end is not None and all(p.confidences is not None for p in predictions):
        offered = {text: never_dead_end.offered(text, p) for _, p, text in in_scope + oos}
        fused = {text: never_dead_end.fused(text, p) for _, p, text in in_scope}
        numbers.update(
            {
                "right_any": share(sum(p.final in g or bool(g & set(offered[t])) for g, p, t in in_scope), n_in),
                "dead_end": share(sum(p.final == OUT_OF_SCOPE and not offered[t] for _, p, t in in_scope), n_in),
                "rescued": share(
                    sum(p.final == OUT_OF_SCOPE and bool(g & set(offered[t])) for g, p, t in in_scope), n_in
                ),
                "doubt": share(sum(p.final in topic_set and bool(offered[t]) for _, p, t in in_scope), n_in),
                "doubt_rescued": share(
                    sum(
                        p.final in topic_set and p.final not in g and bool(g & set(offered[t])) for g, p, t in in_scope
                    ),
                    n_in,
                ),
                "oos_recall_ned": share(sum(p.final == OUT_OF_SCOPE and not offered[t] for _, p, t in oos), len(oos)),
                "fused_answered": share(sum(p.alternatives is not None for _, p, _ in in_scope), n_in),
                "fused_answered_right": share(
                    sum(p.alternatives is not None and p.final in g for g, p, _ in in_scope),
                    sum(p.alternatives is not None for _, p, _ in in_scope),
                ),
                "fused_top1": share(sum(fused[t][:1] != [] and fused[t][0] in g for g, _, t in in_scope), n_in),
                "fused_top3": share(sum(bool(g & set(fused[t][:3])) for g, _, t in in_scope), n_in),
            }
        )
    confused = Counter((g, t) for g, t in zip(gold, top1, strict=False) if g != t).most_common(CONFUSED_PAIRS)
    return Report(
        trained.name,
        numbers,
        {t: 100.0 * f1[t] for t in topics + [OUT_OF_SCOPE]},
        confused,
        trained.seconds,
        trained.size_bytes,
    )


ROWS = [
    ("top1", "top-1 accuracy (in scope)"),
    ("top3", "top-3 accuracy (in scope)"),
    ("macro_f1", "macro-F1 (topics + out_of_scope, top-1)"),
    ("answered", "in scope: answered with the gold topic"),
    ("unsure", "in scope: unsure → 3 buttons"),
    ("unsure_hit", "  of those: gold topic among the buttons"),
    ("wrong", "in scope: wrong topic or other intent"),
    ("rejected", "in scope: rejected as out_of_scope"),
    ("oos_precision", "out-of-scope precision"),
    ("oos_recall", "out-of-scope recall"),
    ("oos_unsure", "out of scope answered 'unsure'"),
    ("right_any", "in scope: a right topic in the answer or the buttons (never a dead end)"),
    ("dead_end", "in scope: rejected without buttons (never a dead end)"),
    ("rescued", "  rejected by the classifier, a right topic among the search's buttons"),
    ("doubt", "in scope: answered in doubt, 'Menade du …?' buttons beside the answer"),
    ("doubt_rescued", "  a wrong answer, a right topic among its 'Menade du' buttons"),
    ("fused_answered", "in scope: unsure, answered by the fused ranking instead"),
    ("fused_answered_right", "  of those: a right topic"),
    ("oos_recall_ned", "out-of-scope recall, never a dead end (no buttons)"),
    ("fused_top1", "fused top-1 (classifier + knowledge search, RRF)"),
    ("fused_top3", "fused top-3"),
    ("emergency", "emergency recall (final)"),
    ("emergency_classifier", "emergency recall (classifier only)"),
]


def print_reports(reports: list[Report], topics: list[str], title: str, per_topic: bool = True) -> None:
    n = reports[0].numbers
    print(f"\n### {title}\n")
    print(
        f"Held-out: {n['n_in']:.0f} in-scope questions ({len(topics)} topics), {n['n_oos']:.0f} out of scope, "
        f"{n['n_emergency']:.0f} emergencies.\n"
    )
    print("| metric | " + " | ".join(r.name for r in reports) + " |")
    print("|---|" + "---:|" * len(reports))
    for key, title in ROWS:
        print(
            f"| {title} | " + " | ".join(f"{r.numbers[key]:.1f} %" if key in r.numbers else "–" for r in reports) + " |"
        )
    print("| training time | " + " | ".join(f"{r.seconds:.1f} s" for r in reports) + " |")
    print("| model size | " + " | ".join(f"{r.size_bytes / 1e6:.2f} MB" for r in reports) + " |")

    if not per_topic:
        return
    print("\nPer-topic F1 (top-1, %):\n")
    print("| topic | " + " | ".join(r.name for r in reports) + " |")
    print("|---|" + "---:|" * len(reports))
    for topic in topics + [OUT_OF_SCOPE]:
        print(f"| {topic} | " + " | ".join(f"{r.per_topic_f1[topic]:.0f}" for r in reports) + " |")

    for r in reports:
        print(f"\nMost confused (gold → top-1), {r.name}: " + ", ".join(f"{g} → {p} ×{c}" for (g, p), c in r.confused))


# Morphology and spelling options (bot/components/morphology.py), each our pipeline with the
# component between the tokenizer and the featurizers; the lookup lemmatizer alone is "ours".
MORPHOLOGY = {
    "hs-lemmas": ("ours + Hunspell lemmas", {"lemmas": True, "compounds": False, "spelling": "none"}),
    "hs-compounds": (
        "ours + Hunspell lemmas + compound parts",
        {"lemmas": True, "compounds": True, "spelling": "none"},
    ),
    "hs-diacritics": (
        "ours + Hunspell lemmas + compounds + å/ä/ö restored",
        {"lemmas": True, "compounds": True, "spelling": "diacritics"},
    ),
    "hs-suggest": (
        "ours + Hunspell lemmas + compounds + Hunspell's spelling suggestion",
        {"lemmas": True, "compounds": True, "spelling": "suggest"},
    ),
}
SYSTEMS = ["ours", *MORPHOLOGY, "default", "bm25"]
MORPHOLOGY_COMPONENT = "bot.components.morphology.SwedishMorphology"


def morphology_config(options: dict, path: Path) -> Path:
    """bot/config.yml with SwedishMorphology (these options) right after the tokenizer (or, when
    the pipeline already has it, with its options replaced)."""
    config = yaml.safe_load(OUR_CONFIG.read_text(encoding="utf-8"))
    pipeline = [c for c in config["pipeline"] if c["name"] != MORPHOLOGY_COMPONENT]
    at = next(i for i, c in enumerate(pipeline) if c["name"].endswith("Tokenizer")) + 1
    pipeline.insert(at, {"name": MORPHOLOGY_COMPONENT, **options})
    config["pipeline"] = pipeline
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def reduced_epochs_config(epochs: int, path: Path) -> Path:
    """Rasa's default config with fewer training epochs for DIET and ResponseSelector: the full
    100 epochs take over an hour on 2 cores, so a run with a deadline states what it used."""
    config = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    for component in config["pipeline"]:
        if "epochs" in component:
            component["epochs"] = epochs
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def pretrained_default(model: Path, epochs: int | None) -> Trained:
    """Rasa's default config trained beforehand (`--train-default-only`), because its DIET
    training takes longer than the rest of the run: evaluated here on the same held-out sets.
    Its training time is the one recorded next to the model by that run."""
    seconds_file = model.parent / "train_seconds.txt"
    seconds = float(seconds_file.read_text()) if seconds_file.exists() else float("nan")
    name = f"Rasa default ({epochs} epochs, trained beforehand)" if epochs else "Rasa default (trained beforehand)"
    print(f"… loading {name} from {model}", flush=True)
    return Trained(name, seconds, model.stat().st_size, rasa_predictor(model))


def train_default_only(out: Path, epochs: int | None) -> int:
    """Train Rasa's default config (optionally with fewer epochs) into `out`, for a later
    `--default-model out/bench.tar.gz`; records the training time next to it."""
    config = DEFAULT_CONFIG
    if epochs:
        config = reduced_epochs_config(epochs, out / "config.yml")
    seconds, model = rasa_train(config, out, full=False)
    (out / "train_seconds.txt").write_text(f"{seconds:.1f}\n")
    print(f"trained {model} in {seconds:.1f} s")
    return 0


def with_fused_answer(ours: Trained, never_dead_end: NeverDeadEnd) -> Trained:
    """The same trained model, answered as the gateway answers with the fused answer: the
    numbers of this column are what the chat API's `topic` says."""

    def predict(texts: Sequence[str]) -> list[Prediction]:
        return [never_dead_end.with_fused_answer(t, p) for t, p in zip(texts, ours.predict(texts), strict=True)]

    t = never_dead_end.thresholds
    name = f"our pipeline + fused answer (weight {t.fused_weight}, lead {t.fused_lead})"
    return Trained(name, ours.seconds, ours.size_bytes, predict)


def thresholds_label(t) -> str:
    return f"search_min {t.search_min}, oos_sure {t.oos_sure}, doubt_margin {t.doubt_margin}, no fused answer"


def benchmark(
    systems: list[str],
    default_epochs: int | None = None,
    default_model: Path | None = None,
    thresholds_before: tuple[float, float, float] | None = None,
) -> int:
    started = time.perf_counter()
    topics = topic_ids()
    heldouts = [("The team's held-out set (tests/data/nlu_heldout.yml)", read_heldout(HELDOUT), True)]
    if REAL_HELDOUT.exists():
        heldouts.insert(
            0,
            (
                "Real questions, held out by website (tests/data/nlu_real_heldout.yml)",
                read_heldout(REAL_HELDOUT),
                False,
            ),
        )
    emergencies = [text for text, _ in read_examples([EMERGENCIES])]
    examples = training_examples()
    never_dead_end = NeverDeadEnd()
    if thresholds_before is not None:
        search_min, oos_sure, doubt_margin = thresholds_before
        thresholds_before = never_dead_end.suggestions.Thresholds(
            search_min=search_min, oos_sure=oos_sure, doubt_margin=doubt_margin, fused_lead=9.0
        )
    tmp = Path(tempfile.mkdtemp(prefix="lotsen-bench-nlu-"))
    try:
        trained = []
        for system in systems:
            if system == "ours":
                ours = train_rasa("our pipeline", OUR_CONFIG, tmp / "ours", full=True)
                if never_dead_end.thresholds.fused_lead <= 1.0 + never_dead_end.thresholds.fused_weight:
                    # The same model without the fused answer first: what it adds is the difference.
                    unfused = never_dead_end.with_thresholds(replace(never_dead_end.thresholds, fused_lead=9.0))
                    trained.append(replace(ours, name="our pipeline, no fused answer", never_dead_end=unfused))
                    trained.append(with_fused_answer(ours, never_dead_end))
                else:
                    trained.append(ours)
                if thresholds_before is not None:
                    before = never_dead_end.with_thresholds(thresholds_before)
                    name = f"our pipeline at {thresholds_label(thresholds_before)}"
                    trained.append(replace(ours, name=name, never_dead_end=before))
            elif system in MORPHOLOGY:
                name, options = MORPHOLOGY[system]
                config = morphology_config(options, tmp / system / "config.yml")
                trained.append(train_rasa(name, config, tmp / system, full=False))
            elif system == "default" and default_model is not None:
                trained.append(pretrained_default(default_model, default_epochs))
            elif system == "default":
                config, name = DEFAULT_CONFIG, "Rasa default"
                if default_epochs:
                    config = reduced_epochs_config(default_epochs, tmp / "default" / "config.yml")
                    name = f"Rasa default ({default_epochs} epochs)"
                trained.append(train_rasa(name, config, tmp / "default", full=False))
            elif system == "bm25":
                trained.append(train_bm25(tmp, examples))
        results = []
        for title, heldout, per_topic in heldouts:
            reports = []
            for system in trained:
                print(f"… evaluating {system.name} on {title}", flush=True)
                reports.append(evaluate(system, heldout, emergencies, topics, system.never_dead_end or never_dead_end))
            results.append((title, reports, per_topic))
        print()
        print(DEFINITIONS)
        print(
            f"Never a dead end: {never_dead_end.thresholds} (knowledge/suggestions.py); RRF k = "
            f"{never_dead_end.suggestions.RRF_K}."
        )
        for title, reports, per_topic in results:
            print_reports(reports, topics, title, per_topic)
        print(f"\nWhole run: {time.perf_counter() - started:.0f} s")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


# --- cross-validation of the thresholds on the TRAINING data ---------------------------------


def stratified_folds(examples: list[tuple[str, str]], k: int) -> list[list[tuple[str, str]]]:
    by_intent: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for pair in examples:
        by_intent[pair[1]].append(pair)
    folds: list[list[tuple[str, str]]] = [[] for _ in range(k)]
    rng = random.Random(SEED)
    offset = 0
    for intent in sorted(by_intent):
        items = by_intent[intent][:]
        rng.shuffle(items)
        for i, pair in enumerate(items):
            folds[(i + offset) % k].append(pair)
        offset += len(items)
    return folds


def write_nlu(pairs: list[tuple[str, str]], path: Path) -> None:
    by_intent: dict[str, list[str]] = defaultdict(list)
    for text, intent in pairs:
        by_intent[intent].append(text)
    blocks = [{"intent": i, "examples": "".join(f"- {t}\n" for t in texts)} for i, texts in by_intent.items()]
    path.write_text(
        yaml.safe_dump({"version": "3.1", "nlu": blocks}, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )


def fallback_decision(ranking: list[tuple[str, float]], threshold: float, ambiguity: float) -> str:
    """What FallbackClassifier would make of a raw ranking (same rule as Rasa's)."""
    (top, confidence), second = ranking[0], ranking[1][1] if len(ranking) > 1 else 0.0
    return FALLBACK if confidence < threshold or confidence - second < ambiguity else top


def json_load(path: Path) -> dict:
    import json

    return json.loads(path.read_text(encoding="utf-8"))


def json_dump(data: dict, path: Path) -> None:
    import json

    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def cv_folds(config: Path, k: int, never_dead_end: NeverDeadEnd) -> tuple[list, list, list, list]:
    """Train on k−1 folds, parse the k-th: per training example (gold intent, the classifier's
    ranking), (the search's topics, its scope score), the search's hits with scores and the
    text (so that a search variant can be scored later from the cache)."""
    from rasa.core.agent import Agent
    from rasa.model_training import train_nlu

    examples = training_examples()
    folds = stratified_folds(examples, k)
    tmp = Path(tempfile.mkdtemp(prefix="lotsen-cv-"))
    results: list[tuple[str, list[tuple[str, float]]]] = []
    searched: list[tuple[list[str], float]] = []  # the knowledge search's ranking and scope score
    hits: list[list[tuple[str, float]]] = []
    texts: list[str] = []
    try:
        for i, test in enumerate(folds):
            train = [pair for j, fold in enumerate(folds) if j != i for pair in fold]
            write_nlu(train, tmp / "train.yml")
            start = time.perf_counter()
            model = train_nlu(str(config), str(tmp / "train.yml"), str(tmp / f"fold{i}"), fixed_model_name="cv")
            seconds = time.perf_counter() - start
            agent = Agent.load(model)

            async def parse_all(agent=agent, test=test):  # this fold's, bound now
                return [await agent.parse_message(text) for text, _ in test]

            # The gateway's search as people meet it: the articles and their search words
            # (issue 19); it holds no training questions, so none of this fold's test ones.
            search = never_dead_end.search
            for (text, intent), parsed in zip(test, asyncio.run(parse_all()), strict=False):
                ranking = [(r["name"], r["confidence"]) for r in parsed["intent_ranking"] if r["name"] != FALLBACK]
                results.append((intent, ranking))
                found = search.search(text, 2 * SUGGESTIONS)
                searched.append(([h.topic for h in found], search.scope_score(text)))
                hits.append([(h.topic, h.score) for h in found])
                texts.append(text)
            print(
                f"fold {i + 1}/{k}: {len(train)} training, {len(test)} test examples, trained in {seconds:.1f} s",
                flush=True,
            )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return results, searched, hits, texts


def cross_validate(config: Path, k: int, cache: Path | None = None) -> int:
    """`cache`: a JSON file of the folds' rankings and searches; read instead of training when
    it exists, else written, so that a grid added later costs seconds, not five trainings."""
    quiet_rasa()
    topics = set(topic_ids())
    never_dead_end = NeverDeadEnd()
    if cache is not None and cache.exists():
        saved = json_load(cache)
        results = [(g, [(n, c) for n, c in r]) for g, r in saved["results"]]
        searched = [(found, score) for found, score in saved["searched"]]
        hits = [[(t, s) for t, s in h] for h in saved["hits"]]
        texts = saved.get("texts") or []
        print(f"… {len(results)} CV results read from {cache} (delete it to train the folds again)")
    else:
        results, searched, hits, texts = cv_folds(config, k, never_dead_end)
        if cache is not None:
            json_dump({"results": results, "searched": searched, "hits": hits, "texts": texts}, cache)

    in_scope = [(g, r) for g, r in results if g in topics]
    oos = [(g, r) for g, r in results if g == OUT_OF_SCOPE]
    top1 = 100.0 * sum(r[0][0] == g for g, r in in_scope) / len(in_scope)
    top3 = 100.0 * sum(g in [n for n, _ in r[:3]] for g, r in in_scope) / len(in_scope)
    print(
        f"\n{k}-fold CV on the training data ({len(in_scope)} in scope, {len(oos)} out of scope): "
        f"top-1 {top1:.1f} %, top-3 {top3:.1f} %\n"
    )
    print(
        f"Cost = (wrong answers + rejected in-scope questions + out-of-scope questions answered with a "
        f"topic + {UNSURE_COST} × unsure answers) per 100 questions: a wrong article is the costly error, "
        f"an 'unsure' costs one click on a button.\n"
    )
    print("| threshold | ambiguity | answered | unsure | wrong | rejected | oos recall | oos unsure | cost |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    best = None
    for threshold in (0.0, 0.1, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6):
        for ambiguity in (0.0, 0.02, 0.05, 0.1):
            finals = [(g, fallback_decision(r, threshold, ambiguity)) for g, r in in_scope]
            oos_finals = [fallback_decision(r, threshold, ambiguity) for _, r in oos]
            wrong = sum(f not in (g, FALLBACK, OUT_OF_SCOPE) for g, f in finals)
            rejected = sum(f == OUT_OF_SCOPE for _, f in finals)
            unsure = sum(f == FALLBACK for _, f in finals) + sum(f == FALLBACK for f in oos_finals)
            oos_answered = sum(f not in (OUT_OF_SCOPE, FALLBACK) for f in oos_finals)
            cost = 100.0 * (wrong + rejected + oos_answered + UNSURE_COST * unsure) / (len(finals) + len(oos_finals))
            print(
                f"| {threshold:.2f} | {ambiguity:.2f} | {pct(sum(f == g for g, f in finals), len(finals)):.1f} | "
                f"{pct(sum(f == FALLBACK for _, f in finals), len(finals)):.1f} | {pct(wrong, len(finals)):.1f} | "
                f"{pct(rejected, len(finals)):.1f} | "
                f"{pct(sum(f == OUT_OF_SCOPE for f in oos_finals), len(oos_finals)):.1f} | "
                f"{pct(sum(f == FALLBACK for f in oos_finals), len(oos_finals)):.1f} | {cost:.1f} |"
            )
            if pct(sum(f == FALLBACK for _, f in finals), len(finals)) <= MAX_UNSURE and (
                best is None or cost < best[0]
            ):
                best = (cost, threshold, ambiguity)
    print(
        f"\nLowest cost with at most {MAX_UNSURE:.0f} % of in-scope questions unsure: {best[0]:.1f} at "
        f"threshold {best[1]:.2f}, ambiguity_threshold {best[2]:.2f}"
    )
    never_dead_end_grid(results, searched, topics, never_dead_end)
    doubt_grid(results, searched, topics, never_dead_end)
    fused_answer_grid(results, searched, hits, topics, never_dead_end)
    if texts:
        compound_split_grids(results, searched, hits, texts, topics, never_dead_end)
    return 0


def compound_split_grids(results, searched, hits, texts, topics, never_dead_end: NeverDeadEnd) -> None:
    """The same grids with the scope score splitting compounds the index does not know
    (knowledge/search.py, split_compounds): only the scope score changes, the rankings not."""
    split = copy.copy(never_dead_end.search)
    split.split_compounds = not never_dead_end.search.split_compounds
    rescored = [(found, split.scope_score(text)) for (found, _), text in zip(searched, texts, strict=True)]
    changed = sum(a[1] != b[1] for a, b in zip(searched, rescored, strict=True))
    print(
        f"\n### The scope score with split_compounds={split.split_compounds} "
        f"({changed} of {len(texts)} questions score differently)"
    )
    never_dead_end_grid(results, rescored, topics, never_dead_end)
    fused_answer_grid(results, rescored, hits, topics, never_dead_end)


def never_dead_end_grid(results, searched, topics: set[str], never_dead_end: NeverDeadEnd) -> None:
    """When does a question the classifier rejects still get buttons? The thresholds of
    knowledge/suggestions.py on the same folds, at the configured fallback thresholds."""
    config = yaml.safe_load(OUR_CONFIG.read_text(encoding="utf-8"))
    fallback = next(c for c in config["pipeline"] if c["name"] == "FallbackClassifier")
    Thresholds = never_dead_end.suggestions.Thresholds
    rows = []
    for search_min in (0.5, 1.0, 1.5, 2.0, 2.5, 3.0):
        for oos_sure in (0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 1.01):
            thresholds = Thresholds(search_min=search_min, oos_sure=oos_sure)
            dead = rescued = n_in = oos_kept = n_oos = 0
            for (gold, ranking), (found, score) in zip(results, searched, strict=False):
                final = fallback_decision(ranking, fallback["threshold"], fallback["ambiguity_threshold"])
                offered = never_dead_end.suggestions.suggestions(final, ranking, found, score, topics, thresholds)
                if gold in topics:
                    n_in += 1
                    dead += final == OUT_OF_SCOPE and not offered
                    rescued += final == OUT_OF_SCOPE and gold in offered
                elif gold == OUT_OF_SCOPE:
                    n_oos += 1
                    oos_kept += final == OUT_OF_SCOPE and not offered
            # A dead end for an in-scope question costs 1, three needless buttons for an
            # out-of-scope question UNSURE_COST (a click), per 100 questions.
            cost = 100.0 * (dead + UNSURE_COST * (n_oos - oos_kept)) / (n_in + n_oos)
            rows.append(
                (cost, search_min, oos_sure, 100.0 * dead / n_in, 100.0 * rescued / n_in, 100.0 * oos_kept / n_oos)
            )
    print("\nNever a dead end on the same folds (the gateway's search: articles and their search words):\n")
    print(
        "| search_min | oos_sure | in scope rejected without buttons | rejected, right topic among buttons "
        "| out-of-scope recall | cost |"
    )
    print("|---:|---:|---:|---:|---:|---:|")
    for cost, search_min, oos_sure, dead, rescued, kept in rows:
        print(f"| {search_min:.1f} | {oos_sure:.2f} | {dead:.1f} % | {rescued:.1f} % | {kept:.1f} % | {cost:.2f} |")
    best = min(rows)
    print(f"\nLowest cost: {best[0]:.2f} at search_min {best[1]:.1f}, oos_sure {best[2]:.2f}")


# --- the knowledge search alone (issue 19): no training, a few seconds -----------------------

SEARCH_SYSTEMS = {
    "search-nlu": "search: articles + NLU training questions (before issue 19)",
    "search-kb": "search: articles + search words (knowledge base)",
}
KEYWORD_WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)


def search_benchmark(names: list[str]) -> int:
    """Top-1/top-3 of the gateway's knowledge search (knowledge/search.py) on the in-scope held-out
    questions: its extra text from the engine's training questions, as the gateway had it until
    issue 19, against the articles' search words from the knowledge loader. Any acceptable topic
    of a real question counts as right. Then how the search-word index's weight was chosen: on
    the training questions (the search words' own source), never on a held-out set."""
    from knowledge.loader import load
    from knowledge.search import KnowledgeSearch, load_lemmas

    kb, lemmas = load(), load_lemmas()
    by_intent: dict[str, list[str]] = defaultdict(list)
    for text, intent in training_examples():
        by_intent[intent].append(text)
    builders = {
        "search-nlu": lambda: KnowledgeSearch(kb, lemmas, by_intent, keyword_weight=0.0),
        "search-kb": lambda: KnowledgeSearch(kb, lemmas),
    }
    searches = {}
    for name in names:
        start = time.perf_counter()
        searches[name] = builders[name]()
        print(f"… {SEARCH_SYSTEMS[name]}: index built in {time.perf_counter() - start:.2f} s", flush=True)

    def top(search, items: list[tuple[str, list[str]]]) -> tuple[float, float]:
        rankings = [[h.topic for h in search.search(text, 3)] for text, _ in items]
        top1 = sum(bool(r) and r[0] in golds for r, (_, golds) in zip(rankings, items, strict=True))
        top3 = sum(any(t in golds for t in r) for r, (_, golds) in zip(rankings, items, strict=True))
        return pct(top1, len(items)), pct(top3, len(items))

    sets = [("team held-out", HELDOUT)] + ([("real held-out", REAL_HELDOUT)] if REAL_HELDOUT.exists() else [])
    print("\n| in-scope questions | n | " + " | ".join(f"{SEARCH_SYSTEMS[n]} top-1 / top-3" for n in names) + " |")
    print("|---|---:|" + "---:|" * len(names))
    for title, path in sets:
        items = [(text, golds) for text, golds in read_heldout(path) if golds[0] in kb.topics]
        cells = [top(searches[n], items) for n in names]
        print(f"| {title} | {len(items)} | " + " | ".join(f"{a:.1f} % / {b:.1f} %" for a, b in cells) + " |")
    from knowledge.suggestions import THRESHOLDS

    print(
        f"\nThe search sees the field (scope score >= search_min {THRESHOLDS.search_min}, knowledge/suggestions.py), "
        "in-scope / out-of-scope held-out questions:\n"
    )
    print("| held-out set | " + " | ".join(SEARCH_SYSTEMS[n] for n in names) + " |")
    print("|---|" + "---:|" * len(names))
    for title, path in sets:
        heldout = read_heldout(path)
        inside = [text for text, golds in heldout if golds[0] in kb.topics]
        outside = [text for text, golds in heldout if golds[0] == OUT_OF_SCOPE]

        def seen(search, texts: list[str]) -> float:
            return pct(sum(search.scope_score(t) >= THRESHOLDS.search_min for t in texts), len(texts) or 1)

        cells = [f"{seen(searches[n], inside):.1f} % / {seen(searches[n], outside):.1f} %" for n in names]
        print(f"| {title} ({len(inside)} / {len(outside)}) | " + " | ".join(cells) + " |")
    if "search-kb" in names:
        training = [(text, [intent]) for text, intent in training_examples() if intent in kb.topics]
        print(
            f"\nsearch-kb on the {len(training)} training questions of the topics, by the search-word index's weight:\n"
        )
        print("| weight | top-1 | top-3 |\n|---:|---:|---:|")
        for weight in KEYWORD_WEIGHTS:
            top1, top3 = top(KnowledgeSearch(kb, lemmas, keyword_weight=weight), training)
            print(f"| {weight:.2f} | {top1:.1f} % | {top3:.1f} % |")
    return 0


def doubt_grid(results, searched, topics: set[str], never_dead_end: NeverDeadEnd) -> None:
    """When does an answer carry "Menade du …?" buttons? knowledge/suggestions.py's
    doubt_margin on the same folds, at the configured fallback thresholds."""
    config = yaml.safe_load(OUR_CONFIG.read_text(encoding="utf-8"))
    fallback = next(c for c in config["pipeline"] if c["name"] == "FallbackClassifier")
    base = never_dead_end.suggestions.THRESHOLDS
    Thresholds = never_dead_end.suggestions.Thresholds
    rows = []
    for margin in (0.0, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.8):
        thresholds = Thresholds(search_min=base.search_min, oos_sure=base.oos_sure, doubt_margin=margin)
        n_in = right_any = with_buttons = right_cluttered = wrong_alone = 0
        for (gold, ranking), (found, score) in zip(results, searched, strict=True):
            if gold not in topics:
                continue
            n_in += 1
            final = fallback_decision(ranking, fallback["threshold"], fallback["ambiguity_threshold"])
            if final in topics:
                offered = never_dead_end.suggestions.alternatives(final, ranking, found, score, topics, thresholds)
                with_buttons += bool(offered)
                right_cluttered += final == gold and bool(offered)
                wrong_alone += final != gold and gold not in offered
            else:
                offered = never_dead_end.suggestions.suggestions(final, ranking, found, score, topics, thresholds)
            right_any += final == gold or gold in offered
        cost = 100.0 * (wrong_alone + DOUBT_COST * right_cluttered) / n_in
        rows.append((cost, margin, pct(right_any, n_in), pct(with_buttons, n_in), pct(wrong_alone, n_in)))
    print("\n'Menade du …?' beside an answer in doubt, on the same folds (in-scope questions):\n")
    print(
        "| doubt_margin | right topic in the answer or the buttons | answers with buttons | wrong, no right button | cost |"
    )
    print("|---:|---:|---:|---:|---:|")
    for cost, margin, right_any, with_buttons, wrong_alone in rows:
        print(f"| {margin:.2f} | {right_any:.1f} % | {with_buttons:.1f} % | {wrong_alone:.1f} % | {cost:.2f} |")
    best = min(row for row in rows if row[3] <= MAX_DOUBT)
    print(
        f"\nCost = wrong answers without a right button + {DOUBT_COST} × right answers with buttons, per 100. "
        f"Lowest with at most {MAX_DOUBT:.0f} % of in-scope questions given buttons beside the answer: "
        f"{best[0]:.2f} at doubt_margin {best[1]:.2f}"
    )


FUSED_WEIGHTS = (0.0, 0.25, 0.5, 1.0, 2.0)
FUSED_LEADS = (0.0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5)


def fused_answer_grid(results, searched, hits, topics: set[str], never_dead_end: NeverDeadEnd) -> None:
    """When may an unsure (or rejected) question be answered by the fused ranking
    (knowledge/suggestions.py, fused_answer)? Its weight and lead on the same folds, at the
    configured fallback thresholds and the never-a-dead-end thresholds of suggestions.py."""
    config = yaml.safe_load(OUR_CONFIG.read_text(encoding="utf-8"))
    fallback = next(c for c in config["pipeline"] if c["name"] == "FallbackClassifier")
    base = never_dead_end.suggestions.THRESHOLDS
    sug = never_dead_end.suggestions
    variants = [(None, None, False)] + [
        (w, lead, rejected) for rejected in (False, True) for w in FUSED_WEIGHTS for lead in FUSED_LEADS
    ]
    rows = []
    for weight, lead, rejected in variants:
        thresholds = sug.Thresholds(
            search_min=base.search_min,
            oos_sure=base.oos_sure,
            doubt_margin=base.doubt_margin,
            fused_weight=weight or 0.0,
            fused_lead=9.0 if lead is None else lead,
            fused_rejected=rejected,
        )
        n_in = n_oos = right = right_any = wrong = buttons = dead = fused_n = oos_answered = oos_buttons = 0
        for (gold, ranking), (found, score), found_hits in zip(results, searched, hits, strict=True):
            if gold not in topics and gold != OUT_OF_SCOPE:
                continue
            final = fallback_decision(ranking, fallback["threshold"], fallback["ambiguity_threshold"])
            fused = sug.fused_answer(final, ranking, found_hits, score, topics, thresholds)
            if fused:
                final, offered = fused[0], fused[1:]
                fused_n += gold in topics
            elif final in topics:
                offered = sug.alternatives(final, ranking, found, score, topics, thresholds)
            else:
                offered = sug.suggestions(final, ranking, found, score, topics, thresholds)
            if gold in topics:
                n_in += 1
                right += final == gold
                right_any += final == gold or gold in offered
                answered = final not in (FALLBACK, OUT_OF_SCOPE)
                wrong += answered and final != gold
                buttons += not answered and bool(offered)
                dead += final == OUT_OF_SCOPE and not offered
            else:
                n_oos += 1
                answered = final not in (FALLBACK, OUT_OF_SCOPE)
                oos_answered += answered
                oos_buttons += not answered and bool(offered)
        cost = 100.0 * (wrong + dead + oos_answered + UNSURE_COST * (buttons + oos_buttons)) / (n_in + n_oos)
        rows.append(
            (
                cost,
                weight,
                lead,
                rejected,
                pct(right, n_in),
                pct(right_any, n_in),
                pct(wrong, n_in),
                pct(buttons, n_in),
                pct(fused_n, n_in),
                pct(n_oos - oos_answered - oos_buttons, n_oos),
            )
        )
    print("\nFused answer for an unsure question, on the same folds (knowledge/suggestions.py, fused_answer):\n")
    print(
        "| weight | lead | also rejected | answered right | right topic in the answer or the buttons | wrong answer "
        "| buttons, no answer | answered by the fusion | out-of-scope recall (no buttons) | cost |"
    )
    print("|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    for cost, weight, lead, rejected, r, ra, w, b, f, o in rows:
        label = "– | never | –" if weight is None else f"{weight:.2f} | {lead:.2f} | {'yes' if rejected else 'no'}"
        print(f"| {label} | {r:.1f} % | {ra:.1f} % | {w:.1f} % | {b:.1f} % | {f:.1f} % | {o:.1f} % | {cost:.2f} |")
    best = min(rows, key=lambda row: row[0])
    print(
        f"\nCost = (wrong answers + in-scope dead ends + out-of-scope questions answered with a topic + "
        f"{UNSURE_COST} × questions given buttons without an answer) per 100 questions. Lowest: {best[0]:.2f} at "
        f"weight {best[1]}, lead {best[2]}, also rejected {best[3]}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--systems",
        default=",".join([*SYSTEMS, *SEARCH_SYSTEMS]),
        help=f"comma-separated subset of {','.join([*SYSTEMS, *SEARCH_SYSTEMS])} (default: all; the search-* "
        "ones need no training)",
    )
    parser.add_argument("--cv", type=int, metavar="K", help="instead: K-fold cross-validation on the training data")
    parser.add_argument("--config", type=Path, default=OUR_CONFIG, help="the config to cross-validate")
    parser.add_argument(
        "--thresholds-also",
        metavar="SEARCH_MIN,OOS_SURE,DOUBT_MARGIN",
        help="also evaluate our model with these never-a-dead-end thresholds and no fused answer (a column: an alternative that lost, or the thresholds before)",
    )
    parser.add_argument(
        "--cv-cache",
        type=Path,
        metavar="JSON",
        help="with --cv: read the folds' results from this file when it exists, else write them there",
    )
    parser.add_argument(
        "--default-epochs",
        type=int,
        metavar="N",
        help="train Rasa's default config with N epochs instead of 100 (a reduced run; say so)",
    )
    parser.add_argument(
        "--train-default-only",
        type=Path,
        metavar="DIR",
        help="only train Rasa's default config into DIR (slow; start it early, e.g. with nice)",
    )
    parser.add_argument(
        "--default-model",
        type=Path,
        metavar="TAR_GZ",
        help="evaluate this model of Rasa's default config (from --train-default-only) instead of training it",
    )
    args = parser.parse_args(argv)
    os.chdir(ROOT)  # the configs name build/spacy/sv and the data relative to the repository
    os.environ.update({k: v for k, v in _engine_env().items() if k.startswith(("RASA_", "TF_"))})
    if args.cv:
        return cross_validate(args.config, args.cv, args.cv_cache.resolve() if args.cv_cache else None)
    if args.train_default_only:
        return train_default_only(args.train_default_only.resolve(), args.default_epochs)
    systems = [name for name in SYSTEMS if name in args.systems.split(",")]
    searches = [name for name in SEARCH_SYSTEMS if name in args.systems.split(",")]
    unknown = set(args.systems.split(",")) - set(SYSTEMS) - set(SEARCH_SYSTEMS)
    if unknown:
        parser.error(f"unknown systems: {', '.join(sorted(unknown))}")
    if searches:
        search_benchmark(searches)
    default_model = args.default_model.resolve() if args.default_model else None
    before = tuple(float(x) for x in args.thresholds_also.split(",")) if args.thresholds_also else None
    if before is not None and len(before) != 3:
        parser.error("--thresholds-also takes three numbers: search_min,oos_sure,doubt_margin")
    return benchmark(systems, args.default_epochs, default_model, before) if systems else 0


if __name__ == "__main__":
    raise SystemExit(main())
