"""Every client mistake answers {"error": {"code", "message"}} with a Swedish message."""

from __future__ import annotations

import functools
import logging
from pathlib import Path

import yaml
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("lotsen.gateway")

STRINGS_FILE = Path(__file__).with_name("errors.sv.yml")
# HTTP statuses the framework answers by itself: the error code, which is also the message's key.
_STATUS_CODES = {404: "not_found", 405: "method_not_allowed", 413: "too_large", 415: "unsupported_media_type"}


@functools.lru_cache(maxsize=1)
def catalogue() -> dict:
    """gateway/errors.sv.yml, read once per process on first use."""
    return yaml.safe_load(STRINGS_FILE.read_text(encoding="utf-8"))


def text(key: str, **values: object) -> str:
    """The Swedish message of an error code, e.g. text("unknown_topic")."""
    return catalogue()["messages"][key].format(**values)


def field_text(kind: str, field: str) -> str:
    fields = catalogue()["fields"]
    return fields.get(kind, fields["other"]).format(field=field)


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, headers: dict | None = None) -> None:
        self.status, self.code, self.message, self.headers = status, code, message, headers


def error_response(status: int, code: str, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, headers=headers)


def _validation_message(exc: RequestValidationError) -> tuple[int, str, str]:
    errors = exc.errors()
    first = errors[0] if errors else {}
    kind = first.get("type", "")
    if kind == "json_invalid":
        return 400, "invalid_json", text("invalid_json")
    if kind in ("model_type", "model_attributes_type", "dict_type") or (
        first.get("loc") == ("body",) and kind == "missing"
    ):
        return 422, "invalid_request", text("not_an_object")
    if kind == "text_or_payload":
        return 422, "invalid_request", text("text_or_payload")
    field = ".".join(str(p) for p in first.get("loc", ())[1:]) or "body"
    return 422, "invalid_request", field_text(kind, field)


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(*_validation_message(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _STATUS_CODES.get(exc.status_code, "error")
        return error_response(exc.status_code, code, text(code), getattr(exc, "headers", None))


class TypeOnlyErrors:
    """Any other exception: a Swedish 500 and one log line with the exception's type.

    Not an exception handler for Exception: Starlette calls that one and then re-raises, and
    uvicorn logs the full traceback, whose messages and frames can hold what people wrote.
    Plain ASGI, innermost (added first), so that the 500 still gets the security and CORS
    headers; the exception goes no further.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception as exc:  # noqa: BLE001 (every unexpected failure, logged by type only)
            log.error("unexpected error: %s", type(exc).__name__)
            if not started:
                response = error_response(500, "internal_error", text("internal_error"))
                await response(scope, receive, send)
