"""Structured answer parts (knowledge/contract.py: `kind`, `title`, `items`) for channels that
draw them themselves, Teams and Matrix: the pure split of an item into linked pieces, no markup.

A web address is shown by its title (from the message's links) or its host name, never as a raw
URL; an e-mail address stays readable, it is what people copy. A contact's line may hold its
web page and e-mail address as well as its phone: then its name (before the dash) carries the
item's own link (tel: first) and the rest stays text with the addresses linked – as the widget
does (web_widget/widget.js), so an answer reads the same in every channel.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from knowledge import contract

# Parts whose items say the same as their text, as a list: a channel shows the list instead.
LISTED_KINDS = (contract.KIND_STEPS, contract.KIND_CONTACTS, contract.KIND_SOURCES)

_LINKABLE = re.compile(r"https?://[^\s<>\"]+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_TRAILING = ".,;:!?)]"
_NAME_END = " – "

Piece = tuple[str, str | None]  # (text, href or None)


def is_listed(message: dict) -> bool:
    return message.get("kind") in LISTED_KINDS and bool(message.get("items"))


def link_titles(message: dict) -> dict[str, str]:
    return {link["url"]: link["title"] for link in message.get("links") or [] if link.get("title")}


def pieces(text: str, titles: dict[str, str]) -> list[Piece]:
    """Running text with its web and e-mail addresses as links."""
    out: list[Piece] = []
    last = 0
    for match in _LINKABLE.finditer(text):
        raw = match.group(0).rstrip(_TRAILING)
        mail = "@" in raw and "://" not in raw
        label = raw if mail else titles.get(raw) or urlsplit(raw).hostname or raw
        out += [(text[last : match.start()], None), (label, f"mailto:{raw}" if mail else raw)]
        last = match.start() + len(raw)
    out.append((text[last:], None))
    return [piece for piece in out if piece[0]]


def item_pieces(item: dict, titles: dict[str, str]) -> list[Piece]:
    """One list item: the whole line as its link when it names no address, else its name."""
    text, href = item["text"], item.get("href")
    if not href:
        return pieces(text, titles)
    if not _LINKABLE.search(text):
        return [(text, href)]
    dash = text.find(_NAME_END)
    if dash > 0:
        return [(text[:dash], href), *pieces(text[dash:], titles)]
    return pieces(text, titles)


def hrefs(message: dict) -> set[str]:
    """Every address a listed part already links (its items' own and those in their text)."""
    titles = link_titles(message)
    return {href for item in message.get("items") or [] for _, href in item_pieces(item, titles) if href}


def extra_links(message: dict) -> list[dict]:
    """The message's links that its text (or, for a listed part, its items) does not show."""
    shown = hrefs(message) if is_listed(message) else set()
    return [
        link for link in message.get("links") or [] if link["url"] not in shown and link["url"] not in message["text"]
    ]
