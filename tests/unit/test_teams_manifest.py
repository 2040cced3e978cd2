"""The Teams app package (make teams-package): a manifest valid against its JSON schema, two icons."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import zipfile
import zlib

import jsonschema
import pytest

from gateway.teams import package
from gateway.teams.config import TEAMS_DIR

APP_ID = "5F0C7A8E-1B2C-4D3E-9F00-112233445566"


def png_pixels(data: bytes) -> tuple[int, int, list[tuple[int, int, int, int]]]:
    """Width, height and RGBA pixels of an 8-bit RGBA PNG without row filters (as make_icons writes)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, header, idat = 8, None, b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        header = body if kind == b"IHDR" else header
        idat += body if kind == b"IDAT" else b""
        pos += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", header[:10])
    assert (depth, colour) == (8, 6), "8-bit RGBA"
    raw = zlib.decompress(idat)
    stride = 1 + 4 * width
    rows = [raw[i * stride : (i + 1) * stride] for i in range(height)]
    assert all(row[0] == 0 for row in rows)
    return width, height, [tuple(row[1 + 4 * x : 5 + 4 * x]) for row in rows for x in range(width)]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("teams") / "app.zip"
    package.build(out, APP_ID, package.AppConfig.load())
    with zipfile.ZipFile(out) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_package_holds_manifest_and_icons_at_its_root(built):
    assert sorted(built) == ["color.png", "manifest.json", "outline.png"]


def test_manifest_is_valid_against_the_schema_of_its_version(built):
    manifest = json.loads(built["manifest.json"])
    schema = json.loads(
        (TEAMS_DIR / "schema" / f"MicrosoftTeams.v{manifest['manifestVersion']}.schema.json").read_text()
    )
    assert schema["properties"]["manifestVersion"]["const"] == manifest["manifestVersion"]
    assert manifest["$schema"].endswith(f"/v{manifest['manifestVersion']}/MicrosoftTeams.schema.json")
    jsonschema.Draft4Validator(schema).validate(manifest)


def test_manifest_carries_the_configured_bot(built):
    manifest = json.loads(built["manifest.json"])
    assert manifest["id"] == manifest["bots"][0]["botId"] == APP_ID.lower()
    assert manifest["bots"][0]["scopes"] == ["personal", "team", "groupChat"]
    assert manifest["developer"]["name"] == package.AppConfig.load().developer_name
    assert manifest["icons"] == {"color": "color.png", "outline": "outline.png"}
    assert "${" not in built["manifest.json"].decode()


def test_icons_have_teams_sizes_and_the_outline_is_white_on_transparent(built):
    width, height, colour = png_pixels(built["color.png"])
    assert (width, height) == (192, 192) and all(a == 255 for *_, a in colour)
    width, height, outline = png_pixels(built["outline.png"])
    assert (width, height) == (32, 32)
    drawn = [p for p in outline if p[3]]
    assert drawn and all(p[:3] == (255, 255, 255) for p in drawn)
    assert any(p[3] == 0 for p in outline)


@pytest.mark.slow
def test_committed_icons_are_what_the_script_draws(tmp_path):
    subprocess.run([sys.executable, str(TEAMS_DIR / "make_icons.py"), str(tmp_path)], check=True, capture_output=True)
    for name in package.ICONS:
        assert (tmp_path / name).read_bytes() == (TEAMS_DIR / name).read_bytes(), name


def test_same_configuration_same_bytes(tmp_path):
    first, second = tmp_path / "a.zip", tmp_path / "b.zip"
    config = package.AppConfig.load()
    package.build(first, APP_ID, config)
    package.build(second, APP_ID, config)
    assert first.read_bytes() == second.read_bytes()


@pytest.mark.parametrize("app_id", [None, "", "not-a-guid", "5f0c7a8e1b2c4d3e9f00112233445566"])
def test_without_a_proper_app_id_no_package(tmp_path, app_id):
    with pytest.raises(package.PackageError, match="LOTSEN_TEAMS_APP_ID"):
        package.build(tmp_path / "app.zip", app_id, package.AppConfig.load())
    assert not (tmp_path / "app.zip").exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"developer_name": "x" * 33}, "developer_name"),
        ({"privacy_url": "http://intranat.example/"}, "privacy_url"),
        ({"version": "1.0"}, "version"),
        ({"accent_color": "blue"}, "accent_color"),
        ({"extra": 1}, "extra"),
    ],
)
def test_bad_app_config_is_refused_naming_the_field(tmp_path, change, field):
    config = dict(package.AppConfig.load().model_dump(), **change)
    path = tmp_path / "app.yml"
    path.write_text(json.dumps(config), encoding="utf-8")
    with pytest.raises(package.PackageError, match=field):
        package.AppConfig.load(path)


def test_a_manifest_breaking_the_schema_is_refused(tmp_path):
    manifest = package.build_manifest(APP_ID, package.AppConfig.load())
    manifest["bots"][0]["scopes"] = ["everyone"]
    with pytest.raises(package.PackageError, match="bots/0/scopes/0"):
        package.validate(manifest)


def test_command_line_reads_the_app_id_from_the_environment(tmp_path, monkeypatch, capsys):
    out = tmp_path / "cli.zip"
    monkeypatch.setenv("LOTSEN_TEAMS_APP_ID", APP_ID)
    assert package.main(["--out", str(out)]) == 0 and zipfile.is_zipfile(out)
    monkeypatch.delenv("LOTSEN_TEAMS_APP_ID")
    assert package.main(["--out", str(tmp_path / "none.zip")]) == 2
    assert "LOTSEN_TEAMS_APP_ID" in capsys.readouterr().err
