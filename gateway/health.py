"""GET /healthz: is the gateway up, and can it reach the engine and the action server?"""

from __future__ import annotations

from fastapi import APIRouter

from gateway.deps import State
from gateway.schemas import Health

router = APIRouter()


@router.get("/healthz", response_model=Health)
async def healthz(state: State) -> Health:
    engine_up, actions_up = await state.engine.health()
    return Health(status="ok", engine="up" if engine_up else "down", actions="up" if actions_up else "down")
