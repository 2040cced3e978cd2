"""GET/POST /statistik/granska: the editorial team teaches the assistant what it did not understand.

The list shows the kept questions (rejected, unsure, or answered with a "Nej"), newest first,
each with the assistant's three likeliest topics; a plain HTML form per question assigns a
topic (or out_of_scope) or discards it. An assigned question is appended to
nlu_data/reviewed.yml, or, when the tree is read-only or LOTSEN_REVIEW_EXPORT_ONLY is set,
kept for the download of that file. Either way it leaves the list.

Same access as /statistik. The page is authenticated by a header the browser resends on its
own (basic auth) and so could be the target of a forged cross-site form: every form carries
a token derived from the server secret and the credentials, and a POST from another origin
is refused. Nothing here is cached or framed.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import hmac
from pathlib import Path
from typing import Annotated
from urllib.parse import parse_qs, urlencode, urlsplit

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from gateway.deps import AppState, State
from gateway.statistics import views
from gateway.statistics.reviewed_file import FILE_NAME, OUT_OF_SCOPE, ReviewConflict, ReviewedFile
from gateway.statistics.routes import require_access
from gateway.statistics.store import StatisticsStoreError
from gateway.statistics.summary import Labels, load_strings

router = APIRouter()
PATH = "/statistik/granska"
# Behind a login, about questions people asked: never stored by a cache. Never framed either:
# gateway.security.SecurityHeaders sends every /statistik page with frame-ancestors 'none'.
PRIVATE = {"Cache-Control": "no-store"}
DONE = ("assigned", "assigned_export", "already", "discarded", "gone")
MAX_FORM_BYTES = 4096


@functools.lru_cache(maxsize=4)
def reviewed_file(path: Path, export_only: bool) -> ReviewedFile:
    """One writer per file in this process (it holds the lock that orders the writes)."""
    return ReviewedFile(path, export_only)


def _reviewed(state: AppState) -> ReviewedFile:
    return reviewed_file(state.settings.review_file.resolve(), state.settings.review_export_only)


def csrf_token(state: AppState, request: Request) -> str:
    """Bound to the server secret and to the credentials the browser sends: a page of another
    site can neither read nor compute it."""
    credentials = (request.headers.get("authorization") or "").encode()
    return hmac.new(state.secret, b"statistik-granska\0" + credentials, hashlib.sha256).hexdigest()


def same_origin(request: Request) -> bool:
    """Browsers send Origin (and Sec-Fetch-Site) with a form POST: it must be this host."""
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    if origin is None:
        return True
    return urlsplit(origin).netloc.lower() == (request.headers.get("host") or "").lower()


def _choices(state: AppState, labels: Labels, strings: dict) -> list[tuple[str, str]]:
    topics = sorted(state.kb.topics, key=labels.topic)
    return [(t, labels.topic(t)) for t in topics] + [(OUT_OF_SCOPE, strings["review"]["out_of_scope_option"])]


def _intent_label(state: AppState, labels: Labels, strings: dict, intent: str) -> str:
    return strings["review"]["out_of_scope_option"] if intent == OUT_OF_SCOPE else labels.topic(intent)


async def _page(
    state: AppState,
    request: Request,
    *,
    error: str | None = None,
    status: int = 200,
    done: str | None = None,
    done_topic: str | None = None,
) -> HTMLResponse:
    strings = load_strings()
    labels = Labels(strings, state.kb)
    writer = _reviewed(state)
    context = {
        "s": strings,
        "r": strings["review"],
        "organisation": state.kb.organisation.name,
        "labels": labels,
        "store_unanswered": state.statistics.store_unanswered,
        "retention_days": state.settings.unanswered_retention_days,
        "items": [],
        "total": 0,
        "exported": 0,
        "error": error,
        "csrf": csrf_token(state, request),
        "choices": _choices(state, labels, strings),
        "export_only": not writer.writable(),
        "done": None,
    }
    if done in DONE:
        topic = _intent_label(state, labels, strings, done_topic) if done_topic else ""
        context["done"] = strings["review"]["done"][done].format(topic=topic)
    try:
        context["items"] = await state.statistics.review_items()
        context["total"] = await state.statistics.review_count()
        context["exported"] = len(await state.statistics.assigned())
    except StatisticsStoreError:
        context["error"], status = strings["errors"]["database"], 503
    html = views.templates().get_template("granska.html").render(**context)
    return HTMLResponse(html, status_code=status, headers=PRIVATE)


DoneQuery = Annotated[str, Query(max_length=20)]
TopicQuery = Annotated[str, Query(max_length=64)]


@router.get(PATH, response_class=HTMLResponse, include_in_schema=False, dependencies=[Depends(require_access)])
async def review_page(request: Request, state: State, klart: DoneQuery = "", amne: TopicQuery = "") -> HTMLResponse:
    """The questions to review, newest first, each with its form."""
    known = amne in state.kb.topics or amne == OUT_OF_SCOPE
    return await _page(state, request, done=klart or None, done_topic=amne if known else None)


@router.post(PATH, include_in_schema=False, dependencies=[Depends(require_access)])
async def review_action(request: Request, state: State) -> Response:
    """Assign a topic to one question (written to reviewed.yml) or discard it."""
    errors = load_strings()["review"]["errors"]
    body = await request.body()
    form = {k: v[-1] for k, v in parse_qs(body[:MAX_FORM_BYTES].decode("utf-8", "replace")).items()}
    given = form.get("csrf", "").encode()  # bytes: compare_digest refuses non-ASCII text
    if not same_origin(request) or not hmac.compare_digest(given, csrf_token(state, request).encode()):
        return await _page(state, request, error=errors["csrf"], status=403)
    raw_id = form.get("item", "")
    if not (raw_id.isascii() and raw_id.isdigit() and 0 < len(raw_id) <= 18):
        return await _page(state, request, error=errors["item"], status=422)
    item_id = int(raw_id)
    try:
        item = await state.statistics.review_item(item_id)
        if item is None:
            return _redirect("gone")
        if form.get("action") == "discard":
            await state.statistics.remove(item_id)
            return _redirect("discarded")
        intent = form.get("topic") or (form.get("other") if form.get("action") == "assign" else "")
        if intent not in state.kb.topics and intent != OUT_OF_SCOPE:
            return await _page(state, request, error=errors["topic"], status=422)
        return await _assign(state, request, item_id, item.text, intent)
    except StatisticsStoreError:
        return await _page(state, request, error=load_strings()["errors"]["database"], status=503)


async def _assign(state: AppState, request: Request, item_id: int, text: str, intent: str) -> Response:
    errors = load_strings()["review"]["errors"]
    writer = _reviewed(state)
    try:
        if writer.writable():
            try:
                added = await asyncio.to_thread(writer.append, intent, text)
            except OSError:
                added = None  # a read-only tree after all: keep it for the download instead
            if added is not None:
                await state.statistics.remove(item_id)
                return _redirect("assigned" if added else "already", intent)
        if not await asyncio.to_thread(writer.check, intent, text):
            await state.statistics.remove(item_id)
            return _redirect("already", intent)
    except ReviewConflict as conflict:
        strings = load_strings()
        topic = _intent_label(state, Labels(strings, state.kb), strings, conflict.intent)
        return await _page(state, request, error=errors["conflict"].format(topic=topic), status=409)
    await state.statistics.mark_assigned(item_id, intent)
    return _redirect("assigned_export", intent)


def _redirect(done: str, topic: str | None = None) -> RedirectResponse:
    # Post/redirect/get: reloading the page never sends the form again.
    query = urlencode({"klart": done, **({"amne": topic} if topic else {})})
    return RedirectResponse(f"{PATH}?{query}", status_code=303, headers=PRIVATE)


@router.get(f"{PATH}/{FILE_NAME}", include_in_schema=False, dependencies=[Depends(require_access)])
async def review_download(state: State) -> Response:
    """reviewed.yml as it would be with the questions assigned in export-only mode."""
    try:
        assigned = await state.statistics.assigned()
    except StatisticsStoreError:
        return Response(
            load_strings()["errors"]["database"],
            status_code=503,
            media_type="text/plain; charset=utf-8",
            headers=PRIVATE,
        )
    content = await asyncio.to_thread(_reviewed(state).download, assigned)
    return Response(
        content,
        media_type="application/yaml; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{FILE_NAME}"', **PRIVATE},
    )
