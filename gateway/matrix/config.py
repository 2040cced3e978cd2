"""The Matrix settings, checked once at start, and the bot's Swedish strings.

No LOTSEN_MATRIX_* variable set: no Matrix bot. Some set but not all that are needed: the
gateway stops with a Swedish message naming the missing variable, instead of a bot that
fails later where nobody looks.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass, fields
from pathlib import Path

import yaml

from gateway.settings import Settings

STRINGS_FILE = Path(__file__).resolve().parent / "strings.sv.yml"
# @localpart:server[:port] (the spec's grammar, loosely: the homeserver checks it exactly).
_USER_ID = re.compile(r"@[^:\s]+:[A-Za-z0-9.\-\[\]]+(:\d{1,5})?")
_SERVER_NAME = re.compile(r"[A-Za-z0-9.\-\[\]]+(:\d{1,5})?")


class MatrixConfigError(ValueError):
    """The LOTSEN_MATRIX_* settings do not describe one bot account."""


@dataclass(frozen=True)
class MatrixConfig:
    homeserver: str
    user_id: str
    access_token: str | None
    password: str | None
    store_dir: Path
    # Server names and full user ids whose invitations the bot accepts.
    allowed: tuple[str, ...]
    # The gateway's address as people reach it, without a trailing slash: our page links
    # ("/kunskap/hotniva?…") are sent as page_base + link.
    page_base: str

    @property
    def server_name(self) -> str:
        return self.user_id.split(":", 1)[1]


def matrix_configuration(settings: Settings) -> MatrixConfig | None:
    """The bot's configuration, None when Matrix is not configured at all."""
    homeserver = (settings.matrix_homeserver or "").strip().rstrip("/")
    user_id = (settings.matrix_user_id or "").strip()
    token = settings.matrix_access_token.get_secret_value().strip() if settings.matrix_access_token else ""
    password = settings.matrix_password.get_secret_value() if settings.matrix_password else ""
    page_base = (settings.matrix_page_base or "").strip().rstrip("/")
    if not (homeserver or user_id or token or password or settings.matrix_allowed_servers or page_base):
        return None
    if not homeserver:
        raise MatrixConfigError(
            "LOTSEN_MATRIX_HOMESERVER saknas: ange hemserverns adress, t.ex. https://matrix.example.se."
        )
    if not re.match(r"https?://[^/\s]+", homeserver):
        raise MatrixConfigError(f"LOTSEN_MATRIX_HOMESERVER={homeserver} är ingen http(s)-adress.")
    if not user_id:
        raise MatrixConfigError("LOTSEN_MATRIX_USER_ID saknas: ange botens Matrix-id, t.ex. @lotsen:example.se.")
    if not _USER_ID.fullmatch(user_id):
        raise MatrixConfigError(f"LOTSEN_MATRIX_USER_ID={user_id} har inte formen @namn:server.")
    if not token and not password:
        raise MatrixConfigError(
            "LOTSEN_MATRIX_ACCESS_TOKEN eller LOTSEN_MATRIX_PASSWORD saknas: ange botens åtkomsttoken (eller lösenord)."
        )
    if token and password:
        raise MatrixConfigError("Ange antingen LOTSEN_MATRIX_ACCESS_TOKEN eller LOTSEN_MATRIX_PASSWORD (inte båda).")
    allowed = tuple(settings.matrix_allowed_servers) or (user_id.split(":", 1)[1],)
    for entry in allowed:
        if not (_USER_ID.fullmatch(entry) or _SERVER_NAME.fullmatch(entry)):
            raise MatrixConfigError(
                f"LOTSEN_MATRIX_ALLOWED_SERVERS: {entry} är varken ett servernamn eller ett Matrix-id."
            )
    # Required: without it every link to our pages (the printable summaries, the incident
    # record) would go nowhere in a Matrix client, and nobody would notice at start.
    if not page_base:
        raise MatrixConfigError(
            "LOTSEN_MATRIX_PAGE_BASE saknas: ange adressen där Påverkanslotsens sidor nås, "
            "t.ex. https://lotsen.example.se, så att länkarna i svaren fungerar i Matrix."
        )
    if not re.fullmatch(r"https?://[^/\s?#]+(/[^\s?#]*)?", page_base):
        raise MatrixConfigError(f"LOTSEN_MATRIX_PAGE_BASE={page_base} är ingen http(s)-adress.")
    return MatrixConfig(
        homeserver=homeserver,
        user_id=user_id,
        access_token=token or None,
        password=password or None,
        store_dir=settings.matrix_store_dir or settings.data_dir / "matrix",
        allowed=tuple(entry.lower() for entry in allowed),
        page_base=page_base,
    )


def invitation_allowed(config: MatrixConfig, inviter: str) -> bool:
    """An allowed user id, or any user on an allowed server (names compare case-insensitively)."""
    inviter = inviter.lower()
    server = inviter.split(":", 1)[1] if ":" in inviter else ""
    return inviter in config.allowed or (bool(server) and server in config.allowed)


def pickle_key(secret: bytes) -> str:
    """The key that encrypts the Olm account and sessions at rest, derived from the server
    secret: nothing else to configure, and a stolen store alone does not give the keys."""
    return hmac.new(secret, b"matrix crypto store", hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class MatrixStrings:
    welcome: str
    no_text: str
    too_long: str
    unknown_button: str
    unknown_choice: str
    error: str
    choices_hint: str
    links_heading: str

    @classmethod
    def load(cls, path: Path = STRINGS_FILE) -> MatrixStrings:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        keys = [f.name for f in fields(cls)]
        missing = [k for k in keys if not isinstance(data.get(k), str) or not data[k].strip()]
        if missing:
            raise MatrixConfigError(f"{path}: texterna {', '.join(missing)} saknas.")
        return cls(**{k: data[k] for k in keys})
