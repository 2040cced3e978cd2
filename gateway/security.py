"""Gateway hardening as plain ASGI middleware: security headers, body size, rate limit.

Plain ASGI rather than BaseHTTPMiddleware: these run on every request, and the extra task
and body buffering of BaseHTTPMiddleware cost latency under load.
"""
from __future__ import annotations

import base64
import hashlib
import ipaddress
import json
import math
import time
from collections import OrderedDict

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway import errors


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


# Pages behind a login are never framed, whatever LOTSEN_FRAME_ANCESTORS allows for the rest
# (clickjacking of the statistics).
UNFRAMEABLE_PATHS = ("/statistik",)


class SecurityHeaders:
    def __init__(self, app: ASGIApp, csp: str, unframeable_csp: str | None = None) -> None:
        self.app = app
        common = [
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"strict-origin-when-cross-origin"),
            (b"cross-origin-opener-policy", b"same-origin"),
        ]
        self.headers = [(b"content-security-policy", csp.encode()), *common]
        self.unframeable = [(b"content-security-policy", (unframeable_csp or csp).encode()),
                            (b"x-frame-options", b"DENY"), *common]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        headers = self.unframeable if scope["path"].startswith(UNFRAMEABLE_PATHS) else self.headers

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = list(message["headers"]) + headers
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
            await _send_error(send, 413, "too_large", errors.text("too_large"))
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
                await _send_error(send, 413, "too_large", errors.text("too_large"))
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


def client_key(address: str) -> str:
    """The rate-limit key of a client address: IPv4 as it is, IPv6 by its /64 network.

    One IPv6 host usually holds a whole /64 and can pick a new address from it for every
    request; a key per address would give it a fresh bucket each time.
    """
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


# What costs the gateway or the engine work per request: a turn, a clear (a Rasa turn and a
# SQLite checkpoint), a search, a health check (three outbound calls), a Teams activity.
LIMITED_PATHS = ("/api/chat", "/api/search", "/api/session/clear", "/healthz", "/api/messages")
# Limited only with a query (?q=): the knowledge pages themselves are cheap, the search is not.
LIMITED_QUERY_PATHS = ("/kunskap",)


class RateLimit:
    """A token bucket per client (client_key) for the costly paths; 429 with Retry-After when empty."""

    def __init__(self, app: ASGIApp, per_minute: int, burst: int, paths: tuple[str, ...] = LIMITED_PATHS,
                 query_paths: tuple[str, ...] = LIMITED_QUERY_PATHS, max_clients: int = 50_000,
                 clock=time.monotonic) -> None:
        self.app = app
        self.rate = per_minute / 60.0
        self.burst = float(max(burst, 1))
        self.paths = paths
        self.query_paths = query_paths
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

    def _limited(self, scope: Scope) -> bool:
        path = scope["path"]
        if path.startswith(self.paths):
            return True
        return path in self.query_paths and b"q=" in scope.get("query_string", b"")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.rate <= 0 or not self._limited(scope):
            await self.app(scope, receive, send)
            return
        client = client_key((scope.get("client") or ("okänd", 0))[0])
        wait = self._take(client)
        if wait:
            await _send_error(send, 429, "rate_limited", errors.text("rate_limited"),
                              [(b"retry-after", str(math.ceil(wait)).encode())])
            return
        await self.app(scope, receive, send)


class LoginLockout:
    """Failed logins per client (client_key): after `attempts` failures within `window`
    seconds the client is locked out for `lockout` seconds, right credentials or not.

    Separate from RateLimit and much stricter: a password can be guessed; a question cannot.
    Only failures count (a browser's first request without credentials is no failure).
    """

    def __init__(self, attempts: int = 5, window: float = 900.0, lockout: float = 900.0,
                 max_clients: int = 50_000, clock=time.monotonic) -> None:
        self.attempts = attempts
        self.window = window
        self.lockout = lockout
        self.max_clients = max_clients
        self.clock = clock
        # client -> (failures in the window, when the window started, locked until)
        self.clients: OrderedDict[str, tuple[int, float, float]] = OrderedDict()

    def locked(self, address: str) -> float:
        """Seconds left of the client's lockout; 0 when it may try."""
        entry = self.clients.get(client_key(address))
        return max(0.0, entry[2] - self.clock()) if entry else 0.0

    def failed(self, address: str) -> None:
        key, now = client_key(address), self.clock()
        count, started, until = self.clients.pop(key, (0, now, 0.0))
        if now - started > self.window:
            count, started = 0, now
        count += 1
        if count >= self.attempts:
            count, started, until = 0, now, now + self.lockout
        self.clients[key] = (count, started, until)
        if len(self.clients) > self.max_clients:
            self.clients.popitem(last=False)

    def succeeded(self, address: str) -> None:
        self.clients.pop(client_key(address), None)
