"""Gateway hardening as plain ASGI middleware: security headers, body size, rate limit.

Plain ASGI rather than BaseHTTPMiddleware: these run on every request, and the extra task
and body buffering of BaseHTTPMiddleware cost latency under load.
"""
from __future__ import annotations

import base64
import hashlib
import json
import math
import time
from collections import OrderedDict

from starlette.types import ASGIApp, Message, Receive, Scope, Send


def _error_body(code: str, message: str) -> bytes:
    return json.dumps({"error": {"code": code, "message": message}}, ensure_ascii=False).encode()


async def _send_error(send: Send, status: int, code: str, message: str, headers: list | None = None) -> None:
    body = _error_body(code, message)
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            *(headers or [])]})
    await send({"type": "http.response.body", "body": body})


def style_hash(css: str) -> str:
    """CSP hash of an inline <style> (the widget injects its CSS as one)."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(css.encode()).digest()).decode() + "'"


def content_security_policy(frame_ancestors: list[str], style_hashes: list[str]) -> str:
    # No 'unsafe-inline' anywhere: pages load /static/page.css and /widget.js; the widget's
    # injected <style> is allowed by its exact hash.
    ancestors = " ".join(frame_ancestors) if frame_ancestors else "'self'"
    return "; ".join([
        "default-src 'self'", "script-src 'self'", "style-src 'self' " + " ".join(style_hashes),
        "img-src 'self' data:", "connect-src 'self'", "object-src 'none'", "base-uri 'none'",
        "form-action 'self'", f"frame-ancestors {ancestors}",
    ])


class SecurityHeaders:
    def __init__(self, app: ASGIApp, csp: str) -> None:
        self.app = app
        self.headers = [
            (b"content-security-policy", csp.encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"strict-origin-when-cross-origin"),
            (b"cross-origin-opener-policy", b"same-origin"),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = list(message["headers"]) + self.headers
            await send(message)

        await self.app(scope, receive, with_headers)


class BodySizeLimit:
    """413 for bodies over the limit, whether announced by Content-Length or streamed."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            await _send_error(send, 413, "too_large", "Begäran är för stor.")
            return
        if length is not None:
            await self.app(scope, receive, send)
            return
        # No Content-Length (chunked): read up to the limit here, then replay. The limit is
        # small, and an exception raised inside the app's own body reading would turn into 400.
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > self.max_bytes:
                await _send_error(send, 413, "too_large", "Begäran är för stor.")
                return
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


class RateLimit:
    """A token bucket per client address for the API paths; 429 with Retry-After when empty."""

    def __init__(self, app: ASGIApp, per_minute: int, burst: int, paths: tuple[str, ...],
                 max_clients: int = 50_000, clock=time.monotonic) -> None:
        self.app = app
        self.rate = per_minute / 60.0
        self.burst = float(max(burst, 1))
        self.paths = paths
        self.max_clients = max_clients
        self.clock = clock
        self.buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def _take(self, client: str) -> float:
        """0 when allowed, else seconds until a token is free."""
        now = self.clock()
        tokens, stamp = self.buckets.pop(client, (self.burst, now))
        tokens = min(self.burst, tokens + (now - stamp) * self.rate)
        allowed = tokens >= 1
        self.buckets[client] = (tokens - 1 if allowed else tokens, now)
        if len(self.buckets) > self.max_clients:
            self.buckets.popitem(last=False)
        return 0.0 if allowed else (1 - tokens) / self.rate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.rate <= 0 or not scope["path"].startswith(self.paths):
            await self.app(scope, receive, send)
            return
        client = (scope.get("client") or ("okänd", 0))[0]
        wait = self._take(client)
        if wait:
            await _send_error(send, 429, "rate_limited",
                              "Du har skickat för många frågor på kort tid. Vänta en stund och försök igen. "
                              "Är du i fara, ring 112.",
                              [(b"retry-after", str(math.ceil(wait)).encode())])
            return
        await self.app(scope, receive, send)
