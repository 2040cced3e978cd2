"""Remove personal data from text before anything is stored or logged.

People write about threats and crimes and name others. What we keep (engine tracker events,
unanswered questions for the statistics) passes through `redact` first. Pure Python, used by
the engine's tracker store and by the gateway.

Caught, each replaced by its label:
- personnummer and samordningsnummer: 10 or 12 digits, with or without a separator (-, +,
  en dash, spaced dash, space). A valid date part is enough: a typo in the check digit is
  still someone's number; without a separator the check digit must hold too (order numbers);
- phone numbers, Swedish and foreign, as people write them ((08) 123 456 78, 070/123…,
  070.123.45.67, +47 …), found by `phonenumbers` (Google's libphonenumber), with a pattern
  as a fallback for numbers it does not consider valid;
- e-mail addresses, IP addresses (v4 and v6), IBAN, card numbers (Luhn), and bank account,
  bankgiro, plusgiro and Swish numbers after their cue word;
- vehicle registration numbers (ABC 123, ABC123, ABC 12A);
- street addresses (also in lower case), apartment numbers ("lgh 1102"), postcodes;
- names: after a cue ("jag heter", "heter", "mitt namn är", …) in any case, a common first
  name with the words after it that look like surnames, and common surnames on their own.
A name that is neither cued nor common will slip through: this is best effort, so the
retention limit still applies to everything stored. `make redaction-report` measures it.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Callable
from pathlib import Path

import yaml

NAMES_FILE = Path(__file__).with_name("redact_names.yml")

PERSONNUMMER = "[personnummer]"
PHONE = "[telefonnummer]"
EMAIL = "[e-post]"
ADDRESS = "[adress]"
POSTCODE = "[postnummer]"
NAME = "[namn]"
IP_ADDRESS = "[ip-adress]"
IBAN = "[iban]"
CARD = "[kortnummer]"
ACCOUNT = "[kontonummer]"
BANKGIRO = "[bankgiro]"
PLUSGIRO = "[plusgiro]"
SWISH = "[swish]"
REGISTRATION = "[registreringsnummer]"

_DASH = r"(?:\s?[-–—]\s?|\+|\s)"
# 12 or 10 digits, optional separator before the last four.
_PNR = re.compile(rf"(?<![\d-])((?:19|20)?\d{{6}})({_DASH}?)(\d{{4}})(?![\d-])")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# +46 or 0046 or 0, then an area/mobile code and 5–9 more digits, grouped by spaces, dashes,
# slashes or dots; a fallback for what phonenumbers does not accept as a valid number.
_PHONE = re.compile(r"(?<![\w+])(?:\+\d{2,3}|00\d{2,3}|0)[ -]?(?:\(0\)[ -]?)?[1-9](?:[ /–-]?\d){5,11}(?!\d)")
_IPV4 = re.compile(
    r"(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\d.])"
)
_IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,3})?\b", re.IGNORECASE)
_CARD = re.compile(r"(?<![\d-])\d{4}(?:[ -]?\d{4}){2}[ -]?\d{1,7}(?![\d-])")
_NUMBER_AFTER_CUE = r"[\s:.#-]*(?:nr\.?|nummer)?[\s:.]*(\d(?:[\d -]|, (?=\d)){3,30}\d)"
_ACCOUNT_CUES = re.compile(
    r"(?i:\b(bankgiro(?:nummer)?|bg|plusgiro(?:nummer)?|pg|swish(?:a|nummer)?|clearing(?:nummer)?|"
    r"kontonummer|kontonr|bankkonto(?:nummer)?|konto))" + _NUMBER_AFTER_CUE
)
# Swedish plates: three letters (no I, Q, V, Å, Ä, Ö), two digits and a digit or letter.
_REGISTRATION = re.compile(r"\b[A-HJ-PR-UW-Z]{3} ?\d{2}[A-HJ-PR-UW-Z0-9]\b")
_STREET_SUFFIX = (
    r"(?:gatan|vägen|väg|gata|gränd|gränden|stigen|allén|allé|torget|torg|backe|backen|plan|leden|"
    r"kajen|promenaden|stråket|gången|slingan|ringen)"
)
_STREET = re.compile(
    rf"\b(?:(?:Östra|Västra|Norra|Södra|Stora|Lilla|östra|västra|norra|södra|stora|lilla)\s+)?"
    rf"[A-ZÅÄÖa-zåäö][a-zåäöé]+{_STREET_SUFFIX}\s+\d+(?:\s?[A-Za-z]\b)?"
)
_FLAT = re.compile(r"(?i:\b(?:lgh|lägenhet|lägenhetsnummer)\.?\s*(?:nr\.?\s*)?\d{3,4}\b)")
_BOX = re.compile(r"\b(?:Box|box)\s+\d+\b")
_POSTCODE = re.compile(r"\b\d{3}\s?\d{2}(?=\s+[A-ZÅÄÖ][a-zåäö]+)")
_CUE_WORDS = (
    r"jag heter|heter|mitt namn är|namnet är|namn:|hans namn är|hennes namn är|som heter|kallas|"
    r"han heter|hon heter|kollegan|kollega|chefen|handläggaren|klienten|brukaren"
)
# After a cue, one or two words in any case are a name, unless they are ordinary words.
_CUE = re.compile(rf"(?i:\b(?:{_CUE_WORDS}))\s+([\wåäöéü-]+(?:\s+[\wåäöéü-]+)?)")
_CAPITALISED = r"[A-ZÅÄÖÉ][a-zåäöéü]+(?:-[A-ZÅÄÖ][a-zåäöéü]+)?"
# Words that follow a cue ("kollegan som …", "heter det") and are no name.
_NOT_NAMES = frozenset(
    """
och att det den de du jag han hon hen man vi ni dom som är var har hade inte så nu då här där
vad hur när vilken vilket vilka något någon ingen alla mig dig honom henne oss er sig sin sitt
en ett på i om med till från för av ut in upp efter sedan också bara redan även ju väl nog
ska skulle kan kunde vill ville måste får fick blir blev sa sade säger hotar hotade ringer
ringde skrev skriver kom kommer gick går mejlar mejlade sms:ar följer följde sitter står
min mitt mina din ditt dina hans hennes deras vår vårt våra nya gamla ny gammal också
""".split()
)
# Cues that are job titles or roles ("klienten", "chefen"), and "kallas" ("det kallas jäv"):
# only a capitalised word after them is a name ("klienten Kalle" but not "klienten ringer").
_ROLE_CUES = frozenset({"kollegan", "kollega", "chefen", "handläggaren", "klienten", "brukaren", "kallas"})


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(digits):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def _luhn_right_to_left(digits: str) -> bool:
    """The card number check: luhn_ok counts from the left, so an odd length gets a leading 0."""
    return luhn_ok(digits if len(digits) % 2 == 0 else "0" + digits)


def _valid_date_part(six: str) -> bool:
    month, day = int(six[2:4]), int(six[4:6])
    day = day - 60 if day > 60 else day  # samordningsnummer: day + 60
    return 1 <= month <= 12 and 1 <= day <= 31


def _personnummer(match: re.Match) -> str:
    head, separator, tail = match.group(1), match.group(2), match.group(3)
    six = head[-6:]
    if not _valid_date_part(six):
        return match.group(0)
    if luhn_ok(six + tail) or (separator and separator != " ") or len(head) == 8:
        return PERSONNUMMER
    return match.group(0)


def _card(match: re.Match) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return CARD if 13 <= len(digits) <= 19 and _luhn_right_to_left(digits) else match.group(0)


def _iban(match: re.Match) -> str:
    compact = match.group(0).replace(" ", "").upper()
    if not 15 <= len(compact) <= 34 or not compact[:2].isalpha():
        return match.group(0)
    return IBAN


def _account(match: re.Match) -> str:
    cue = match.group(1).lower()
    if cue.startswith(("bankgiro", "bg")):
        label = BANKGIRO
    elif cue.startswith(("plusgiro", "pg")):
        label = PLUSGIRO
    elif cue.startswith("swish"):
        label = SWISH
    else:
        label = ACCOUNT
    return match.group(0)[: match.start(2) - match.start(0)] + label


def _ipv6(match: re.Match) -> str:
    try:
        ipaddress.IPv6Address(match.group(0))
    except ValueError:
        return match.group(0)
    return IP_ADDRESS


def _phones(text: str) -> str:
    import phonenumbers

    # VALID: a number that exists in the numbering plan (dates, order numbers and 112 do not).
    found = [
        (m.start, m.end) for m in phonenumbers.PhoneNumberMatcher(text, "SE", leniency=phonenumbers.Leniency.VALID)
    ]
    for start, end in reversed(found):
        text = text[:start] + PHONE + text[end:]
    return _PHONE.sub(PHONE, text)


def _cued_name(match: re.Match) -> str:
    cue = match.group(0)[: match.start(1) - match.start(0)]
    words = match.group(1).split()
    role_cue = cue.strip().lower() in _ROLE_CUES
    kept: list[str] = []
    for word in words:
        ordinary = word.lower() in _NOT_NAMES or word.startswith("[")
        if ordinary or (role_cue and not word[:1].isupper()) or any(ch.isdigit() for ch in word):
            break
        kept.append(word)
    if not kept:
        return match.group(0)
    rest = match.group(1)[len(" ".join(kept)) :] if match.group(1).startswith(" ".join(kept)) else ""
    return cue + NAME + rest


def _cued_names(text: str) -> str:
    """Every cue's name; a cue followed by ordinary words ("klienten som heter …") consumes
    nothing, so that the next cue in those words is still found."""
    out, pos = [], 0
    while (match := _CUE.search(text, pos)) is not None:
        replaced = _cued_name(match)
        if replaced == match.group(0):
            out.append(text[pos : match.start(1)])
            pos = match.start(1)
            continue
        out.append(text[pos : match.start()] + replaced)
        pos = match.end()
    out.append(text[pos:])
    return "".join(out)


@functools.lru_cache(maxsize=1)
def _name_lists() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """(first names, surnames as written, surnames in lower case) from redact_names.yml."""
    data = yaml.safe_load(NAMES_FILE.read_text(encoding="utf-8"))
    surnames = frozenset(data["surnames"])
    return frozenset(data["first_names"]), surnames, frozenset(n.lower() for n in surnames)


_WORD = re.compile(r"[A-Za-zÅÄÖåäöÉéÜü]+(?:-[A-Za-zÅÄÖåäöÉéÜü]+)?")
_CAPITALISED_WORD = re.compile(_CAPITALISED)


def _common_names(text: str) -> str:
    """A common first name with up to two following words that are capitalised or known
    surnames in any case ("Per olsson"), and a common surname on its own, capitalised.

    A scan over the words with set look-ups: a regex alternation of hundreds of names cost
    more than every other step of redact together."""
    first_names, surnames, lower_surnames = _name_lists()
    words = list(_WORD.finditer(text))
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(words):
        word = words[i].group(0)
        if word in first_names:
            end = i
            while end + 1 < len(words) and end - i < 2:
                following = words[end + 1]
                gap = text[words[end].end() : following.start()]
                name = following.group(0)
                if (
                    not gap
                    or not gap.isspace()
                    or not (_CAPITALISED_WORD.fullmatch(name) or name.lower() in lower_surnames)
                ):
                    break
                end += 1
            spans.append((words[i].start(), words[end].end()))
            i = end + 1
            continue
        if word in surnames:
            spans.append(words[i].span())
        i += 1
    for start, end in reversed(spans):
        text = text[:start] + NAME + text[end:]
    return text


_NUMBER_STEPS: tuple[tuple[re.Pattern, str | Callable[[re.Match], str]], ...] = (
    (_IBAN, _iban),
    (_CARD, _card),
    (_ACCOUNT_CUES, _account),
    (_PNR, _personnummer),
    (_IPV4, IP_ADDRESS),
    (_IPV6, _ipv6),
)
_PLACE_STEPS: tuple[tuple[re.Pattern, str], ...] = (
    (_REGISTRATION, REGISTRATION),
    (_STREET, ADDRESS),
    (_FLAT, ADDRESS),
    (_BOX, ADDRESS),
    (_POSTCODE, POSTCODE),
)


_DIGIT = re.compile(r"\d")


def redact(text: str) -> str:
    """Return the text with personal data replaced by bracketed labels."""
    if not text:
        return text
    if "@" in text:
        text = _EMAIL.sub(EMAIL, text)
    # Every number-shaped kind needs a digit: most texts (and most values in stored events)
    # have none, and skip these steps.
    if _DIGIT.search(text):
        for pattern, replacement in _NUMBER_STEPS:
            text = pattern.sub(replacement, text)
        text = _phones(text)
        for pattern, replacement in _PLACE_STEPS:
            text = pattern.sub(replacement, text)
    text = _cued_names(text)
    return _common_names(text)
