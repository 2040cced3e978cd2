"""POST /api/chat: one turn of the conversation."""

from __future__ import annotations

import asyncio
import logging

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from gateway import errors
from gateway.answers import engine_answer, fallback_answer, late_part, payload_topic
from gateway.deps import AppState, State
from gateway.engine import EngineUnavailable
from gateway.errors import ApiError
from gateway.schemas import ChatRequest, ChatResponse, ErrorResponse, SessionId
from gateway.session_keys import issue_session_id
from gateway.typed_text import as_typed_text

router = APIRouter()
log = logging.getLogger("lotsen.gateway")


def opened_payload(state: AppState, session_id: str, payload: str) -> str | None:
    """The payload to send to the engine, or None: topic payloads are public (quick help);
    any other must carry this server's signature for this session (gateway/signing.py)."""
    if payload_topic(state.kb, payload):
        return payload
    return state.buttons.open(session_id, payload)


def payload_allowed(state: AppState, session_id: str, payload: str) -> bool:
    return opened_payload(state, session_id, payload) is not None


def signed_messages(state: AppState, session_id: str, messages: list[dict]) -> list[dict]:
    """The messages with every button payload but a topic's signed for this session."""

    def sign(payload: str) -> str:
        return payload if payload_topic(state.kb, payload) else state.buttons.sign(session_id, payload)

    return [
        {**m, "buttons": [{**b, "payload": sign(b["payload"])} for b in m["buttons"]]} if m["buttons"] else m
        for m in messages
    ]


async def answer_turn(
    state: AppState, session_id: str, text: str | None = None, payload: str | None = None, channel: str = "api"
) -> dict:
    """One turn for any channel (widget, API, Teams): the engine's answer or the fallback.

    Returns the ChatResponse fields except session_id, plus "feedback" and "audience" (for
    the statistics, which this counts under `channel`). The caller checks payloads first.

    A message about danger right now (the gateway's emergency lexicon) never waits for the
    engine: it gets the 112 answer from the knowledge base at once ("engine": "fallback",
    "late_answer": true) while the engine answers the same turn in the background, so the
    conversation goes on; what the engine adds is kept for the session (gateway/late_answers.py).
    """
    text = as_typed_text(text)
    if payload is not None:
        # The caller has checked it (payload_allowed); what the engine gets is the bare payload.
        payload = opened_payload(state, session_id, payload)
        if payload is None:
            raise ValueError("a payload that was not checked")
    flagged = bool(text and state.detector.is_emergency(text))
    message = text if text is not None else payload
    if message is None:  # the schemas allow text or payload, never neither
        raise ValueError("a turn without text or payload")
    if flagged and state.settings.emergency_immediate:
        immediate = fallback_answer(state.kb, text, payload, flagged, state.search)
        await state.late_answers.expect(session_id)
        task = asyncio.create_task(_late_answer(state, session_id, message, immediate))
        state.background.add(task)
        task.add_done_callback(state.background.discard)
        return _finish(state, session_id, immediate, "fallback", channel, text, late=True)
    answer: dict | None = None
    engine = "rasa"
    try:
        # Someone in danger does not wait behind other people's questions (only reached when
        # the immediate answer is switched off, for the benchmark's comparison).
        raw = await state.engine.send(session_id, message, urgent=flagged)
        answer = engine_answer(state.kb, raw, flagged)
    except EngineUnavailable:
        answer = None
    if answer is None:
        engine = "fallback"
        answer = fallback_answer(state.kb, text, payload, flagged, state.search)
    # A late answer no client fetched goes before this turn's answer: it came first.
    late, still = await state.late_answers.take(session_id)
    return _finish(
        state, session_id, answer, engine, channel, text, late=still, earlier=late["messages"] if late else []
    )


def _finish(
    state: AppState,
    session_id: str,
    answer: dict,
    engine: str,
    channel: str,
    text: str | None,
    late: bool,
    earlier: list[dict] | None = None,
) -> dict:
    """Sign the answer's buttons, put a late answer's messages (signed already) first, count it."""
    messages = (earlier or []) + signed_messages(state, session_id, answer["messages"])
    result = {"feedback": None, "audience": None, **answer, "messages": messages, "engine": engine, "late_answer": late}
    state.statistics.record_turn(result, channel=channel, text=text, session=session_id)
    return result


async def _late_answer(state: AppState, session_id: str, message: str, shown: dict) -> None:
    """The engine's answer to a turn already answered with `shown`; what it adds is kept."""
    added = None
    timeout = state.settings.late_answer_timeout
    try:
        # The engine client keeps to the timeout itself; this bound holds whatever the
        # transport does, so that a waiting client always hears the end.
        async with asyncio.timeout(timeout + 0.1):
            raw = await state.engine.send(session_id, message, urgent=True, timeout=timeout)
        added = late_part(engine_answer(state.kb, raw, True), shown)
    except (EngineUnavailable, TimeoutError):
        pass  # the person has the 112 answer; the next turn goes to the engine again
    except Exception as exc:  # noqa: BLE001 – a background task: nobody else would see it fail
        log.error("motorns senare svar misslyckades: %s", type(exc).__name__)
    finally:
        if added:
            added = {**added, "messages": signed_messages(state, session_id, added["messages"])}
        await state.late_answers.deliver(session_id, added)


def late_response(session_id: str, late: dict | None, still: bool) -> ChatResponse:
    """A late answer in the chat API's shape ("engine": "rasa"); no messages when nothing came."""
    late = late or {"messages": [], "topic": None, "emergency": False, "suggestions": []}
    return ChatResponse(session_id=session_id, **late, engine="rasa", late_answer=still)


@router.post(
    "/api/chat",
    response_model=ChatResponse,
    responses={
        400: {"model": ErrorResponse},
        413: {"model": ErrorResponse},
        422: {"model": ErrorResponse},
        429: {"model": ErrorResponse},
    },
)
async def chat(request: ChatRequest, state: State) -> ChatResponse:
    """Answer a question or a button click, from the engine or, when it fails, the knowledge base."""
    session_id = request.session_id or issue_session_id(state.secret)
    if request.payload is not None and not payload_allowed(state, session_id, request.payload):
        raise ApiError(422, "unknown_payload", errors.text("unknown_payload"))
    answer = await answer_turn(state, session_id, request.text, request.payload)
    return ChatResponse(session_id=session_id, **answer)


def late_answer_wait(state: AppState) -> float:
    """A client waits a little longer than the engine may take, so that one request usually
    sees the engine's outcome, an answer or its timeout."""
    return state.settings.late_answer_timeout + 0.5  # > the bound in _late_answer


class LateAnswerRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    session_id: SessionId


@router.post(
    "/api/chat/late-answer",
    response_model=ChatResponse,
    responses={400: {"model": ErrorResponse}, 422: {"model": ErrorResponse}, 429: {"model": ErrorResponse}},
)
async def late_answer(request: LateAnswerRequest, state: State) -> ChatResponse:
    """What the engine added to a turn answered with "late_answer": true; waits for it up to
    LOTSEN_LATE_ANSWER_TIMEOUT seconds (and a half). "late_answer" in the reply: still more to come."""
    late, still = await state.late_answers.wait(request.session_id, late_answer_wait(state))
    return late_response(request.session_id, late, still)
