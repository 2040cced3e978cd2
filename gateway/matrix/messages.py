"""Answers as Matrix messages and Matrix messages as turns: the pure mapping, no I/O.

Matrix clients have no buttons, so an answer's choices become a numbered list in the HTML body
(`org.matrix.custom.html`) with the same list in the plain `body` for clients without HTML.
The person answers with the number or the title, typed or as a reply to that message. The
numbers run on through all messages of one answer (related topics 1–3, then "Ja" 4, "Nej" 5),
so that a bare number is never ambiguous. Links become <a> elements; the plain body keeps
their addresses.

Structured parts (issue 20) are drawn as such: the emergency line stands alone and bold with a
tel:112 link, steps are an <ol>, contacts a <ul> with tel:/mailto: links, sources a <ul> of
titled links (gateway.structured); the plain body is the message's text, which says it all.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from gateway import structured
from gateway.matrix.config import MatrixStrings
from knowledge import contract

MAX_TEXT_CHARS = 1000  # as for /api/chat (gateway.schemas.Text)
HTML_FORMAT = "org.matrix.custom.html"

# A pill (mention) of any user in the HTML body: the bot's own name is noise to the NLU and a
# colleague's name is personal data the engine does not need.
_PILL = re.compile(r"<a\b[^>]*href=\"https://matrix\.to/#/[@!#][^\"]*\"[^>]*>.*?</a>", re.IGNORECASE | re.DOTALL)
_REPLY_FALLBACK_HTML = re.compile(r"<mx-reply>.*?</mx-reply>", re.IGNORECASE | re.DOTALL)
_BREAK = re.compile(r"<br\s*/?>|</p>|</li>|</div>|</h\d>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")
_BLANKS = re.compile(r"[^\S\n]+")
_NUMBER = re.compile(r"\s*(?:nr\.?\s*)?(\d{1,3})\s*[.)]?\s*", re.IGNORECASE)
_TITLE_NOISE = re.compile(r"[^\w]+")


def _html_lines(text: str, titles: dict[str, str] | None = None) -> str:
    # Addresses in running text are linked by their title or host name, never shown raw.
    return "<br>".join(
        "".join(_anchor(piece, href) for piece, href in structured.pieces(line, titles or {}))
        for line in text.split("\n")
    )


def _anchor(text: str, href: str | None) -> str:
    shown = html.escape(text, quote=False)
    return f'<a href="{html.escape(href, quote=True)}">{shown}</a>' if href else shown


def _structured_html(message: dict) -> str | None:
    """The HTML of an emergency, steps, contacts or sources part; None for running text."""
    kind, items = message.get("kind"), message.get("items") or []
    if kind == contract.KIND_EMERGENCY:
        calls = "".join(f"<p>{_anchor(i['text'], i['href'])}</p>" for i in items if i.get("href"))
        return f"<p><strong>{_html_lines(message['text'])}</strong></p>{calls}"
    if not structured.is_listed(message):
        return None
    titles = structured.link_titles(message)
    tag = "ol" if kind == contract.KIND_STEPS else "ul"
    rows = "".join(
        "<li>" + "".join(_anchor(text, href) for text, href in structured.item_pieces(i, titles)) + "</li>"
        for i in items
    )
    heading = f"<p><strong>{html.escape(message['title'])}</strong></p>" if message.get("title") else ""
    return f"{heading}<{tag}>{rows}</{tag}>"


def _absolute(url: str, page_base: str) -> str:
    return page_base + url if url.startswith("/") and not url.startswith("//") else url


def with_absolute_links(message: dict, page_base: str) -> dict:
    """The message with our own page links ("/kunskap/hotniva?…", relative in every answer)
    starting with `page_base`: a Matrix client has no page to resolve a relative link against."""
    out = {**message, "links": [{**link, "url": _absolute(link["url"], page_base)} for link in message["links"]]}
    if message.get("items"):
        out["items"] = [
            {**item, "href": _absolute(item["href"], page_base)} if item.get("href") else item
            for item in message["items"]
        ]
    return out


def content(message: dict, strings: MatrixStrings, first: int = 1, page_base: str | None = None) -> dict:
    """One chat message ({"text", "buttons", "links"}, and "kind", "title", "items" when it is
    a structured part) as an m.room.message content; its choices are numbered from `first`,
    its links to our pages made absolute with `page_base` (MatrixConfig.page_base)."""
    if page_base:
        message = with_absolute_links(message, page_base)
    text = message["text"]
    body = [text]
    parts = [_structured_html(message) or f"<p>{_html_lines(text, structured.link_titles(message))}</p>"]
    # Links whose address the text (or a part's list) already shows are linked there; the
    # others get a list.
    extra = structured.extra_links(message)
    if extra:
        body.append(
            "\n".join([strings.links_heading, *(f"- {link['title'] or link['url']}: {link['url']}" for link in extra)])
        )
        items = "".join(
            f'<li><a href="{html.escape(link["url"], quote=True)}">{html.escape(link["title"] or link["url"])}</a></li>'
            for link in extra
        )
        parts.append(f"<p>{html.escape(strings.links_heading)}</p><ul>{items}</ul>")
    if message["buttons"]:
        body.append(
            "\n".join([strings.choices_hint, *(f"{i}. {b['title']}" for i, b in enumerate(message["buttons"], first))])
        )
        items = "".join(f"<li>{html.escape(b['title'])}</li>" for b in message["buttons"])
        start = f' start="{first}"' if first != 1 else ""
        parts.append(f"<p>{html.escape(strings.choices_hint)}</p><ol{start}>{items}</ol>")
    return {"msgtype": "m.text", "body": "\n\n".join(body), "format": HTML_FORMAT, "formatted_body": "".join(parts)}


def plain_text(body: str, formatted_body: str | None = None) -> str:
    """What the person wrote: without reply quotes and mentions, blanks collapsed."""
    if formatted_body:
        text = _REPLY_FALLBACK_HTML.sub("", formatted_body)
        text = _PILL.sub(" ", text)
        text = html.unescape(_TAG.sub("", _BREAK.sub("\n", text)))
    else:
        # The plain reply fallback: "> <@someone:server> quoted line" lines, then a blank line.
        lines = body.split("\n")
        if lines and lines[0].startswith("> "):
            while lines and lines[0].startswith(">"):
                lines.pop(0)
        text = "\n".join(lines)
    cleaned = (_BLANKS.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in cleaned if line)


def strip_name(text: str, names: list[str]) -> str:
    """A mention typed without a pill ("Påverkanslotsen: …", "@lotsen …") at the start."""
    for name in sorted((n for n in names if n), key=len, reverse=True):
        if text.casefold().startswith(name.casefold()):
            return text[len(name) :].lstrip(" :,").strip()
    return text


@dataclass(frozen=True)
class Choice:
    """What a short answer to a list meant: a payload, a number not on the list, or neither."""

    payload: str | None = None
    missing_number: int | None = None


def _title_key(title: str) -> str:
    return _TITLE_NOISE.sub(" ", title.casefold()).strip()


def choose(text: str, numbered: dict[int, dict]) -> Choice:
    """The number or the title of one of the `numbered` buttons, else Choice() (a question)."""
    number = _NUMBER.fullmatch(text)
    if number:
        n = int(number.group(1))
        if n in numbered:
            return Choice(payload=numbered[n]["payload"])
        return Choice(missing_number=n) if numbered else Choice()
    key = _title_key(text)
    for button in numbered.values():
        if key and key == _title_key(button["title"]):
            return Choice(payload=button["payload"])
    return Choice()
