"""Turn knowledge-base content into chat messages any channel can show.

Used by the engine's actions and by the gateway's degraded mode, so an answer looks the same
whether or not the engine is up. A message is a plain dict: {"text", "buttons", "links"}, where
buttons are {"title", "payload"} and links are {"title", "url"}. Text carries URLs inline too,
for channels that show neither buttons nor links.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Iterable

from knowledge.incident_record import IncidentRecord, load_incident_record
from knowledge.loader import AUDIENCE_HEADINGS, Article, KnowledgeBase

Message = dict[str, Any]


def message(text: str, buttons: list[dict] | None = None, links: list[dict] | None = None) -> Message:
    return {"text": text, "buttons": buttons or [], "links": links or []}


def topic_payload(topic_id: str) -> str:
    """The button payload that asks for a topic: Rasa reads '/intent' as that intent."""
    return f"/{topic_id}"


def topic_buttons(kb: KnowledgeBase, topic_ids: Iterable[str]) -> list[dict]:
    return [{"title": kb.articles[t].title, "payload": topic_payload(t)} for t in topic_ids if t in kb.articles]


def steps_text(kb: KnowledgeBase, article: Article) -> str:
    lines = [f"{i}. {step}" for i, step in enumerate(article.steps, 1)]
    return "\n".join([kb.phrases["steps_heading"], *lines])


def channels_message(kb: KnowledgeBase, keys: Iterable[str], heading_key: str = "channels_heading") -> Message:
    channels = [kb.channel(k) for k in keys]
    text = "\n".join([kb.phrases[heading_key], *(f"- {c.how_to_reach()}" for c in channels)])
    links = [{"title": c.name, "url": c.url} for c in channels if c.url]
    return message(text, links=links)


def sources_message(kb: KnowledgeBase, article: Article) -> Message:
    lines = [f"- {s.title} ({s.publisher}, {s.year}): {s.url}" for s in article.sources]
    links = [{"title": s.title, "url": s.url} for s in article.sources]
    return message("\n".join([kb.phrases["sources_heading"], *lines]), links=links)


def emergency_message(kb: KnowledgeBase) -> Message:
    return message(kb.phrases["emergency_line"])


def audience_message(article: Article, role: str | None) -> Message | None:
    """The article's section for the asker's role ("För dig som chef"), if it has one."""
    section = article.audience_section(role) if role else None
    if not section:
        return None
    return message(f"{AUDIENCE_HEADINGS[role]}:\n{section}")


@lru_cache(maxsize=1)
def incident_record() -> IncidentRecord:
    """knowledge/incident_record.yml, read once per process on first use."""
    return load_incident_record()


def article_messages(kb: KnowledgeBase, topic_id: str, emergency: bool = False, role: str | None = None) -> list[Message]:
    """The answer for a topic: what to do now first, then whom to contact, then sources.

    With `emergency`, the 112 line comes first whatever the topic is: a false alarm costs a
    line, a missed emergency costs far more. With a known `role`, that audience's section
    follows the steps; an emergency answer stays short and leaves it out.
    """
    article = kb.articles[topic_id]
    out: list[Message] = [emergency_message(kb)] if emergency else []
    record = incident_record()
    # The record is written in the browser only (issue 18): the chat links to it, never asks.
    links = [record.link] if topic_id in record.offered_from else []
    out.append(message(f"{article.summary}\n\n{steps_text(kb, article)}", links=links))
    section = None if emergency else audience_message(article, role)
    if section:
        out.append(section)
    out.append(channels_message(kb, article.channels))
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
