"""The Matrix bot's place in the gateway: started with the app, stopped with it. No routes:
the bot talks to its homeserver (it syncs), the homeserver never calls the gateway."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from gateway.matrix.config import MatrixConfigError, MatrixStrings, matrix_configuration
from gateway.matrix.lease import Lease, hold_and_run
from gateway.redis_store import redis_key

log = logging.getLogger("lotsen.matrix")
# How long a dead replica's bot is silent before another replica starts it.
LEASE_SECONDS = 30.0


@asynccontextmanager
async def lifespan(app: FastAPI):
    state = app.state.lotsen
    try:
        config = matrix_configuration(state.settings)
        strings = MatrixStrings.load() if config else None
    except MatrixConfigError as exc:
        # Said plainly before uvicorn's traceback: a half-configured bot stops the start.
        log.error("Matrix: %s", exc)
        raise
    if config is None or strings is None:
        yield
        return
    # Imported here: mautrix and olm load only where Matrix is configured.
    from gateway.matrix.bot import MatrixBot

    def make() -> MatrixBot:
        app.state.matrix = MatrixBot(state, config, strings)
        return app.state.matrix

    if state.redis is None:
        bot = make()
        bot.start()
        try:
            yield
        finally:
            await bot.stop()
        return
    # Replicas share a Redis: only the holder of the lease runs the bot (gateway/matrix/lease.py).
    lease = Lease(state.redis, redis_key("matrix-lease", config.user_id), ttl=LEASE_SECONDS)
    task = asyncio.create_task(hold_and_run(lease, make), name="matrix-lease")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


router = APIRouter(lifespan=lifespan)
