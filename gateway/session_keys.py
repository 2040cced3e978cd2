"""The server secret and the session ids derived from it for chat channels (Teams, Matrix).

A channel's conversation id is known to everyone in that conversation, so an unkeyed hash of
it would let any of them continue, read or clear the session through /api/chat. The id is an
HMAC under a server secret instead: LOTSEN_SECRET_KEY, or a random key generated once into
the data directory (mode 0600) so that it survives restarts without configuration.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from pathlib import Path

SECRET_FILE = "secret.key"
SECRET_BYTES = 32
# Unit separator: cannot occur in the parts Teams or Matrix hand us, so ("a", "bc") and
# ("ab", "c") never give the same message.
_SEPARATOR = "\x1f"


def load_secret(configured: str | None, data_dir: Path) -> bytes:
    """The configured secret, or the one in the data directory (created on first start)."""
    if configured:
        return configured.encode("utf-8")
    path = data_dir / SECRET_FILE
    try:
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    except FileNotFoundError:
        pass
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(SECRET_BYTES)
    try:
        # O_EXCL: two processes starting at once agree on the first one's key.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key.hex())
    return key


def channel_session_id(secret: bytes, channel: str, *parts: str) -> str:
    """`<channel>-` and 40 URL-safe characters of HMAC-SHA256 over the channel's ids."""
    message = _SEPARATOR.join((channel, *parts)).encode("utf-8")
    digest = hmac.new(secret, message, hashlib.sha256).digest()
    return f"{channel}-{base64.urlsafe_b64encode(digest).decode('ascii')[:40]}"


# Random part and signature of a server-issued session id: 18 bytes each → 24 + 24 characters,
# unguessable and within the chat API's id pattern (8–64 of A-Z a-z 0-9 _ -).
_ISSUED_BYTES = 18
_ISSUED_CHARS = 24


def _issued_signature(secret: bytes, nonce: str) -> str:
    digest = hmac.new(secret, _SEPARATOR.join(("session", nonce)).encode("ascii"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:_ISSUED_BYTES]).decode("ascii")


def issue_session_id(secret: bytes) -> str:
    """A new session id for a client that sent none: random, then its HMAC, so that any
    replica can tell an id this server issued (issued_by_server) without remembering it."""
    nonce = secrets.token_urlsafe(_ISSUED_BYTES)
    return nonce + _issued_signature(secret, nonce)


def issued_by_server(secret: bytes, session_id: str) -> bool:
    nonce, signature = session_id[:_ISSUED_CHARS], session_id[_ISSUED_CHARS:]
    if len(nonce) != _ISSUED_CHARS or len(signature) != _ISSUED_CHARS or not nonce.isascii():
        return False
    return hmac.compare_digest(signature, _issued_signature(secret, nonce))
