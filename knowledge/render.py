"""Turn knowledge-base content into chat messages any channel can show.

Used by the engine's actions and by the gateway's degraded mode, so an answer looks the same
whether or not the engine is up. A message is a plain dict in the shape of knowledge/contract.py:
{"text", "buttons", "links", "kind", "title", "items"}. Text carries everything (URLs inline too)
for channels that read nothing else; `kind` and `items` give the same content as structure.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from knowledge import contract
from knowledge.contract import Message, item, message, tel_href
from knowledge.incident_record import IncidentRecord, load_incident_record
from knowledge.loader import AUDIENCE_HEADINGS, Article, Channel, KnowledgeBase

__all__ = ["Message", "message"]

# The national channel whose number the emergency line's call button dials.
EMERGENCY_CHANNEL = "akut_112"
MANAGER = "chef"

# A sentence ends at . ! or ? (also inside **bold**) before a blank; a list line starts with a
# bullet or a number.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|(?<=[.!?]\*\*)\s+")
_LIST_MARK = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")
_NOT_WORD = re.compile(r"[^\w ]+")
_BLANK_LINES = re.compile(r"\n{3,}")
# Markdown emphasis in an article's body: a line that is only bold text is a sub-heading, bold
# inside a line is emphasis. Chat text is plain (the widget shows it as written), so the marks go.
_BOLD_LINE = re.compile(r"^\*\*(.+?)\*\*$", re.MULTILINE)
_BOLD = re.compile(r"\*\*(.+?)\*\*")


def sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(text.strip()) if s]


def sentence_key(sentence: str) -> str:
    """What a sentence says, whatever its markup, case and punctuation."""
    return " ".join(_NOT_WORD.sub("", _LIST_MARK.sub("", sentence).casefold()).split())


def _not_for(kb: KnowledgeBase, sentence: str, role: str | None) -> bool:
    """A manager is not told to tell their manager (phrases.yml: not_for_managers);
    "din egen chef" is advice for a manager and stays."""
    markers = kb.phrases.get("not_for_managers") or [] if role == MANAGER else []
    return any(m.casefold() in sentence.casefold() for m in markers)


def _reader_sentence(kb: KnowledgeBase, sentence: str, role: str | None) -> str:
    """The sentence, or what comes before its first clause that is no advice for this reader:
    "Ring 112 om du är i fara just nu, och berätta annars för din chef direkt." keeps its
    112 line for a manager ("Ring 112 om du är i fara just nu.")."""
    if not _not_for(kb, sentence, role):
        return sentence
    kept: list[str] = []
    for clause in sentence.split(", "):
        if _not_for(kb, clause, role):
            break
        kept.append(clause)
    return ", ".join(kept).rstrip(" ,;:.") + "." if kept else ""


def for_reader(kb: KnowledgeBase, text: str, role: str | None) -> str:
    """`text` without what is no advice for this reader (see _not_for, _reader_sentence)."""
    if role != MANAGER:
        return text
    return " ".join(kept for kept in (_reader_sentence(kb, s, role) for s in sentences(text)) if kept)


def part_title(kb: KnowledgeBase, kind: str) -> str | None:
    """The visible heading (or control label) of a part of an answer, e.g. "Källor"."""
    return (kb.phrases.get("part_titles") or {}).get(kind)


def topic_payload(topic_id: str) -> str:
    """The button payload that asks for a topic: Rasa reads '/intent' as that intent."""
    return f"/{topic_id}"


def topic_buttons(kb: KnowledgeBase, topic_ids: Iterable[str]) -> list[dict]:
    return [{"title": kb.articles[t].title, "payload": topic_payload(t)} for t in topic_ids if t in kb.articles]


def reader_steps(kb: KnowledgeBase, article: Article, role: str | None = None) -> list[str]:
    """The article's steps as advice for this reader (see for_reader); a step left empty goes."""
    return [kept for kept in (for_reader(kb, step, role) for step in article.steps) if kept]


def steps_text(kb: KnowledgeBase, article: Article, role: str | None = None) -> str:
    lines = [f"{i}. {step}" for i, step in enumerate(reader_steps(kb, article, role), 1)]
    return "\n".join([kb.phrases["steps_heading"], *lines])


def lead_message(article: Article, kb: KnowledgeBase | None = None, role: str | None = None) -> Message | None:
    """What to do now, in one or two sentences: the first thing anyone reads. None when none
    of it is advice for this reader (a manager's lead that says "tell your manager")."""
    text = for_reader(kb, article.summary, role) if kb else article.summary
    return message(text, kind=contract.KIND_LEAD) if text else None


def steps_message(kb: KnowledgeBase, article: Article, role: str | None = None) -> Message:
    return message(
        steps_text(kb, article, role),
        kind=contract.KIND_STEPS,
        title=part_title(kb, contract.KIND_STEPS),
        items=[item(step) for step in reader_steps(kb, article, role)],
    )


def channel_href(channel: Channel) -> str | None:
    """How a click reaches the channel: its phone first (a person in a hurry calls), then
    e-mail, then its web page."""
    if channel.phone:
        return tel_href(channel.phone)
    if channel.email:
        return f"mailto:{channel.email}"
    return channel.url


def channels_message(
    kb: KnowledgeBase, keys: Iterable[str], heading_key: str = "channels_heading", role: str | None = None
) -> Message:
    # A channel whose line is no advice for this reader ("Din närmaste chef – Berätta för din
    # chef …" for a manager) is left out.
    channels = [c for c in (kb.channel(k) for k in keys) if not _not_for(kb, c.how_to_reach(), role)]
    lines = [c.how_to_reach() for c in channels]
    text = "\n".join([kb.phrases[heading_key], *(f"- {line}" for line in lines)])
    links = [{"title": c.name, "url": c.url} for c in channels if c.url]
    items = [item(line, channel_href(c)) for c, line in zip(channels, lines, strict=True)]
    return message(
        text, links=links, kind=contract.KIND_CONTACTS, title=part_title(kb, contract.KIND_CONTACTS), items=items
    )


def sources_message(kb: KnowledgeBase, article: Article) -> Message:
    lines = [f"- {s.title} ({s.publisher}, {s.year}): {s.url}" for s in article.sources]
    links = [{"title": s.title, "url": s.url} for s in article.sources]
    items = [item(f"{s.title} ({s.publisher}, {s.year})", s.url) for s in article.sources]
    return message(
        "\n".join([kb.phrases["sources_heading"], *lines]),
        links=links,
        kind=contract.KIND_SOURCES,
        title=part_title(kb, contract.KIND_SOURCES),
        items=items,
    )


def emergency_message(kb: KnowledgeBase) -> Message:
    return message(
        kb.phrases["emergency_line"],
        kind=contract.KIND_EMERGENCY,
        title=part_title(kb, contract.KIND_EMERGENCY),
        items=[item(kb.phrases["emergency_call"], channel_href(kb.channel(EMERGENCY_CHANNEL)))],
    )


def _unsaid(section: str, said: set[str]) -> str:
    """The section without the sentences already said (in the lead and steps above it): a list
    line said whole goes, a paragraph keeps its other sentences."""
    lines = []
    for line in section.split("\n"):
        mark = _LIST_MARK.match(line)
        prefix = mark.group(0) if mark else ""
        kept = [s for s in sentences(line[len(prefix) :]) if sentence_key(s) not in said]
        if kept or not prefix:
            lines.append(prefix + " ".join(kept))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def plain_text(markdown: str) -> str:
    """An article section as chat text: a bold line becomes "Sub-heading:", other bold marks go."""
    return _BOLD.sub(r"\1", _BOLD_LINE.sub(lambda m: m.group(1).rstrip(":.") + ":", markdown))


def audience_message(article: Article, role: str | None, said: Iterable[str] = ()) -> Message | None:
    """The article's section for the asker's role ("För dig som chef"), if it has one, without
    the sentences in `said` (what the answer already says)."""
    section = article.audience_section(role) if role else None
    if not section or role is None:
        return None
    section = plain_text(_unsaid(section, {sentence_key(s) for text in said for s in sentences(text)}))
    return message(f"{AUDIENCE_HEADINGS[role]}:\n{section}") if section else None


@lru_cache(maxsize=1)
def incident_record() -> IncidentRecord:
    """knowledge/incident_record.yml, read once per process on first use."""
    return load_incident_record()


def article_messages(
    kb: KnowledgeBase, topic_id: str, emergency: bool = False, role: str | None = None
) -> list[Message]:
    """The answer for a topic: what to do now first, then whom to contact, then sources.

    With `emergency`, the 112 line comes first whatever the topic is: a false alarm costs a
    line, a missed emergency costs far more. With a known `role`, that audience's section
    follows the steps, without what they already said; an emergency answer stays short and
    leaves it out. A manager gets no advice to tell their manager (for_reader).
    """
    article = kb.articles[topic_id]
    out: list[Message] = [emergency_message(kb)] if emergency else []
    lead = lead_message(article, kb, role)
    steps = steps_message(kb, article, role)
    record = incident_record()
    # The record is written in the browser only (issue 18): the chat links to it, never asks.
    if topic_id in record.offered_from:
        steps["links"] = [*steps["links"], record.link]
    out.extend([m for m in (lead, steps) if m])
    said = [article.summary, *article.steps]
    section = None if emergency else audience_message(article, role, said)
    if section:
        out.append(section)
    out.append(channels_message(kb, article.channels, role=role))
    sources = sources_message(kb, article)
    sources["buttons"] = topic_buttons(kb, article.related)
    out.append(sources)
    return out


def quick_help_buttons(kb: KnowledgeBase) -> list[dict]:
    return topic_buttons(kb, kb.phrases["quick_help_topics"])


def suggestion_messages(kb: KnowledgeBase, topic_ids: list[str]) -> list[Message]:
    """When unsure: offer the likeliest topics as buttons and say whom to contact."""
    return [
        message(kb.phrases["suggestions_intro"], buttons=topic_buttons(kb, topic_ids)),
        channels_message(kb, kb.phrases["quick_help_channels"], "contacts_heading"),
    ]


def alternatives_message(kb: KnowledgeBase, topic_ids: list[str]) -> Message:
    """Beside an answer the classifier was in doubt about: "Menade du …?" with other topics."""
    return message(kb.phrases["alternatives_intro"], buttons=topic_buttons(kb, topic_ids), kind=contract.KIND_QUESTION)


def out_of_scope_messages(kb: KnowledgeBase) -> list[Message]:
    return [message(kb.phrases["out_of_scope"], buttons=quick_help_buttons(kb))]


def degraded_messages(kb: KnowledgeBase, topic_ids: list[str] | None = None) -> list[Message]:
    """The engine is down and the question is not an emergency: the articles a search found
    (when any), else the quick-help menu; always the contacts."""
    if topic_ids:
        first = message(kb.phrases["degraded_suggestions"], buttons=topic_buttons(kb, topic_ids))
    else:
        first = message(kb.phrases["degraded_intro"], buttons=quick_help_buttons(kb))
    return [first, channels_message(kb, kb.phrases["quick_help_channels"], "contacts_heading")]
