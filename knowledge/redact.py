"""Remove personal data from text before anything is stored or logged.

People write about threats and crimes and name others. What we keep (engine tracker events,
unanswered questions for the statistics) passes through `redact` first. Pure Python, used by
the engine's tracker store and by the gateway.

Caught: personnummer and samordningsnummer (10 or 12 digits, with or without separator,
Luhn-checked so that order numbers survive), Swedish phone numbers, e-mail addresses, street
addresses and postcodes, and names where they can be detected (after "jag heter", "heter",
"namn" and similar cues, or a common Swedish first name followed by a capitalised word).
A name that is neither cued nor common will slip through: this is best effort, so the
retention limit still applies to everything stored.
"""
from __future__ import annotations

import functools
import re
from pathlib import Path

import yaml

NAMES_FILE = Path(__file__).with_name("redact_names.yml")

PERSONNUMMER = "[personnummer]"
PHONE = "[telefonnummer]"
EMAIL = "[e-post]"
ADDRESS = "[adress]"
POSTCODE = "[postnummer]"
NAME = "[namn]"

# 12 or 10 digits, optional separator (-, +, space) before the last four.
_PNR = re.compile(r"(?<![\d-])((?:19|20)?\d{6})[-+ ]?(\d{4})(?![\d-])")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# +46 or 0046 or 0, then an area/mobile code and 5–9 more digits, grouped by spaces or dashes.
_PHONE = re.compile(r"(?<![\w+])(?:\+46|0046|0)[ -]?(?:\(0\)[ -]?)?[1-9](?:[ -]?\d){5,9}(?!\d)")
_STREET = re.compile(
    r"\b[A-ZÅÄÖ][a-zåäöé]+(?:gatan|vägen|väg|gata|gränd|gränden|stigen|allén|allé|torget|torg|backe|backen|"
    r"plan|leden|kajen|promenaden|stråket)\s+\d+\s?[A-Za-z]?\b"
)
_BOX = re.compile(r"\b(?:Box|box)\s+\d+\b")
_POSTCODE = re.compile(r"\b\d{3}\s?\d{2}(?=\s+[A-ZÅÄÖ][a-zåäö]+)")
_CUE = re.compile(
    r"(?i:\b(?:jag heter|heter|mitt namn är|namnet är|namn:|hans namn är|hennes namn är|som heter|kallas))"
    r"\s+([A-ZÅÄÖ][\wåäöéü-]+(?:\s+[A-ZÅÄÖ][\wåäöéü-]+)?)"
)
_CAPITALISED = r"[A-ZÅÄÖÉ][a-zåäöéü]+(?:-[A-ZÅÄÖ][a-zåäöéü]+)?"


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(digits):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def _valid_date_part(six: str) -> bool:
    month, day = int(six[2:4]), int(six[4:6])
    day = day - 60 if day > 60 else day  # samordningsnummer: day + 60
    return 1 <= month <= 12 and 1 <= day <= 31


def _personnummer(match: re.Match) -> str:
    head, tail = match.group(1), match.group(2)
    six = head[-6:]
    if _valid_date_part(six) and luhn_ok(six + tail):
        return PERSONNUMMER
    return match.group(0)


@functools.lru_cache(maxsize=1)
def _first_names() -> re.Pattern:
    names = yaml.safe_load(NAMES_FILE.read_text(encoding="utf-8"))["first_names"]
    alternatives = "|".join(sorted((re.escape(n) for n in names), key=len, reverse=True))
    # A common first name, optionally followed by one or two capitalised surnames.
    return re.compile(rf"\b(?:{alternatives})(?:\s+{_CAPITALISED}){{0,2}}\b")


def redact(text: str) -> str:
    """Return the text with personal data replaced by bracketed labels."""
    if not text:
        return text
    text = _EMAIL.sub(EMAIL, text)
    text = _PNR.sub(_personnummer, text)
    text = _PHONE.sub(PHONE, text)
    text = _STREET.sub(ADDRESS, text)
    text = _BOX.sub(ADDRESS, text)
    text = _POSTCODE.sub(POSTCODE, text)
    text = _CUE.sub(lambda m: m.group(0)[: m.start(1) - m.start(0)] + NAME, text)
    text = _first_names().sub(NAME, text)
    return text
