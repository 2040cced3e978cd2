"""Build the Teams app package from configuration: `make teams-package`.

teams/manifest.template.json + teams/app.yml (the organisation's details) + LOTSEN_TEAMS_APP_ID
→ manifest.json, checked against the vendored JSON schema of its version, zipped flat with
the two icons. An IT administrator uploads the zip (docs/teams.md).

    python -m gateway.teams.package [--config teams/app.yml] [--out build/teams/paverkanslotsen-teams.zip]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import zipfile
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from gateway.settings import Settings
from gateway.teams.config import TEAMS_DIR

TEMPLATE = TEAMS_DIR / "manifest.template.json"
APP_CONFIG = TEAMS_DIR / "app.yml"
ICONS = ("color.png", "outline.png")
DEFAULT_OUT = TEAMS_DIR.parent / "build" / "teams" / "paverkanslotsen-teams.zip"
# A fixed date inside the zip: the same configuration gives the same bytes.
_ZIP_DATE = (2024, 1, 1, 0, 0, 0)
_PLACEHOLDER = re.compile(r"\$\{([a-z_]+)\}")
_GUID = r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$"
_HTTPS = r"^https://[^\s/$.?#][^\s]*$"


class PackageError(ValueError):
    """The configuration cannot make a valid package; the message says what to change (Swedish)."""


class AppConfig(BaseModel):
    """teams/app.yml: what the manifest needs from the organisation."""

    model_config = ConfigDict(extra="forbid")

    version: str = Field(pattern=r"^\d+\.\d+\.\d+$")
    developer_name: str = Field(min_length=1, max_length=32)
    website_url: str = Field(pattern=_HTTPS, max_length=2048)
    privacy_url: str = Field(pattern=_HTTPS, max_length=2048)
    terms_url: str = Field(pattern=_HTTPS, max_length=2048)
    accent_color: str = Field(pattern=r"^#[0-9a-fA-F]{6}$")

    @classmethod
    def load(cls, path: Path = APP_CONFIG) -> AppConfig:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise PackageError(f"{path} kan inte läsas: {type(exc).__name__}.") from exc
        try:
            return cls.model_validate(data if isinstance(data, dict) else {})
        except ValidationError as exc:
            fields = ", ".join(".".join(str(p) for p in e["loc"]) or "filen" for e in exc.errors())
            raise PackageError(f"{path}: fel eller saknat värde i {fields}.") from exc


def _fill(node: Any, values: dict[str, str]) -> Any:
    if isinstance(node, dict):
        return {k: _fill(v, values) for k, v in node.items()}
    if isinstance(node, list):
        return [_fill(v, values) for v in node]
    if isinstance(node, str):

        def value(match: re.Match) -> str:
            if match.group(1) not in values:
                raise PackageError(f"{TEMPLATE.name}: okänd platshållare ${{{match.group(1)}}}.")
            return values[match.group(1)]

        return _PLACEHOLDER.sub(value, node)
    return node


def build_manifest(app_id: str | None, config: AppConfig, template: Path = TEMPLATE) -> dict:
    app_id = (app_id or "").strip()
    if not re.match(_GUID, app_id):
        raise PackageError("LOTSEN_TEAMS_APP_ID saknas eller är inte ett GUID: ange botens app-id (Microsoft App ID).")
    values = {**config.model_dump(), "app_id": app_id.lower()}
    return _fill(json.loads(template.read_text(encoding="utf-8")), values)


def schema_file(manifest: dict) -> Path:
    return TEAMS_DIR / "schema" / f"MicrosoftTeams.v{manifest.get('manifestVersion')}.schema.json"


def validate(manifest: dict) -> None:
    """Against the vendored schema of the manifest's own version (teams/schema/README.md)."""
    path = schema_file(manifest)
    if not path.is_file():
        raise PackageError(f"Schemat {path.name} saknas i teams/schema/ (se README där).")
    schema = json.loads(path.read_text(encoding="utf-8"))
    validator = jsonschema.Draft4Validator(schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(manifest), key=lambda e: list(e.absolute_path))
    if errors:
        where = "/".join(str(p) for p in errors[0].absolute_path) or "(roten)"
        raise PackageError(f"manifest.json följer inte schemat vid {where}: {errors[0].message}")


def build(out: Path, app_id: str | None, config: AppConfig) -> Path:
    manifest = build_manifest(app_id, config)
    validate(manifest)
    out.parent.mkdir(parents=True, exist_ok=True)
    files = {"manifest.json": json.dumps(manifest, ensure_ascii=False, indent=2).encode() + b"\n"}
    files.update({name: (TEAMS_DIR / name).read_bytes() for name in ICONS})
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=_ZIP_DATE), data, compress_type=zipfile.ZIP_DEFLATED)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Bygg Teams-appens paket (manifest.json och ikoner).")
    parser.add_argument("--config", type=Path, default=APP_CONFIG, help="organisationens uppgifter (teams/app.yml)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    try:
        out = build(args.out, Settings().teams_app_id, AppConfig.load(args.config))
    except PackageError as exc:
        print(f"Teams-paketet byggdes inte: {exc}", file=sys.stderr)
        return 2
    print(f"Teams-paketet: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
