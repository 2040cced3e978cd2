"""Signed button payloads: any gateway replica can tell that a click comes from a button this
server offered to this session, without remembering what it offered (docs/adr/0004-stateless-gateway.md).

A payload handed out is `<payload>.<timestamp>.<signature>`: itsdangerous' timestamp signer
(HMAC-SHA256) under the server secret, salted with the session id, so a button offered to one
session is refused in another, and refused once older than LOTSEN_SESSION_TTL_SECONDS. Topic
payloads ("/gavor") stay as they are: anyone may ask for a topic (the quick-help menu offers
them before any conversation), so signing them would protect nothing.
"""

from __future__ import annotations

import hashlib

from itsdangerous import BadSignature, TimestampSigner

# Namespaces the key derivation: the same secret also keys channel session ids and CSRF tokens.
_SALT = "lotsen.button\x1f"


class ButtonSigner:
    def __init__(self, secret: bytes, max_age_seconds: int) -> None:
        self._secret = secret
        self._max_age = max_age_seconds

    def _signer(self, session_id: str) -> TimestampSigner:
        return TimestampSigner(self._secret, salt=_SALT + session_id, digest_method=hashlib.sha256)

    def sign(self, session_id: str, payload: str) -> str:
        return self._signer(session_id).sign(payload).decode("utf-8")

    def open(self, session_id: str, signed: str) -> str | None:
        """The payload this server offered to this session, or None (tampered, another
        session's, expired, or never signed)."""
        try:
            return self._signer(session_id).unsign(signed, max_age=self._max_age).decode("utf-8")
        except (BadSignature, UnicodeDecodeError):
            return None
