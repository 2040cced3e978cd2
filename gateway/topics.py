"""GET /api/topics and /api/topics/{id}: the knowledge base for other clients."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter

from gateway import errors
from gateway.deps import State
from gateway.errors import ApiError
from gateway.schemas import ErrorResponse
from knowledge.loader import ELECTED_HEADING, SIGNS_HEADING, KnowledgeBase

router = APIRouter()


def article_json(kb: KnowledgeBase, topic_id: str) -> dict:
    article = kb.articles[topic_id]
    return {
        "id": article.id,
        "title": article.title,
        "group": article.group,
        "audiences": list(article.audiences),
        "summary": article.summary,
        "simple": article.simple,
        "steps": list(article.steps),
        "sections": {a: article.audience_section(a) for a in article.audiences},
        # Not an audience of the chat (no role button), so beside "sections"; null when absent.
        "elected_officials": article.sections.get(ELECTED_HEADING),
        "background": article.sections.get("Bakgrund"),
        "signs": article.sections.get(SIGNS_HEADING),
        "mistakes": article.sections.get("Vanliga misstag"),
        "sources": [asdict(s) for s in article.sources],
        "channels": [asdict(c) for c in kb.channels_for(article)],
        "related": [{"id": r, "title": kb.articles[r].title} for r in article.related],
        "reviewed": article.reviewed.isoformat(),
        "owner": article.owner,
        "organisation": kb.organisation.name,
    }


@router.get("/api/topics")
async def list_topics(state: State) -> dict:
    """All topics, grouped as in the taxonomy, with their first answer."""
    kb = state.kb
    return {
        "organisation": kb.organisation.name,
        "topics": [
            {"id": a.id, "title": a.title, "group": a.group, "summary": a.summary}
            for group in kb.groups().values()
            for a in group
        ],
    }


@router.get("/api/topics/{topic_id}", responses={404: {"model": ErrorResponse}})
async def get_topic(topic_id: str, state: State) -> dict:
    """One article with its steps, sections, sources and the organisation's channels."""
    if topic_id not in state.kb.articles:
        raise ApiError(404, "unknown_topic", errors.text("unknown_topic"))
    return article_json(state.kb, topic_id)
