"""Who may call POST /api/messages: Azure Bot Service with a token for this bot, nobody else.

The token is checked with the Agents SDK's validator (signature from Microsoft's published
keys, audience = our app id, issuer = Bot Service or our own tenant). The anonymous mode of
local tests is allowed only when switched on, and even then only for replies to this machine:
an open endpoint must not make the gateway post to addresses a caller picks.
"""

from __future__ import annotations

import ipaddress
import logging
from urllib.parse import urlsplit

from jwt import PyJWKClientConnectionError, PyJWTError
from microsoft_agents.hosting.core import AgentAuthConfiguration, ClaimsIdentity, JwtTokenValidator

from gateway import errors
from gateway.errors import ApiError

log = logging.getLogger("lotsen.teams")

_BEARER = "bearer"
_SERVICE_URL_CLAIM = "serviceurl"


def unauthorized(code: str, message: str) -> ApiError:
    return ApiError(401, code, message, headers={"WWW-Authenticate": "Bearer"})


async def authorize(header: str | None, config: AgentAuthConfiguration) -> ClaimsIdentity:
    """The caller's identity, or ApiError 401 (503 when Microsoft's keys cannot be fetched)."""
    if not header:
        if config.ANONYMOUS_ALLOWED:
            return ClaimsIdentity()
        raise unauthorized("missing_token", errors.text("missing_token"))
    scheme, _, token = header.partition(" ")
    if scheme.lower() != _BEARER or not token.strip():
        raise unauthorized("invalid_token", errors.text("malformed_token"))
    try:
        return await JwtTokenValidator(config).validate_token(token.strip())
    except PyJWKClientConnectionError as exc:
        log.warning("Teams: could not fetch signing keys: %s", type(exc).__name__)
        raise ApiError(503, "keys_unavailable", errors.text("keys_unavailable")) from exc
    except (PyJWTError, ValueError, KeyError) as exc:
        # Only the kind of failure is logged: a token and its claims identify people.
        log.info("Teams: token refused: %s", type(exc).__name__)
        raise unauthorized("invalid_token", errors.text("invalid_token")) from exc


def is_loopback(url: str | None) -> bool:
    host = (urlsplit(url or "").hostname or "").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_service_url(identity: ClaimsIdentity, service_url: str | None) -> None:
    """Replies go to the activity's serviceUrl: it must be the caller's own service."""
    if identity.allow_anonymous:
        if not is_loopback(service_url):
            raise ApiError(403, "service_url_not_allowed", errors.text("service_url_local_only"))
        return
    claimed = identity.get_claim_value(_SERVICE_URL_CLAIM)
    if claimed and (urlsplit(claimed).hostname or "").lower() != (urlsplit(service_url or "").hostname or "").lower():
        raise unauthorized("service_url_mismatch", errors.text("service_url_mismatch"))
    if not claimed and not is_microsoft_service(service_url):
        # A token without the claim (some Bot Service tokens) says nothing about where to
        # reply: only Microsoft's own channel hosts, never an address a caller picks.
        raise ApiError(403, "service_url_not_allowed", errors.text("service_url_not_microsoft"))


# Where Azure Bot Service's channels (Teams among them) take replies.
MICROSOFT_SERVICE_DOMAINS = (
    "botframework.com",
    "trafficmanager.net",
    "teams.microsoft.com",
    "botframework.azure.us",
    "teams.microsoft.us",
)


def is_microsoft_service(url: str | None) -> bool:
    """An https URL on one of Microsoft's Bot Service hosts."""
    parts = urlsplit(url or "")
    host = (parts.hostname or "").lower().rstrip(".")
    return parts.scheme == "https" and any(host == d or host.endswith("." + d) for d in MICROSOFT_SERVICE_DOMAINS)
