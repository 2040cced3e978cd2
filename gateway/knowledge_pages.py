"""The web material: /kunskap (topics by group, search) and /kunskap/{id} (one article),
plus GET /api/search for other clients. Pages are rendered from Jinja2 templates with
autoescaping; article Markdown goes through markdown-it-py with raw HTML disabled.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markdown_it import MarkdownIt

from gateway.deps import State
from gateway.schemas import ErrorResponse
from knowledge import render
from knowledge.dilemmas import load_dilemmas
from knowledge.flows import known_values, load_flows
from knowledge.loader import KnowledgeBase
from knowledge.process_review import FLOW as PROCESS_REVIEW_FLOW
from knowledge.process_review import load_process_review
from knowledge.search import KnowledgeSearch

TEMPLATES = Path(__file__).resolve().parent / "templates"
router = APIRouter()


@functools.cache
def _environment() -> Environment:
    """One template environment per process: it compiles each template once, for every app
    built in the process (the unit tests build dozens)."""
    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))


@functools.lru_cache(maxsize=256)
def _render_body(body: str) -> str:
    """An article body as HTML; by content, so apps built from the same articles share it."""
    return MarkdownIt("commonmark", {"html": False}).render(body)


class KnowledgePages:
    """Templates and pre-rendered article bodies, built once at start."""

    def __init__(self, kb: KnowledgeBase, search: KnowledgeSearch) -> None:
        self.kb = kb
        self.search = search
        self.env = _environment()
        self.bodies = {aid: _render_body(a.body) for aid, a in kb.articles.items()}
        self.record = render.incident_record()
        # The article whose page carries the incident record form: "/kunskap/dokumentera#…".
        self.record_topic = self.record.texts["url"].split("#")[0].rstrip("/").rsplit("/", 1)[-1]
        self.dilemmas = load_dilemmas()
        self.flows = load_flows()
        self.process_review = load_process_review(flow=self.flows.flows[PROCESS_REVIEW_FLOW])

    def _render(self, template: str, **context) -> str:
        return self.env.get_template(template).render(organisation=self.kb.organisation.name, **context)

    def index(self, query: str = "") -> str:
        titles = self.kb.phrases["group_titles"]
        groups = [
            {"key": key, "title": titles.get(key, key), "articles": articles}
            for key, articles in self.kb.groups().items()
        ]
        hits = [self.kb.articles[h.topic] for h in self.search.search(query, limit=5)] if query else []
        return self._render(
            "index.html", groups=groups, query=query, hits=hits, tools=self.kb.phrases.get("page_tools")
        )

    def article(self, topic_id: str) -> str:
        article = self.kb.articles[topic_id]
        return self._render(
            "article.html",
            article=article,
            body_html=self.bodies[topic_id],
            channels=self.kb.channels_for(article),
            group_title=self.kb.phrases["group_titles"].get(article.group, ""),
            related=[self.kb.articles[r] for r in article.related],
            record=self.record if topic_id == self.record_topic else None,
        )

    def dilemmas_page(self) -> str:
        """The APT-underlag: every case with its questions, the answer key at the end."""
        titles = {aid: a.title for aid, a in self.kb.articles.items()}
        return self._render("dilemmas.html", d=self.dilemmas, titles=titles)

    def process_review_page(self, query: Mapping[str, str]) -> str:
        chosen = self.process_review.prefilled(query)
        return self._render("process_review.html", r=self.process_review.data, chosen=chosen)

    def flow_summary(self, flow_name: str, query: Mapping[str, str]) -> tuple[str, int]:
        """A flow's outcome to print, from the options in the query: (page, status).

        Only complete, known options are used; a query lacking any gives the page's Swedish
        explanation with 400, never a guess."""
        flow = self.flows.flows[flow_name]
        page = flow.extra["print_page"]
        answers = flow.answers_from_query(query)
        if not flow.is_complete(answers):
            return self._render("flow_summary.html", page=page, summary=None), 400
        rule = flow.outcome(answers)
        phrases = self.kb.phrases
        verdict = (flow.extra.get("verdicts") or {}).get(rule.get("verdict")) or {}
        summary = {
            "date": date.today().isoformat(),
            "emergency": phrases["emergency_line"] if rule.get("emergency") else None,
            "verdict": verdict.get("title"),
            "reason_heading": phrases["reason_heading"],
            "reason": rule.get("reason"),
            "next_step_heading": phrases["next_step_heading"],
            "next_step": rule.get("next_step") or verdict.get("next_step"),
            "answers_heading": phrases["answers_heading"].rstrip(":"),
            "answers": [(q.label, o.label) for q, o in known_values(flow, answers)],
            "channels": [self.kb.channel(key) for key in rule.get("channels") or []],
            "sources": self.kb.articles[flow.topic].sources,
        }
        return self._render("flow_summary.html", page=page, summary=summary), 200

    def not_found(self) -> str:
        return self._render("not_found.html")


MAX_QUERY = 200
# The flow whose outcome /kunskap/hotniva prints (knowledge/flows.yml, print_page).
RISK_LEVEL_FLOW = "risk_level"


@router.get("/kunskap", response_class=HTMLResponse)
async def knowledge_index(state: State, q: str = "") -> HTMLResponse:
    """All topics grouped as in the taxonomy, with an optional search."""
    # A page for people: an over-long query is shortened rather than answered with an error.
    return HTMLResponse(state.pages.index(q.strip()[:MAX_QUERY]))


# Before /kunskap/{topic_id}: "ova" is a page of its own, not a topic.
@router.get("/kunskap/ova", response_class=HTMLResponse)
async def dilemma_practice(state: State) -> HTMLResponse:
    """Dilemmas to discuss at the arbetsplatsträff, printable, with an answer key."""
    return HTMLResponse(state.pages.dilemmas_page())


@router.get("/kunskap/granska", response_class=HTMLResponse)
async def process_review(state: State, request: Request) -> HTMLResponse:
    """A process review for verksamhetsutvecklare: risks and measures, ranked in the browser.

    The chat's link carries the chosen options in the query (keys only); anything else in it
    is ignored, so a hand-edited link still gives the page."""
    return HTMLResponse(state.pages.process_review_page(request.query_params))


@router.get(
    "/kunskap/hotniva",
    response_class=HTMLResponse,
    responses={400: {"description": "Svaren saknas (HTML-sida på svenska)", "content": {"text/html": {}}}},
)
async def risk_level_summary(state: State, request: Request) -> HTMLResponse:
    """The manager's risk level to print: level, answers, actions, contacts, date.

    The chat's link carries the chosen options (keys only); unknown keys are ignored."""
    page, status = state.pages.flow_summary(RISK_LEVEL_FLOW, request.query_params)
    return HTMLResponse(page, status_code=status)


@router.get(
    "/kunskap/{topic_id}",
    response_class=HTMLResponse,
    responses={404: {"description": "Ämnet finns inte (HTML-sida på svenska)", "content": {"text/html": {}}}},
)
async def knowledge_article(topic_id: str, state: State) -> HTMLResponse:
    """One article: what to do now, contacts, sections per audience, sources."""
    if topic_id not in state.kb.articles:
        return HTMLResponse(state.pages.not_found(), status_code=404)
    return HTMLResponse(state.pages.article(topic_id))


@router.get("/api/search", responses={422: {"model": ErrorResponse}, 429: {"model": ErrorResponse}})
async def search(state: State, q: Annotated[str, Query(min_length=1, max_length=200)]) -> dict:
    """Articles ranked for a free-text query (Swedish inflection, compounds and typos)."""
    hits = state.search.search(q, limit=5)
    return {
        "query": q,
        "results": [
            {
                "id": h.topic,
                "title": state.kb.articles[h.topic].title,
                "summary": state.kb.articles[h.topic].summary,
                "score": h.score,
                "url": f"/kunskap/{h.topic}",
            }
            for h in hits
        ],
    }
