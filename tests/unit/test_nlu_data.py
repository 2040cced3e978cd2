"""The NLU training data and the held-out sets: enough of each, reachable, and not leaked.

The held-out sets (tests/data/) were written separately from the training data; the
benchmark (make bench-nlu) is only honest while no held-out line is also, or almost, a
training line. When the leakage guard fires, reword the TRAINING line, never the held-out one.
"""

from __future__ import annotations

import re
import unicodedata
from difflib import SequenceMatcher
from pathlib import Path

import pytest

from knowledge.loader import safe_load

ROOT = Path(__file__).resolve().parents[2]
NLU_DIR = ROOT / "nlu_data"
HELDOUT = ROOT / "tests" / "data" / "nlu_heldout.yml"
EMERGENCIES = ROOT / "tests" / "data" / "emergencies_heldout.yml"
RULES = ROOT / "bot" / "rules" / "topics.yml"
DOMAIN_DIR = ROOT / "bot" / "domain"

MIN_TRAINING_PER_TOPIC = 40
MIN_TRAINING_OUT_OF_SCOPE = 150
MIN_HELDOUT_PER_TOPIC = 10
MIN_HELDOUT_OUT_OF_SCOPE = 60
MIN_HELDOUT_EMERGENCIES = 30
# Near-equal: either measure alone is enough (a reordered sentence passes difflib, a
# one-letter edit passes Jaccard).
MAX_CHAR_RATIO = 0.9
MAX_TOKEN_JACCARD = 0.8


def read_examples(path: Path) -> dict[str, list[str]]:
    """Examples per intent from a Rasa YAML NLU file."""
    out: dict[str, list[str]] = {}
    data = safe_load(path.read_text(encoding="utf-8")) or {}
    for block in data.get("nlu") or []:
        if "intent" in block and isinstance(block.get("examples"), str):
            lines = [
                line.strip()[2:].strip() for line in block["examples"].splitlines() if line.strip().startswith("- ")
            ]
            out.setdefault(block["intent"], []).extend(lines)
    return out


def merged(paths) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for path in paths:
        for intent, lines in read_examples(path).items():
            out.setdefault(intent, []).extend(lines)
    return out


def normalise(text: str) -> str:
    """Lower case, no diacritics, no punctuation, single spaces: 'Jäv?!' == 'jav'."""
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(re.findall(r"[a-z0-9]+", text))


def jaccard_near(a: str, b: str) -> bool:
    return _jaccard_near(set(a.split()), set(b.split()))


def _jaccard_near(ta: set, tb: set) -> bool:
    return bool(ta and tb) and len(ta & tb) >= MAX_TOKEN_JACCARD * len(ta | tb)


def near_equal(a: str, b: str) -> bool:
    """Equal or near-equal after normalisation (both arguments already normalised)."""
    return a == b or jaccard_near(a, b) or SequenceMatcher(None, a, b, autojunk=False).ratio() >= MAX_CHAR_RATIO


def leaks(tests: list[str], train: list[str]) -> list[tuple[str, str]]:
    """(held-out, training) pairs that are near-equal; the same rule as near_equal, made fast.

    difflib's ratio is 2·matches/(len a + len b) and matches <= the shorter length, so pairs
    whose lengths differ too much are skipped before any matching; the matcher keeps the
    training line indexed (set_seq2) while the held-out lines run past it.
    """
    found = []
    norm_tests = [(t, normalise(t)) for t in tests]
    norm_tests = [(t, a, set(a.split())) for t, a in norm_tests]
    for original in train:
        b = normalise(original)
        tb = set(b.split())
        matcher = SequenceMatcher(None, autojunk=False)
        matcher.set_seq2(b)
        for test, a, ta in norm_tests:
            if a == b or _jaccard_near(ta, tb):
                found.append((test, original))
                continue
            if 2 * min(len(a), len(b)) < MAX_CHAR_RATIO * (len(a) + len(b)):
                continue
            matcher.set_seq1(a)
            if matcher.quick_ratio() >= MAX_CHAR_RATIO and matcher.ratio() >= MAX_CHAR_RATIO:
                found.append((test, original))
    return found


@pytest.fixture(scope="module")
def topic_ids(kb) -> list[str]:
    return list(kb.topics)


@pytest.fixture(scope="module")
def training() -> dict[str, list[str]]:
    # Every file, nlu_data/reviewed.yml included: the questions assigned on /statistik/granska
    # are one file with a block per intent (not one file per intent: the page appends to one
    # file that the editorial team can read and commit as a whole), and the leakage guard
    # below applies to them like to any other training line.
    return merged(sorted(NLU_DIR.glob("*.yml")))


def test_reviewed_questions_have_known_intents(topic_ids):
    """reviewed.yml (written by the review page) may only name a topic or out_of_scope."""
    reviewed = NLU_DIR / "reviewed.yml"
    intents = set(read_examples(reviewed)) if reviewed.exists() else set()
    assert not intents - set(topic_ids) - {"out_of_scope"}, sorted(intents - set(topic_ids))


@pytest.fixture(scope="module")
def heldout() -> dict[str, list[str]]:
    return read_examples(HELDOUT)


def test_every_topic_has_enough_training_examples(topic_ids, training):
    counts = {topic: len(set(training.get(topic, []))) for topic in topic_ids}
    too_few = {topic: n for topic, n in counts.items() if n < MIN_TRAINING_PER_TOPIC}
    assert not too_few, f"topics with fewer than {MIN_TRAINING_PER_TOPIC} distinct training examples: {too_few}"


def test_out_of_scope_has_enough_training_examples(training):
    assert len(set(training.get("out_of_scope", []))) >= MIN_TRAINING_OUT_OF_SCOPE


def test_heldout_set_covers_every_topic(topic_ids, heldout):
    counts = {topic: len(set(heldout.get(topic, []))) for topic in topic_ids}
    too_few = {topic: n for topic, n in counts.items() if n < MIN_HELDOUT_PER_TOPIC}
    assert not too_few, f"topics with fewer than {MIN_HELDOUT_PER_TOPIC} held-out questions: {too_few}"
    assert len(set(heldout.get("out_of_scope", []))) >= MIN_HELDOUT_OUT_OF_SCOPE
    unknown = set(heldout) - set(topic_ids) - {"out_of_scope"}
    assert not unknown, f"held-out intents that are neither a topic nor out_of_scope: {unknown}"


def test_heldout_emergencies_are_enough():
    emergencies = read_examples(EMERGENCIES)
    assert set(emergencies) == {"akut_fara"}
    assert len(set(emergencies["akut_fara"])) >= MIN_HELDOUT_EMERGENCIES


@pytest.mark.slow
def test_no_heldout_line_is_equal_or_near_equal_to_a_training_line(training, heldout):
    train = sorted({line for lines in training.values() for line in lines})
    tests = [line for lines in heldout.values() for line in lines]
    tests += [line for lines in read_examples(EMERGENCIES).values() for line in lines]
    found = [f"{test!r} ~ training {original!r}" for test, original in leaks(tests, train)]
    assert not found, "held-out lines that (almost) repeat training lines; reword the TRAINING line:\n" + "\n".join(
        found
    )


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("Får jag ta emot en gåva?", "far jag ta emot en gava", True),  # diacritics, punctuation
        ("han har en kniv i handen", "han har en kniv i handen!!", True),  # equal after normalising
        ("jag blev hotad av en klient igår", "jag blev hotad av en klient i går", True),  # one space
        ("vad gäller för jäv i kommunen", "vad gäller för jäv i kommunen nu", True),  # one word added
        ("Får jag ta emot en gåva?", "Hur anmäler jag jäv?", False),
        ("julklapp leverantör", "julklapp från brukare", False),
    ],
)
def test_the_leakage_guard_itself(a, b, expected):
    assert near_equal(normalise(a), normalise(b)) is expected
    assert bool(leaks([a], [b])) is expected  # the fast path decides the same


def test_every_topic_is_reachable_in_the_chat(topic_ids):
    rules = safe_load(RULES.read_text(encoding="utf-8"))["rules"]
    ruled = {step["intent"] for rule in rules for step in rule.get("steps", []) if "intent" in step}
    domain_intents = set()
    for path in sorted(DOMAIN_DIR.glob("*.yml")):
        for intent in (safe_load(path.read_text(encoding="utf-8")) or {}).get("intents") or []:
            domain_intents.add(intent if isinstance(intent, str) else next(iter(intent)))
    assert not set(topic_ids) - ruled, f"topics without a rule in {RULES.name}: {sorted(set(topic_ids) - ruled)}"
    assert not set(topic_ids) - domain_intents, (
        f"topics without an intent in bot/domain: {sorted(set(topic_ids) - domain_intents)}"
    )
