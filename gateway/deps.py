"""Per-process state the routes share, held on app.state and reached through dependencies."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request

from gateway.assets import StaticAssets
from gateway.engine import EngineClient
from gateway.late_answers import LateAnswers, MemoryLateAnswers
from gateway.security import LoginLockout
from gateway.settings import Settings
from gateway.signing import ButtonSigner
from knowledge.emergency import EmergencyDetector
from knowledge.loader import KnowledgeBase
from knowledge.search import KnowledgeSearch

if TYPE_CHECKING:  # the pages module needs State from here
    from redis.asyncio import Redis

    from gateway.knowledge_pages import KnowledgePages
    from gateway.statistics.recorder import StatisticsRecorder


@dataclass
class AppState:
    settings: Settings
    kb: KnowledgeBase
    detector: EmergencyDetector
    engine: EngineClient
    # Signs the button payloads handed out and opens those clicked (gateway/signing.py).
    buttons: ButtonSigner
    assets: StaticAssets
    search: KnowledgeSearch
    pages: KnowledgePages
    statistics: StatisticsRecorder
    # The server secret (gateway/session_keys.py): keys channel session ids, issued session ids
    # and button payloads.
    secret: bytes = b""
    # Failed /statistik logins per client (gateway/security.py).
    logins: LoginLockout = field(default_factory=LoginLockout)
    # What the engine adds to turns answered at once (gateway/late_answers.py), and the
    # background tasks waiting for it (held here: the event loop keeps only weak references).
    late_answers: LateAnswers = field(default_factory=MemoryLateAnswers)
    background: set[asyncio.Task] = field(default_factory=set)
    # The Redis the replicas share (LOTSEN_REDIS_URL), None without it: the Matrix bot's lease.
    redis: Redis | None = None


async def get_state(request: Request) -> AppState:
    # async on purpose: FastAPI runs a plain `def` dependency in a worker thread, a hand-off
    # that cost more than the rest of the dependency handling on every request (py-spy).
    return request.app.state.lotsen


State = Annotated[AppState, Depends(get_state)]
