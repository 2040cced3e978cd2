"""The gateway's settings: one object per process, read once from LOTSEN_* variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LOTSEN_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    rasa_url: str = "http://127.0.0.1:5005"
    actions_url: str = "http://127.0.0.1:5055"
    # The engine must answer within this many seconds, or the gateway answers itself.
    engine_timeout: float = Field(3.0, gt=0, le=30)
    # A message the emergency lexicon flags is answered at once from the knowledge base; the
    # engine gets this long for its late answer, and a client asking for it (POST
    # /api/chat/late-answer) waits at most this long (docs/adr/0003-…).
    late_answer_timeout: float = Field(10.0, gt=0, le=60)
    # false: flagged messages wait for the engine like any other (the behaviour before
    # issue 21). Only for `make bench-emergency`, which compares the two.
    emergency_immediate: bool = True
    health_timeout: float = Field(2.0, gt=0, le=10)
    organisation_file: Path | None = None
    # Origins (scheme://host[:port]) whose pages may embed the widget; comma-separated.
    allowed_origins: Annotated[list[str], NoDecode] = []
    # How long a signed button payload is accepted back (gateway/signing.py).
    session_ttl_seconds: int = Field(24 * 3600, ge=60)
    # Redis shared by gateway replicas (redis://[:password@]host:port/db): rate limits, login
    # lockouts, turn locks and late answers. Unset: each process keeps them in its memory,
    # which is right for one gateway process (docs/deploy.md).
    redis_url: SecretStr | None = None
    # Requests per minute per client address on /api/chat and /api/search (0 turns it off),
    # and how many may come at once. Generous: one person types far slower.
    rate_limit_per_minute: int = Field(120, ge=0)
    rate_limit_burst: int = Field(40, ge=1)
    max_body_bytes: int = Field(16 * 1024, ge=1024)
    # Who may frame the gateway's pages (CSP frame-ancestors), e.g. the intranet's origin.
    frame_ancestors: Annotated[list[str], NoDecode] = []
    # Statistics and reports (gateway/statistics): the data directory holds statistics.db and
    # reports unless LOTSEN_STATISTICS_URL names a database (postgresql://user:pw@host/db).
    data_dir: Path = Path("var")
    # Keys channel session ids (gateway/session_keys.py); generated into data_dir when unset.
    secret_key: SecretStr | None = None
    statistics_url: str | None = None
    # Days are counted in the organisation's time zone.
    statistics_timezone: str = "Europe/Stockholm"
    # /statistik: a bearer token and/or basic-auth credentials; with none set nobody gets in.
    statistics_token: SecretStr | None = None
    statistics_user: str | None = None
    statistics_password: SecretStr | None = None
    # Failed /statistik logins from one client before it is locked out, and for how long.
    statistics_login_attempts: int = Field(5, ge=1, le=100)
    statistics_lockout_seconds: int = Field(900, ge=1)
    # Unanswered questions are kept (redacted) only when switched on, and only this many days.
    store_unanswered: bool = False
    unanswered_retention_days: int = Field(30, ge=1, le=366)
    # /statistik/granska writes assigned questions here (Rasa NLU YAML; the next training uses
    # it); with export_only, or when the tree is read-only, the page offers it as a download.
    review_file: Path = Path("nlu_data/reviewed.yml")
    review_export_only: bool = False
    # Several engine instances (comma-separated); sessions are spread by consistent hashing.
    rasa_urls: Annotated[list[str], NoDecode] = []
    # A turn goes to the least busy instance instead of its session's own when the own one has
    # this many more turns in flight (0: always the own one). docs/deploy.md.
    engine_spill: int = Field(2, ge=0, le=1000)
    # Turns sent to one engine instance at a time; more wait in the gateway in arrival order
    # (0: no limit). docs/deploy.md, "Throughput".
    engine_concurrency: int = Field(4, ge=0, le=1000)
    # Teams (gateway/teams, docs/teams.md): the single-tenant Azure Bot's app registration,
    # with a client secret or a PFX certificate. Without an app id every call is refused.
    teams_app_id: str | None = None
    teams_tenant_id: str | None = None
    teams_client_secret: SecretStr | None = None
    teams_certificate_file: Path | None = None
    # Accepts Teams calls without a token: only for local tests with Agents Playground.
    teams_anonymous: bool = False
    # Matrix (gateway/matrix, docs/matrix.md): the bot's homeserver and account, with an
    # access token or a password. None set: no Matrix bot; some set: the start stops.
    matrix_homeserver: str | None = None
    matrix_user_id: str | None = None
    matrix_access_token: SecretStr | None = None
    matrix_password: SecretStr | None = None
    # Device keys, crypto and state stores; default data_dir/matrix.
    matrix_store_dir: Path | None = None
    # Whose invitations are accepted: server names and/or user ids; default the bot's own server.
    matrix_allowed_servers: Annotated[list[str], NoDecode] = []
    # Where people open the gateway's pages (https://lotsen.example.se): the bot's links to our
    # pages (/kunskap/…) start with it, since a Matrix client has no page to resolve them against.
    matrix_page_base: str | None = None
    # The OpenAPI description and its pages (/docs, /redoc, /openapi.json): off unless asked
    # for, they map the whole API for anyone.
    api_docs: bool = False

    @field_validator("allowed_origins", "frame_ancestors", mode="before")
    @classmethod
    def _split_origins(cls, value):
        return [v.strip() for v in value.split(",") if v.strip()] if isinstance(value, str) else value

    @field_validator("matrix_allowed_servers", mode="before")
    @classmethod
    def _split_names(cls, value):
        return [v.strip() for v in value.split(",") if v.strip()] if isinstance(value, str) else value

    @field_validator("allowed_origins", "frame_ancestors")
    @classmethod
    def _one_directive(cls, value: list[str]) -> list[str]:
        # These end up in response headers (CSP, CORS): a ";" would start another CSP
        # directive, a line break another header.
        for item in value:
            if any(ch in item for ch in ";,\r\n\x00") or any(ord(ch) < 32 for ch in item):
                raise ValueError(f"får inte innehålla semikolon eller radbrytningar: {item!r}")
        return value

    @field_validator("rasa_urls", mode="before")
    @classmethod
    def _split_urls(cls, value):
        return [v.strip().rstrip("/") for v in value.split(",") if v.strip()] if isinstance(value, str) else value

    @property
    def engine_urls(self) -> list[str]:
        """The Rasa instances: LOTSEN_RASA_URLS, or the single LOTSEN_RASA_URL."""
        return list(dict.fromkeys(self.rasa_urls)) or [self.rasa_url]

    @property
    def statistics_db_url(self) -> str:
        return self.statistics_url or f"sqlite:///{self.data_dir / 'statistics.db'}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
