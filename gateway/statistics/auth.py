"""Who may see /statistik: a bearer token (scripts) or basic auth (a person in a browser).

With neither configured nobody gets in. Both are compared in constant time.
"""

from __future__ import annotations

import base64
import binascii
import secrets

from gateway.settings import Settings

REALM = "statistik"  # ASCII: HTTP header values are Latin-1 at best


def _secret(value) -> str:
    return value.get_secret_value() if value is not None else ""


def configured(settings: Settings) -> bool:
    return bool(_secret(settings.statistics_token)) or _basic_configured(settings)


def _basic_configured(settings: Settings) -> bool:
    return bool(settings.statistics_user) and bool(_secret(settings.statistics_password))


def _equal(given: str, expected: str) -> bool:
    return secrets.compare_digest(given.encode(), expected.encode())


def allowed(settings: Settings, authorization: str | None) -> bool:
    """True when the Authorization header carries the configured token or user and password."""
    if not authorization:
        return False
    scheme, _, credentials = authorization.strip().partition(" ")
    credentials = credentials.strip()
    token = _secret(settings.statistics_token)
    if scheme.lower() == "bearer" and token:
        return _equal(credentials, token)
    if scheme.lower() == "basic" and _basic_configured(settings):
        try:
            user, sep, password = base64.b64decode(credentials, validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        # Both compared whatever the first gives: the time taken tells nothing.
        user_ok = _equal(user, settings.statistics_user or "")
        password_ok = _equal(password, _secret(settings.statistics_password))
        return bool(sep) and user_ok and password_ok
    return False


def challenge(settings: Settings) -> str:
    """The WWW-Authenticate header: browsers ask for a user and password when basic is on."""
    if _basic_configured(settings):
        return f'Basic realm="{REALM}", charset="UTF-8"'
    return f'Bearer realm="{REALM}"'
