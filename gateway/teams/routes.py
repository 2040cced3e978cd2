"""POST /api/messages: the Teams endpoint (Azure Bot Service's messaging endpoint).

Checks the caller (gateway.teams.auth), then the activity's shape, and only then hands it to
the Agents SDK's adapter – so a bad call gets a Swedish JSON error, never a 500.
"""

from __future__ import annotations

import json
import logging
from contextlib import asynccontextmanager
from typing import cast

from fastapi import APIRouter, FastAPI, Request, Response
from microsoft_agents.activity import Activity, DeliveryModes
from pydantic import ValidationError

from gateway import errors
from gateway.errors import ApiError
from gateway.schemas import ErrorResponse
from gateway.teams.auth import authorize, check_service_url
from gateway.teams.bot import TeamsBot
from gateway.teams.cards import PAGE_BASE

log = logging.getLogger("lotsen.teams")


@asynccontextmanager
async def lifespan(app: FastAPI):
    # Built here, not at import: it needs the settings, and a bad Teams configuration must
    # stop the start rather than the first call.
    app.state.teams = TeamsBot.build(app.state.lotsen)
    yield


router = APIRouter(lifespan=lifespan)


def _bot(request: Request) -> TeamsBot:
    bot = getattr(request.app.state, "teams", None)
    if bot is None:
        raise ApiError(503, "teams_not_started", errors.text("teams_not_started"))
    return bot


async def _activity(request: Request) -> Activity:
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ApiError(400, "invalid_json", errors.text("invalid_json")) from exc
    conversation = body.get("conversation") if isinstance(body, dict) else None
    if (
        not isinstance(body, dict)
        or not isinstance(body.get("type"), str)
        or not (isinstance(conversation, dict) and isinstance(conversation.get("id"), str) and conversation["id"])
    ):
        raise ApiError(422, "invalid_activity", errors.text("activity_without_type"))
    try:
        activity = Activity.model_validate(body)
    except (ValidationError, ValueError) as exc:
        raise ApiError(422, "invalid_activity", errors.text("invalid_activity")) from exc
    if not activity.service_url and activity.delivery_mode != DeliveryModes.expect_replies:
        raise ApiError(422, "invalid_activity", errors.text("activity_without_service_url"))
    return activity


@router.post(
    "/api/messages",
    status_code=202,
    responses={
        400: {"model": ErrorResponse},
        401: {"model": ErrorResponse},
        403: {"model": ErrorResponse},
        413: {"model": ErrorResponse},
        422: {"model": ErrorResponse},
        503: {"model": ErrorResponse},
    },
)
async def messages(request: Request) -> Response:
    """One activity from Teams; the answer goes back to its serviceUrl (or in the body for expectReplies)."""
    bot = _bot(request)
    identity = await authorize(request.headers.get("Authorization"), bot.config)
    activity = await _activity(request)
    check_service_url(identity, activity.service_url)
    # The SDK's adapter reads the caller's identity from here (FastApiRequestAdapter).
    request.state.claims_identity = identity
    # Our page links in the answer (printable summaries) open at the address Teams used.
    base = PAGE_BASE.set(str(request.base_url))
    try:
        # Typed Optional, but _to_fastapi_response always builds one (SDK 1.9.0).
        return cast(Response, await bot.adapter.process(request, bot.app))
    except Exception as exc:
        # Turn errors are answered inside the turn (TeamsBot); what reaches here failed before
        # it, e.g. no token for the reply from Entra ID. Bot Service may retry a 503.
        log.error("Teams activity not processed: %s", type(exc).__name__)
        raise ApiError(503, "teams_unavailable", errors.text("teams_unavailable")) from exc
    finally:
        PAGE_BASE.reset(base)
