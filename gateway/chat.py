"""POST /api/chat: one turn of the conversation."""
from __future__ import annotations

import secrets

from fastapi import APIRouter

from gateway.answers import engine_answer, fallback_answer, payload_topic
from gateway.deps import AppState, State
from gateway.engine import EngineUnavailable
from gateway.errors import ApiError
from gateway.schemas import ChatRequest, ChatResponse, ErrorResponse
from gateway.typed_text import as_typed_text

router = APIRouter()


def new_session_id() -> str:
    # 24 random bytes → 32 URL-safe characters: unguessable and within the id pattern.
    return secrets.token_urlsafe(24)


def payload_allowed(state: AppState, session_id: str, payload: str) -> bool:
    """Topic payloads are public (quick help); any other payload must have been offered."""
    return bool(payload_topic(state.kb, payload)) or state.offered.was_offered(session_id, payload)


async def answer_turn(state: AppState, session_id: str, text: str | None = None, payload: str | None = None,
                      channel: str = "api") -> dict:
    """One turn for any channel (widget, API, Teams): the engine's answer or the fallback.

    Returns the ChatResponse fields except session_id, plus "feedback" and "audience" (for
    the statistics, which this counts under `channel`). The caller checks payloads first.
    """
    text = as_typed_text(text)
    answer = None
    engine = "rasa"
    # The 112 line whatever the engine says; and someone in danger right now does not wait
    # behind other people's questions.
    flagged = bool(text and state.detector.is_emergency(text))
    try:
        raw = await state.engine.send(session_id, text if text is not None else payload, urgent=flagged)
        answer = engine_answer(state.kb, raw, flagged, text, state.search)
    except EngineUnavailable:
        answer = None
    if answer is None:
        engine = "fallback"
        answer = fallback_answer(state.kb, text, payload, flagged, state.search)
    state.offered.offer(session_id, [b["payload"] for m in answer["messages"] for b in m["buttons"]])
    result = {"feedback": None, "audience": None, **answer, "engine": engine}
    state.statistics.record_turn(result, channel=channel, text=text, session=session_id)
    return result


@router.post(
    "/api/chat",
    response_model=ChatResponse,
    responses={400: {"model": ErrorResponse}, 413: {"model": ErrorResponse}, 422: {"model": ErrorResponse},
               429: {"model": ErrorResponse}},
)
async def chat(request: ChatRequest, state: State) -> ChatResponse:
    """Answer a question or a button click, from the engine or, when it fails, the knowledge base."""
    session_id = request.session_id or new_session_id()
    if request.payload is not None and not payload_allowed(state, session_id, request.payload):
        raise ApiError(422, "unknown_payload", "Knappvalet känns inte igen. Skriv din fråga i stället.")
    answer = await answer_turn(state, session_id, request.text, request.payload)
    return ChatResponse(session_id=session_id, **answer)
