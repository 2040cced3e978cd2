"""Typed text is only ever text: never read by the engine as "/intent{entities}".

Rasa reads a message that starts with "/" (after str.strip(), which removes every Unicode
space, so a leading space is no protection) as an intent with entities. Typed, that would
bypass the button allow-list (forged feedback counts, injected slots) and make Rasa print the
whole unredacted text in a warning when the intent is unknown. Button payloads travel
separately (`payload`) and are checked against what was offered.
"""

from __future__ import annotations


def as_typed_text(text: str | None) -> str | None:
    """The text without its leading slashes (and the spaces between them)."""
    if text is None:
        return None
    rest = text.lstrip()
    if not rest.startswith("/"):
        return text
    while rest.startswith("/"):
        rest = rest[1:].lstrip()
    # Only slashes: an empty text is no message. A lone full stop has no intent prefix and
    # takes the engine's "not understood" path.
    return rest or "."
