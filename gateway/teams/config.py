"""The Teams settings as the Agents SDK wants them, checked once at start.

A half-configured bot (an app id without a tenant, a secret and a certificate at once, a
multi-tenant authority) stops the gateway with a Swedish message instead of failing on the
first Teams call.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path

import yaml
from microsoft_agents.hosting.core import AgentAuthConfiguration
from microsoft_agents.hosting.core.authorization import AuthTypes

from gateway.settings import Settings

TEAMS_DIR = Path(__file__).resolve().parent.parent.parent / "teams"
# The SDK's connection manager looks the bot's own identity up under this name.
SERVICE_CONNECTION = "SERVICE_CONNECTION"
# Entra's shared tenants: a token from any of them would make the bot multi-tenant.
_SHARED_TENANTS = {"common", "organizations", "consumers"}
_STRING_KEYS = ("welcome", "no_text", "too_long", "unknown_button", "error")


class TeamsConfigError(ValueError):
    """The LOTSEN_TEAMS_* settings do not describe one single-tenant bot."""


@dataclass(frozen=True)
class TeamsStrings:
    welcome: str
    no_text: str
    too_long: str
    unknown_button: str
    error: str

    @classmethod
    def load(cls, path: Path = TEAMS_DIR / "strings.sv.yml") -> TeamsStrings:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        missing = [k for k in _STRING_KEYS if not isinstance(data.get(k), str) or not data[k].strip()]
        if missing:
            raise TeamsConfigError(f"{path}: texterna {', '.join(missing)} saknas.")
        return cls(**{k: data[k] for k in _STRING_KEYS})


def _is_loopback_host(host: str) -> bool:
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip()).is_loopback
    except ValueError:
        return False


def auth_configuration(settings: Settings) -> AgentAuthConfiguration:
    """The bot's identity: validates incoming tokens and signs its replies.

    Without an app id the configuration has no audience, so every token is refused; only the
    explicitly switched-on anonymous mode then lets calls through.
    """
    app_id = (settings.teams_app_id or "").strip()
    tenant = (settings.teams_tenant_id or "").strip()
    secret = settings.teams_client_secret.get_secret_value() if settings.teams_client_secret else ""
    certificate = settings.teams_certificate_file
    if settings.teams_anonymous and (app_id or not _is_loopback_host(settings.host)):
        # Anonymous mode accepts any caller: for Agents Playground on this machine only, never
        # on a real bot or a gateway others can reach.
        raise TeamsConfigError(
            "LOTSEN_TEAMS_ANONYMOUS=true är bara för lokala tester: ta bort den, eller ta bort "
            "LOTSEN_TEAMS_APP_ID och låt gatewayen lyssna på 127.0.0.1."
        )
    if not app_id:
        if tenant or secret or certificate:
            raise TeamsConfigError("LOTSEN_TEAMS_APP_ID saknas: ange botens app-id (Microsoft App ID).")
        return AgentAuthConfiguration(connection_name=SERVICE_CONNECTION, anonymous_allowed=settings.teams_anonymous)
    if not tenant:
        raise TeamsConfigError(
            "LOTSEN_TEAMS_TENANT_ID saknas: en bot med en klientorganisation behöver ert katalog-id."
        )
    if tenant.lower() in _SHARED_TENANTS:
        raise TeamsConfigError(
            f"LOTSEN_TEAMS_TENANT_ID={tenant} gäller flera organisationer: ange ert eget katalog-id (tenant id)."
        )
    if bool(secret) == bool(certificate):
        raise TeamsConfigError(
            "Ange antingen LOTSEN_TEAMS_CLIENT_SECRET eller LOTSEN_TEAMS_CERTIFICATE_FILE (inte båda)."
        )
    if certificate and not Path(certificate).is_file():
        raise TeamsConfigError(f"Certifikatet {certificate} finns inte (LOTSEN_TEAMS_CERTIFICATE_FILE).")
    return AgentAuthConfiguration(
        auth_type=AuthTypes.certificate if certificate else AuthTypes.client_secret,
        client_id=app_id,
        tenant_id=tenant,
        client_secret=secret or None,
        cert_pfx_file=str(certificate) if certificate else None,
        connection_name=SERVICE_CONNECTION,
        # Tokens for the replies come from this tenant's authority only (single-tenant app).
        authority=f"https://login.microsoftonline.com/{tenant}",
        # Only Azure Bot Service and this tenant may call: the SDK leaves the issuer check off by default.
        validate_issuer=True,
        anonymous_allowed=settings.teams_anonymous,
    )
