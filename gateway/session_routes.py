"""POST /api/session/clear: "Rensa samtalet" – forget what the gateway holds for a conversation.

A POST with the id in the body rather than DELETE /api/session/{id}: the id stays out of URLs
(and so out of access logs and browser history), and the embedding origins' CORS rules
(GET, POST) need no new method. The engine deletes its stored events too (FORGET_PAYLOAD); the widget starts
a new session id after clearing, so the old conversation is not continued either way.
"""

from __future__ import annotations

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict

from gateway.deps import State
from gateway.engine import EngineUnavailable
from gateway.schemas import ErrorResponse, SessionId

router = APIRouter()
FORGET_PAYLOAD = "/forget_conversation"


class ClearRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    session_id: SessionId


@router.post(
    "/api/session/clear",
    status_code=204,
    response_class=Response,
    responses={400: {"model": ErrorResponse}, 422: {"model": ErrorResponse}},
)
async def clear_session(request: ClearRequest, state: State) -> Response:
    """Forget what the gateway and the engine hold of this conversation; clearing twice is fine."""
    await state.late_answers.forget(request.session_id)
    try:
        # The engine's tracker store deletes every stored event of the conversation on this
        # intent. If the engine is down, the retention limit removes it later.
        await state.engine.send(request.session_id, FORGET_PAYLOAD)
    except EngineUnavailable:
        pass
    return Response(status_code=204)
