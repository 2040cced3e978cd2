"""Gateway hardening as plain ASGI middleware: security headers, body size, rate limit.

Plain ASGI rather than BaseHTTPMiddleware: these run on every request, and the extra task
and body buffering of BaseHTTPMiddleware cost latency under load.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import json
import logging
import math
import time
from typing import TYPE_CHECKING

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway import errors

if TYPE_CHECKING:
    from limits import RateLimitItem
    from limits.aio.storage import Storage

log = logging.getLogger("lotsen.gateway")


def _error_body(code: str, message: str) -> bytes:
    return json.dumps({"error": {"code": code, "message": message}}, ensure_ascii=False).encode()


async def _send_error(send: Send, status: int, code: str, message: str, headers: list | None = None) -> None:
    body = _error_body(code, message)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def style_hash(css: str) -> str:
    """CSP hash of an inline <style> (the widget injects its CSS as one)."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(css.encode()).digest()).decode() + "'"


def content_security_policy(frame_ancestors: list[str], style_hashes: list[str]) -> str:
    # No 'unsafe-inline' anywhere: pages load /static/page.css and /widget.js; the widget's
    # injected <style> is allowed by its exact hash.
    ancestors = " ".join(frame_ancestors) if frame_ancestors else "'self'"
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self' " + " ".join(style_hashes),
            "img-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            f"frame-ancestors {ancestors}",
        ]
    )


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
        self.unframeable = [
            (b"content-security-policy", (unframeable_csp or csp).encode()),
            (b"x-frame-options", b"DENY"),
            *common,
        ]

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


def limits_storage(redis_url: str | None) -> Storage:
    """Where the rate limits and login lockouts count (the `limits` library): Redis when
    LOTSEN_REDIS_URL is set, so that every gateway replica counts the same client once;
    this process's memory otherwise."""
    from limits.aio.storage import MemoryStorage, RedisStorage

    if redis_url:
        # redis-py's asyncio client (as the turn locks and late answers use), not coredis.
        return RedisStorage(
            "async+" + redis_url,
            implementation="redispy",
            wrap_exceptions=True,
            key_prefix="lotsen-limits",
            socket_connect_timeout=2.0,
        )
    return MemoryStorage()


def window(per_minute: int, burst: int) -> RateLimitItem:
    """`burst` requests per `burst / rate` seconds: at most `burst` at once and, over a minute,
    about `per_minute` – the two promises of the settings, in one window."""
    from limits import RateLimitItemPerSecond

    return RateLimitItemPerSecond(max(burst, 1), max(1, round(max(burst, 1) * 60 / per_minute)))


class RateLimit:
    """A sliding window per client (client_key) for the costly paths; 429 with Retry-After when
    full. Counted in `storage` (limits_storage): shared by all replicas when it is Redis.

    The sliding window counter (two counters per client, the previous window's weighted by how
    much of it still overlaps) rather than a moving window: the moving window keeps a timestamp
    per request and limits' memory storage prunes them with a thread hop per client.
    """

    def __init__(
        self,
        app: ASGIApp,
        per_minute: int,
        burst: int,
        storage: Storage | None = None,
        paths: tuple[str, ...] = LIMITED_PATHS,
        query_paths: tuple[str, ...] = LIMITED_QUERY_PATHS,
    ) -> None:
        from limits.aio.strategies import SlidingWindowCounterRateLimiter

        self.app = app
        self.enabled = per_minute > 0
        self.item = window(per_minute, burst) if self.enabled else None
        self.limiter = SlidingWindowCounterRateLimiter(storage or limits_storage(None)) if self.enabled else None
        self.paths = paths
        self.query_paths = query_paths

    async def _take(self, client: str) -> float:
        """0 when allowed, else seconds until the window has room again."""
        from limits.errors import StorageError

        if self.limiter is None or self.item is None:  # switched off (per_minute 0): never called
            return 0.0
        try:
            if await self.limiter.hit(self.item, "requests", client):
                return 0.0
            stats = await self.limiter.get_window_stats(self.item, "requests", client)
        except StorageError as exc:
            # Redis is down: let the request through (the engine queue still bounds the load)
            # rather than refuse everyone, a person in danger included.
            log.warning(
                "hastighetsgränsen i Redis svarar inte (%s); begäran släpps igenom", type(exc.storage_error).__name__
            )
            return 0.0
        return max(1.0, stats.reset_time - time.time())

    def _limited(self, scope: Scope) -> bool:
        path = scope["path"]
        if path.startswith(self.paths):
            return True
        return path in self.query_paths and b"q=" in scope.get("query_string", b"")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.enabled or not self._limited(scope):
            await self.app(scope, receive, send)
            return
        client = client_key((scope.get("client") or ("okänd", 0))[0])
        wait = await self._take(client)
        if wait:
            await _send_error(
                send,
                429,
                "rate_limited",
                errors.text("rate_limited"),
                [(b"retry-after", str(math.ceil(wait)).encode())],
            )
            return
        await self.app(scope, receive, send)


class LoginLockout:
    """Failed logins per client (client_key): after `attempts` failures within `window`
    seconds the client is locked out for `lockout` seconds, right credentials or not.

    Separate from RateLimit and much stricter: a password can be guessed; a question cannot.
    Only failures count (a browser's first request without credentials is no failure).
    Counted in `storage` (limits_storage), so a lockout holds on every replica.
    """

    def __init__(
        self, attempts: int = 5, window: float = 900.0, lockout: float = 900.0, storage: Storage | None = None
    ) -> None:
        self.attempts = attempts
        self.window = max(1, math.ceil(window))
        self.lockout = max(1, math.ceil(lockout))
        self._storage = storage
        self.clock = time.time

    @property
    def storage(self) -> Storage:
        if self._storage is None:  # made on first use: no work when the app is built
            self._storage = limits_storage(None)
        return self._storage

    async def locked(self, address: str) -> float:
        """Seconds left of the client's lockout; 0 when it may try."""
        key = f"login-lockout/{client_key(address)}"
        if not await self.storage.get(key):
            return 0.0
        return max(1.0, await self.storage.get_expiry(key) - self.clock())

    async def failed(self, address: str) -> None:
        client = client_key(address)
        failures = await self.storage.incr(f"login-failures/{client}", self.window)
        if failures >= self.attempts:
            await self.storage.clear(f"login-failures/{client}")
            await self.storage.incr(f"login-lockout/{client}", self.lockout)

    async def succeeded(self, address: str) -> None:
        await self.storage.clear(f"login-failures/{client_key(address)}")
