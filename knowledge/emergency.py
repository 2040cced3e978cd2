"""Deterministic emergency safety net: does a message possibly describe danger right now?

Independent of any classifier, so a model that misreads a message can never hide a
"Ring 112". A miss is unacceptable, a false alarm only costs one 112 line before the normal
answer, so the rule is plain and never suppresses: a `strong` lexicon entry alone, a
`threat` entry together with an `urgency` entry, or a very short cry ("HJÄLP!!", "larm")
is an emergency.

The words live in emergency_lexicon.yml (data that staff can review), not here. Pure Python
(standard library + PyYAML) because it runs in the engine (3.10) and the gateway (3.11);
token and dictionary lookups keep it far below 1 ms per message. Nothing is read at import
time: load with EmergencyDetector.from_file().
"""

from __future__ import annotations

import re
import unicodedata
from itertools import chain
from pathlib import Path

from knowledge.loader import FileCache, safe_load

DEFAULT_LEXICON = Path(__file__).with_name("emergency_lexicon.yml")
_DETECTORS = FileCache()

# A token pattern is a tuple of alternatives ("han|hon"), each (mode, text) with mode
# "exact", "prefix", "suffix" or "contains".
Pattern = tuple[tuple[str, str], ...]


def _pattern(raw: str, normalise) -> Pattern:
    """'kniv' -> exact, 'hota*' -> prefix, '*kniv*' -> contains, 'han|hon' -> either."""
    alternatives = []
    for alt in raw.split("|"):
        start, end = alt.startswith("*"), alt.endswith("*")
        core = "".join(normalise(alt.strip("*")))  # same folding as the message
        if not core:
            raise ValueError(f"empty lexicon token: {raw!r}")
        mode = "contains" if start and end else "prefix" if end else "suffix" if start else "exact"
        alternatives.append((mode, core))
    return tuple(alternatives)


def _matches(pattern: Pattern, token: str) -> bool:
    for mode, core in pattern:
        if (
            token == core
            if mode == "exact"
            else token.startswith(core)
            if mode == "prefix"
            else token.endswith(core)
            if mode == "suffix"
            else core in token
        ):
            return True
    return False


class _Group:
    """All entries of one lexicon section (strong, threat or urgency), indexed for speed."""

    def __init__(self, section: dict[str, list[str]] | None, normalise) -> None:
        self.exact: dict[str, list[str]] = {}  # single token, whole-word: one dict lookup
        self.prefix: dict[str, list[str]] = {}  # single token, stem: lookup per stem length
        self.others: list[tuple[Pattern, str]] = []  # contains/suffix: few, scanned
        self.phrases: dict[str, list[tuple[list[Pattern], str]]] = {}  # by exact first token
        self.loose_phrases: list[tuple[list[Pattern], str]] = []  # first token not exact
        for group, entries in (section or {}).items():
            for entry in entries or []:
                if not isinstance(entry, str):  # YAML turned it into a number/bool: fix the file
                    raise ValueError(f"lexicon entry in {group!r} is not a string: {entry!r}")
                pats = [_pattern(word, normalise) for word in entry.split()]
                if len(pats) > 1 and all(mode == "exact" for mode, _ in pats[0]):
                    for _, core in pats[0]:  # phrases are indexed by their first token
                        self.phrases.setdefault(core, []).append((pats, entry))
                    continue
                if len(pats) > 1:
                    self.loose_phrases.append((pats, entry))
                    continue
                for mode, core in pats[0]:
                    index = self.exact if mode == "exact" else self.prefix if mode == "prefix" else None
                    if index is None:
                        self.others.append((((mode, core),), entry))
                    else:
                        index.setdefault(core, []).append(entry)
        self.prefix_lengths = sorted({len(stem) for stem in self.prefix})

    def find(self, tokens: list[str]) -> list[str]:
        hits: list[str] = []
        for i, tok in enumerate(tokens):
            hits += self.exact.get(tok, ())
            for n in self.prefix_lengths:
                if n > len(tok):
                    break
                hits += self.prefix.get(tok[:n], ())
            hits += [entry for pat, entry in self.others if _matches(pat, tok)]
            for pats, entry in chain(self.phrases.get(tok, ()), self.loose_phrases):
                rest = tokens[i : i + len(pats)]
                if len(rest) == len(pats) and all(map(_matches, pats, rest)):
                    hits.append(entry)
        return hits


class EmergencyDetector:
    def __init__(self, lexicon: dict) -> None:
        norm = lexicon.get("normalisation") or {}
        self._fold = str.maketrans(dict(norm.get("fold") or {}))
        self._digraphs = dict(norm.get("digraphs") or {})
        self._collapse = bool(norm.get("collapse_repeats", True))
        self._strong = _Group(lexicon.get("strong"), self.normalise)
        self._threat = _Group(lexicon.get("threat"), self.normalise)
        self._urgency = _Group(lexicon.get("urgency"), self.normalise)
        short = lexicon.get("short_message") or {}
        self._short_max = int(short.get("max_tokens", 0))
        self._short = _Group({"entries": short.get("entries") or []}, self.normalise)
        self._alone = {" ".join(self.normalise(e)): e for e in short.get("alone") or []}
        if not (self._strong.exact or self._strong.prefix):
            raise ValueError("emergency lexicon has no strong terms; refusing an empty safety net")

    @classmethod
    def from_file(cls, path: str | None = None) -> EmergencyDetector:
        """The detector of a lexicon file, built once per process while the file is unchanged
        (loader.FileCache): compiling the lexicon is most of building a gateway, and a built
        detector is never changed, only asked."""
        lexicon = Path(path or DEFAULT_LEXICON)
        return _DETECTORS.get((lexicon,), lambda: cls(safe_load(lexicon.read_text(encoding="utf-8")) or {}))

    def normalise(self, text: str) -> list[str]:
        """Lower-case, fold å/ä/ö and other accents, drop punctuation, collapse 'hjäääälp'."""
        text = str(text).lower().translate(self._fold)
        text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
        for digraph, letter in self._digraphs.items():  # "hjaelp" typed without ä
            text = text.replace(digraph, letter)
        text = re.sub(r"[^a-z0-9]+", " ", text)
        if self._collapse:
            text = re.sub(r"([a-z])\1+", r"\1", text)  # letters only: "112" stays "112"
        return text.split()

    def detect(self, text: str) -> list[str]:
        """The lexicon entries that matched; an empty list means no emergency."""
        if not text:
            return []
        tokens = self.normalise(text)
        hits = self._strong.find(tokens)
        if len(tokens) <= self._short_max:  # "HJÄLP!!!" on its own is a cry for help
            hits += self._short.find(tokens)
        if " ".join(tokens) in self._alone:  # "larm", "polisen": the whole message
            hits.append(self._alone[" ".join(tokens)])
        threat = self._threat.find(tokens)
        if threat:
            urgency = self._urgency.find(tokens)
            if urgency:  # a threat word alone is usually about the past; with "nu" it is now
                hits += threat + urgency
        return list(dict.fromkeys(hits))  # unique, in order of appearance

    def is_emergency(self, text: str) -> bool:
        return bool(self.detect(text))
