"""LIX readability for Swedish text, computed on the article body as a reader sees it."""

from __future__ import annotations

import re

_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_HEADING = re.compile(r"^#+ .*$", re.M)
_BULLET = re.compile(r"^\s*(?:[-*]|\d+\.) ", re.M)
_SENTENCE_END = re.compile(r"[.!?:]+(?:\s|$)")
_WORD = re.compile(r"[A-Za-zÅÄÖåäöÉéÜü0-9]+")


def plain_text(markdown: str) -> str:
    text = _LINK.sub(r"\1", markdown)
    text = _HEADING.sub("", text)
    return text.replace("**", "").replace("*", "")


def lix(markdown: str) -> float:
    """LIX = words/sentences + 100 × long words/words; a bullet item counts as a sentence."""
    text = plain_text(markdown)
    words = _WORD.findall(text)
    if not words:
        return 0.0
    sentences = max(1, len(_SENTENCE_END.findall(text)) + len(_BULLET.findall(text)))
    long_words = sum(len(w) > 6 for w in words)
    return round(len(words) / sentences + 100 * long_words / len(words), 1)
