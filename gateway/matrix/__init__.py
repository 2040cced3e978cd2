"""Matrix (Element and other clients) for the assistant, on mautrix (docs/matrix.md).

`router` carries no routes, only the lifespan that runs the bot when LOTSEN_MATRIX_* is set.
"""

from gateway.matrix.routes import router

__all__ = ["router"]
