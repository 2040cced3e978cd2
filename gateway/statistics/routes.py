"""GET /statistik (charts and tables) and /statistik.csv, behind a token or basic auth."""

from __future__ import annotations

import logging
import math
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from gateway.deps import AppState, State
from gateway.errors import ApiError
from gateway.statistics import auth, views
from gateway.statistics.period import MAX_DAYS, Period, PeriodError, month_of, parse_period
from gateway.statistics.recorder import channel_name
from gateway.statistics.store import COUNTERS, UNKNOWN, StatisticsStoreError
from gateway.statistics.summary import Labels, csv_text, load_strings, summarize

log = logging.getLogger(__name__)
router = APIRouter()
NO_STORE = {"Cache-Control": "no-store"}  # figures behind a login: no shared caches


async def require_access(request: Request, state: State) -> None:
    from limits.errors import StorageError

    try:
        await _check_access(request, state)
    except StorageError as exc:
        # The shared lockout counters (Redis) do not answer. Closed, not open: without them a
        # password could be guessed at full speed. The statistics can wait; a person in danger
        # never needs this page.
        log.warning("inloggningsspärren i Redis svarar inte (%s)", type(exc.storage_error).__name__)
        raise ApiError(
            503,
            "login_unavailable",
            load_strings()["errors"]["login_unavailable"],
            headers={"Retry-After": "30", **NO_STORE},
        ) from None


async def _check_access(request: Request, state: State) -> None:
    client = request.client.host if request.client else ""
    if wait := await state.logins.locked(client):
        raise ApiError(
            429,
            "locked_out",
            load_strings()["errors"]["locked_out"],
            headers={"Retry-After": str(math.ceil(wait)), **NO_STORE},
        )
    authorization = request.headers.get("authorization")
    if auth.allowed(state.settings, authorization):
        await state.logins.succeeded(client)
    else:
        if authorization:  # a browser's first request without credentials is no failed login
            await state.logins.failed(client)
        key = "unauthorized" if auth.configured(state.settings) else "not_configured"
        raise ApiError(
            401,
            "unauthorized",
            load_strings()["errors"][key],
            headers={"WWW-Authenticate": auth.challenge(state.settings), **NO_STORE},
        )


PeriodQuery = Annotated[str, Query(max_length=40)]
ChannelQuery = Annotated[str, Query(max_length=40)]


def _filters(state: AppState, period: str, channel: str) -> tuple[Period, str | None]:
    """The chosen period (this month when none) and channel (None = all).

    Raises PeriodError for a period or channel that cannot be read (its key names the message).
    """
    chosen = parse_period(period) if period.strip() else month_of(state.statistics.today())
    channel = channel.strip()
    if channel and channel_name(channel) == UNKNOWN and channel != UNKNOWN:
        raise PeriodError("channel")
    return chosen, channel or None


@router.get("/statistik", response_class=HTMLResponse, include_in_schema=False, dependencies=[Depends(require_access)])
async def statistics_page(state: State, period: PeriodQuery = "", channel: ChannelQuery = "") -> HTMLResponse:
    """Charts and tables of a period, for one channel or all."""
    strings = load_strings()
    labels = Labels(strings, state.kb)
    context: dict[str, Any] = {
        "s": strings,
        "organisation": state.kb.organisation.name,
        "period_text": period.strip(),
        "channel": channel.strip(),
        "channels": [],
        "error": None,
        "summary": None,
    }
    status = 200
    try:
        chosen, channel_filter = _filters(state, period, channel)
        rows = await state.statistics.rows(chosen.start, chosen.end, channel_filter)
        known = await state.statistics.channels()
        summary = summarize(rows, chosen, channel_filter)
        unanswered = await state.statistics.unanswered(chosen.start, chosen.end, channel_filter)
    except PeriodError as exc:
        context["error"], status = strings["errors"][exc.key].format(days=MAX_DAYS), 422
    except StatisticsStoreError:
        context["error"], status = strings["errors"]["database"], 503
    else:
        context.update(
            period_text=period.strip() or chosen.label,
            summary=summary,
            labels=labels,
            counters=COUNTERS,
            channels=[(c, labels.channel(c)) for c in known],
            charts=views.chart_list(summary, labels),
            tables=views.tables(summary, labels),
            unanswered=unanswered,
            store_unanswered=state.statistics.store_unanswered,
            retention_days=state.statistics.retention_days,
            csv_query={"period": chosen.label, **({"channel": channel_filter} if channel_filter else {})},
        )
    html = views.templates().get_template("statistik.html").render(**context)
    return HTMLResponse(html, status_code=status, headers=NO_STORE)


@router.get("/statistik.csv", include_in_schema=False, dependencies=[Depends(require_access)])
async def statistics_csv(state: State, period: PeriodQuery = "", channel: ChannelQuery = "") -> Response:
    """The period's rows (day × topic × channel × audience) as CSV for Excel and other tools."""
    strings = load_strings()
    try:
        chosen, channel_filter = _filters(state, period, channel)
    except PeriodError as exc:
        raise ApiError(422, "invalid_request", strings["errors"][exc.key].format(days=MAX_DAYS)) from exc
    try:
        rows = await state.statistics.rows(chosen.start, chosen.end, channel_filter)
    except StatisticsStoreError as exc:
        raise ApiError(503, "statistics_unavailable", strings["errors"]["database"]) from exc
    filename = views.csv_filename(chosen.label, channel_filter)
    return Response(
        csv_text(rows, Labels(strings, state.kb)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', **NO_STORE},
    )


@router.get("/statistik/statistik.css", include_in_schema=False)
async def statistics_css() -> Response:
    # Its own file rather than inline styles: the gateway's CSP allows stylesheets from 'self' only.
    return Response(
        views.stylesheet(), media_type="text/css; charset=utf-8", headers={"Cache-Control": "public, max-age=300"}
    )
