"""Recall of knowledge/redact.py on the labelled set: `make redaction-report`.

For each category: how many of its values were removed (caught), and how many also got their
own label (a bank account must say [kontonummer], not [telefonnummer]); and how many messages
without personal data came back unchanged. tests/unit/test_redact.py holds the floors.
"""

from __future__ import annotations

import re
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from knowledge import redact as r

SET_FILE = Path(__file__).resolve().parent.parent / "tests" / "data" / "redaction_set.yml"
LABELS = {
    "personnummer": r.PERSONNUMMER,
    "telefon": r.PHONE,
    "e-post": r.EMAIL,
    "adress": r.ADDRESS,
    "postnummer": r.POSTCODE,
    "namn": r.NAME,
    "registreringsnummer": r.REGISTRATION,
    "kontonummer": r.ACCOUNT,
    "bankgiro": r.BANKGIRO,
    "plusgiro": r.PLUSGIRO,
    "swish": r.SWISH,
    "kortnummer": r.CARD,
    "iban": r.IBAN,
    "ip-adress": r.IP_ADDRESS,
}
_PARTS = re.compile(r"[\wåäöÅÄÖé@.+:-]+")


@dataclass
class Score:
    total: int = 0
    caught: int = 0
    labelled: int = 0
    missed: list = field(default_factory=list)


def leaked(value: str, redacted: str) -> bool:
    """Any part of the value still there: a word of three letters or more, or three digits."""
    for part in _PARTS.findall(value):
        core = part.strip(".,:-")
        letters = sum(ch.isalpha() for ch in core)
        digits = sum(ch.isdigit() for ch in core)
        if (letters >= 3 or digits >= 3) and re.search(
            rf"(?<![\wåäö]){re.escape(core)}(?![\wåäö])", redacted, re.IGNORECASE
        ):
            return True
    return False


def measure(messages: list[dict]) -> tuple[dict[str, Score], Score]:
    scores: dict[str, Score] = defaultdict(Score)
    clean = Score()
    for message in messages:
        text, personal = message["text"], message["personal"]
        redacted = r.redact(text)
        if not personal:
            clean.total += 1
            if redacted == text:
                clean.caught += 1
            else:
                clean.missed.append(f"{text!r} → {redacted!r}")
            continue
        for item in personal:
            score = scores[item["category"]]
            score.total += 1
            if leaked(item["value"], redacted):
                score.missed.append(f"{item['value']!r} in {redacted!r}")
                continue
            score.caught += 1
            if LABELS[item["category"]] in redacted:
                score.labelled += 1
    return dict(scores), clean


def load_set(path: Path = SET_FILE) -> list[dict]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))["messages"]


def main(argv: list[str] | None = None) -> int:
    verbose = "-v" in (argv if argv is not None else sys.argv[1:])
    messages = load_set()
    scores, clean = measure(messages)
    print(f"Avidentifiering ({len(messages)} meddelanden, {SET_FILE.name})\n")
    print(f"{'kategori':<22}{'antal':>6}{'borttagna':>11}{'recall':>8}{'rätt etikett':>14}")
    total = caught = 0
    for name in sorted(scores, key=lambda n: list(LABELS).index(n)):
        s = scores[name]
        total, caught = total + s.total, caught + s.caught
        print(f"{name:<22}{s.total:>6}{s.caught:>11}{s.caught / s.total:>8.0%}{s.labelled / s.total:>14.0%}")
    print(f"{'alla':<22}{total:>6}{caught:>11}{caught / total:>8.0%}")
    print(f"\nutan personuppgifter: {clean.caught} av {clean.total} oförändrade ({clean.caught / clean.total:.0%})")
    if verbose:
        for name, s in scores.items():
            for miss in s.missed:
                print(f"  missad {name}: {miss}")
        for miss in clean.missed:
            print(f"  ändrad: {miss}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
