"""The Redis that gateway replicas share (LOTSEN_REDIS_URL): rate limits, turn locks, late answers.

Without it every replica keeps these in its own memory, which is right for one gateway process.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from redis.asyncio import Redis

PREFIX = "lotsen"


def redis_key(kind: str, session_id: str) -> str:
    """`lotsen:<kind>:<hash of the session id>`: session ids stay out of Redis key listings
    (a KEYS or MONITOR by an operator), and every replica derives the same key."""
    digest = hashlib.blake2b(session_id.encode("utf-8"), digest_size=16).hexdigest()
    return f"{PREFIX}:{kind}:{digest}"


def connect(url: str) -> Redis:
    """One client (a connection pool) per process; it connects on first use."""
    from redis.asyncio import Redis

    # Short timeouts: a Redis that does not answer must not hold a turn longer than the engine
    # timeout would. No socket_timeout: a late-answer wait blocks in BLPOP for up to ~10 s.
    return Redis.from_url(url, socket_connect_timeout=2.0, health_check_interval=30)
