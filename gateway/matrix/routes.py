"""The Matrix bot's place in the gateway: started with the app, stopped with it. No routes:
the bot talks to its homeserver (it syncs), the homeserver never calls the gateway."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from gateway.matrix.config import MatrixConfigError, MatrixStrings, matrix_configuration

log = logging.getLogger("lotsen.matrix")


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

    bot = MatrixBot(state, config, strings)
    app.state.matrix = bot
    bot.start()
    try:
        yield
    finally:
        await bot.stop()


router = APIRouter(lifespan=lifespan)
