"""The demo intranet page and the widget script."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from gateway.deps import State

router = APIRouter()


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def demo_page(state: State) -> HTMLResponse:
    """An example intranet page with the widget embedded."""
    return HTMLResponse(state.assets.demo_html)


@router.get("/widget.js", include_in_schema=False)
async def widget_js(state: State) -> Response:
    return Response(
        state.assets.widget_js,
        media_type="text/javascript; charset=utf-8",
        headers={"Cache-Control": "public, max-age=300"},
    )


@router.get("/static/page.css", include_in_schema=False)
async def page_css(state: State) -> Response:
    return Response(state.assets.page_css, media_type="text/css; charset=utf-8")


@router.get("/static/incident_record.js", include_in_schema=False)
async def incident_record_js(state: State) -> Response:
    return Response(state.assets.incident_record_js, media_type="text/javascript; charset=utf-8")


@router.get("/static/process_review.js", include_in_schema=False)
async def process_review_js(state: State) -> Response:
    return Response(state.assets.process_review_js, media_type="text/javascript; charset=utf-8")
