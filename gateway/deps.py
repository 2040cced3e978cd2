"""Per-process state the routes share, held on app.state and reached through dependencies."""
from __future__ import annotations

from dataclasses import dataclass

from fastapi import Depends, Request
from typing_extensions import Annotated

from gateway.engine import EngineClient
from gateway.assets import StaticAssets
from gateway.sessions import OfferedPayloads
from gateway.settings import Settings
from knowledge.emergency import EmergencyDetector
from knowledge.loader import KnowledgeBase


@dataclass
class AppState:
    settings: Settings
    kb: KnowledgeBase
    detector: EmergencyDetector
    engine: EngineClient
    offered: OfferedPayloads
    assets: StaticAssets


def get_state(request: Request) -> AppState:
    return request.app.state.lotsen


State = Annotated[AppState, Depends(get_state)]
