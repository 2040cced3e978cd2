"""Wire the gateway together. Run with: uvicorn --factory gateway.main:create_app"""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from gateway import chat, errors, health, knowledge_pages, matrix, pages, session_routes, teams, topics
from gateway.assets import StaticAssets
from gateway.deps import AppState
from gateway.engine import EngineClient
from gateway.engine.turn_locks import MemoryTurnLocks, RedisTurnLocks
from gateway.knowledge_pages import KnowledgePages
from gateway.late_answers import MemoryLateAnswers, RedisLateAnswers
from gateway.redis_store import connect as connect_redis
from gateway.security import (
    BodySizeLimit,
    LoginLockout,
    RateLimit,
    SecurityHeaders,
    content_security_policy,
    limits_storage,
    style_hash,
)
from gateway.session_keys import load_secret
from gateway.settings import Settings, get_settings
from gateway.signing import ButtonSigner
from gateway.statistics import review as statistics_review
from gateway.statistics import routes as statistics_routes
from gateway.statistics.recorder import build_recorder
from knowledge.emergency import EmergencyDetector
from knowledge.loader import load
from knowledge.search import KnowledgeSearch


def create_app(settings: Settings | None = None, engine_transport: httpx.AsyncBaseTransport | None = None) -> FastAPI:
    """Build the app. The knowledge base is loaded here: a broken file stops the start."""
    settings = settings or get_settings()
    kb = load(organisation_file=settings.organisation_file)
    # Shared by the replicas when there are several (docs/deploy.md): what a gateway process
    # would otherwise keep in memory, so that any replica can take any request.
    redis_url = settings.redis_url.get_secret_value() if settings.redis_url else None
    redis = connect_redis(redis_url) if redis_url else None
    counters = limits_storage(redis_url)
    engine = EngineClient(
        settings.engine_urls,
        settings.actions_url,
        settings.engine_timeout,
        settings.health_timeout,
        transport=engine_transport,
        spill=settings.engine_spill,
        concurrency=settings.engine_concurrency,
        turn_locks=RedisTurnLocks(redis) if redis else MemoryTurnLocks(),
    )
    search = KnowledgeSearch.build(kb)
    secret = load_secret(settings.secret_key.get_secret_value() if settings.secret_key else None, settings.data_dir)
    state = AppState(
        settings=settings,
        kb=kb,
        detector=EmergencyDetector.from_file(),
        engine=engine,
        buttons=ButtonSigner(secret, settings.session_ttl_seconds),
        assets=StaticAssets.load(),
        search=search,
        pages=KnowledgePages(kb, search),
        statistics=build_recorder(settings),
        logins=LoginLockout(
            settings.statistics_login_attempts, lockout=settings.statistics_lockout_seconds, storage=counters
        ),
        secret=secret,
        late_answers=RedisLateAnswers(redis) if redis else MemoryLateAnswers(),
        redis=redis,
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI):
        state.statistics.start()
        yield
        for task in list(state.background):  # late answers still on their way
            task.cancel()
        await state.statistics.stop()
        await engine.close()
        if redis is not None:
            await redis.aclose()

    docs: dict[str, Any] = {} if settings.api_docs else {"docs_url": None, "redoc_url": None, "openapi_url": None}
    app = FastAPI(title="Påverkanslotsen", version="0.1.0", lifespan=lifespan, **docs)
    app.state.lotsen = state
    errors.install(app)
    # Added innermost first: headers wrap everything, CORS wraps the 413/429 answers so that
    # browsers on the intranet can read them.
    app.add_middleware(errors.TypeOnlyErrors)
    app.add_middleware(
        RateLimit, per_minute=settings.rate_limit_per_minute, burst=settings.rate_limit_burst, storage=counters
    )
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.allowed_origins,
        allow_methods=["GET", "POST"],
        allow_headers=["Content-Type"],
        allow_credentials=False,
    )
    styles = [style_hash(state.assets.widget_css)]
    app.add_middleware(
        SecurityHeaders,
        csp=content_security_policy(settings.frame_ancestors, styles),
        unframeable_csp=content_security_policy(["'none'"], styles),
    )
    for module in (chat, topics, health, pages, knowledge_pages, session_routes, teams, matrix):
        app.include_router(module.router)
    app.include_router(statistics_routes.router)
    app.include_router(statistics_review.router)
    logging.getLogger("lotsen.gateway").info("kunskapsbas: %d artiklar, %s", len(kb.articles), kb.organisation.name)
    return app
