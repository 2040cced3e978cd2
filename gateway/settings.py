"""The gateway's settings: one object per process, read once from LOTSEN_* variables."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from typing_extensions import Annotated


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LOTSEN_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    rasa_url: str = "http://127.0.0.1:5005"
    actions_url: str = "http://127.0.0.1:5055"
    # The engine must answer within this many seconds, or the gateway answers itself.
    engine_timeout: float = Field(3.0, gt=0, le=30)
    health_timeout: float = Field(2.0, gt=0, le=10)
    organisation_file: Path | None = None
    # Origins (scheme://host[:port]) whose pages may embed the widget; comma-separated.
    allowed_origins: Annotated[list[str], NoDecode] = []
    # How long offered button payloads are remembered per session.
    session_ttl_seconds: int = Field(24 * 3600, ge=60)

    @field_validator("allowed_origins", mode="before")
    @classmethod
    def _split_origins(cls, value):
        return [v.strip() for v in value.split(",") if v.strip()] if isinstance(value, str) else value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
