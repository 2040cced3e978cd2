"""Gateway hardening: security headers, body size limit, rate limit, refusing a broken start."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from gateway.main import create_app
from gateway.settings import Settings
from tests import fake_engine

ROOT = Path(__file__).resolve().parents[2]


def engine_down(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("down", request=request)


def client_for(**settings) -> TestClient:
    return TestClient(create_app(Settings(**settings), engine_transport=httpx.MockTransport(engine_down)))


@pytest.fixture(scope="module")
def default_client():
    """One app with the default settings for the tests that only read or are refused: nothing
    they do changes its state, so they share it instead of building one each."""
    with client_for() as c:
        yield c


def test_security_headers_on_pages_and_api():
    with client_for(frame_ancestors=["https://intranat.example"]) as c:
        for path in ("/", "/kunskap", "/api/topics", "/finns-inte"):
            headers = c.get(path).headers
            csp = headers["content-security-policy"]
            assert "unsafe-inline" not in csp and "script-src 'self'" in csp
            assert "frame-ancestors https://intranat.example" in csp
            assert headers["x-content-type-options"] == "nosniff"
            assert headers["referrer-policy"] == "strict-origin-when-cross-origin"


def test_widget_style_is_allowed_by_hash_only(kb, default_client):
    from gateway.assets import StaticAssets
    from gateway.security import style_hash

    csp = default_client.get("/").headers["content-security-policy"]
    assert style_hash(StaticAssets.load().widget_css) in csp


def test_body_over_the_limit_is_refused_with_json():
    with client_for(max_body_bytes=2048) as c:
        big = '{"session_id": "abcdefgh", "text": "' + "x" * 4000 + '"}'
        r = c.post("/api/chat", content=big, headers={"content-type": "application/json"})
        assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"

        def chunks():
            yield b'{"session_id": "abcdefgh", "text": "'
            for _ in range(10):
                yield b"x" * 500
            yield b'"}'

        streamed = c.post("/api/chat", content=chunks(), headers={"content-type": "application/json"})
        assert streamed.status_code == 413


def test_rate_limit_answers_429_in_swedish_with_retry_after():
    # 3 per 90 s: the sliding window's counters turn over on whole windows of the clock; in a
    # long one the five requests almost never straddle a turn-over, which lets a fourth through.
    with client_for(rate_limit_per_minute=2, rate_limit_burst=3) as c:
        codes = [c.post("/api/chat", json={"session_id": "rate-limit-1", "text": "hej"}).status_code for _ in range(5)]
        assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429]
        r = c.post("/api/chat", json={"session_id": "rate-limit-1", "text": "hej"})
        assert r.json()["error"]["code"] == "rate_limited" and "försök igen" in r.json()["error"]["message"]
        assert int(r.headers["retry-after"]) >= 1
        assert c.get("/kunskap").status_code == 200  # pages are not limited


@pytest.mark.slow  # a whole gateway process starts (imports and all)
def test_broken_knowledge_base_refuses_to_start(tmp_path):
    broken = tmp_path / "org.yml"
    broken.write_text("name: Trasig\nchannels:\n  chef: {}\n", encoding="utf-8")
    env = {**os.environ, "LOTSEN_ORGANISATION_FILE": str(broken)}
    proc = subprocess.run(
        [sys.executable, "-c", "from gateway.main import create_app; create_app()"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode != 0
    assert "Kunskapsbasen är ogiltig" in proc.stderr and "org.yml" in proc.stderr and "'name' saknas" in proc.stderr


@pytest.mark.parametrize("bad", ["abc", "12345678901234567890123456789012345678901234567890123456789012345", "å" * 10])
def test_session_ids_outside_the_pattern_are_refused(default_client, bad):
    assert default_client.post("/api/chat", json={"session_id": bad, "text": "hej"}).status_code == 422


def test_ipv6_clients_share_a_bucket_per_64_and_ipv4_mapped_is_ipv4():
    from gateway.security import client_key

    assert client_key("2001:db8:1:2:aaaa::1") == client_key("2001:db8:1:2:ffff:1:2:3") == "2001:db8:1:2::/64"
    assert client_key("2001:db8:1:3::1") != client_key("2001:db8:1:2::1")
    assert client_key("::ffff:192.0.2.7") == client_key("192.0.2.7") == "192.0.2.7"
    assert client_key("testclient") == "testclient"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/session/clear", {"session_id": "abcdefgh12"}),
        ("GET", "/healthz", None),
        ("GET", "/kunskap?q=hot", None),
        ("POST", "/api/messages", {}),
    ],
)
def test_rate_limit_covers_every_costly_path(method, path, body):
    with client_for(rate_limit_per_minute=1, rate_limit_burst=2) as c:
        codes = [c.request(method, path, json=body).status_code for _ in range(3)]
        assert codes[-1] == 429 and 429 not in codes[:2]
        assert c.get("/kunskap").status_code == 200  # the pages without a search are not limited


def test_api_docs_are_off_unless_switched_on(default_client):
    assert [default_client.get(p).status_code for p in ("/docs", "/redoc", "/openapi.json")] == [404, 404, 404]
    with client_for(api_docs=True) as c:
        assert c.get("/openapi.json").status_code == 200


@pytest.mark.parametrize("value", ["https://a.example; script-src *", "https://a.example\r\nX-Evil: 1"])
@pytest.mark.parametrize("name", ["LOTSEN_FRAME_ANCESTORS", "LOTSEN_ALLOWED_ORIGINS"])
def test_header_settings_refuse_semicolons_and_line_breaks(monkeypatch, name, value):
    from pydantic import ValidationError

    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError):
        Settings()


def test_cors_offers_only_the_methods_the_api_has():
    with client_for(allowed_origins=["https://intranat.example"]) as c:
        r = c.options(
            "/api/chat", headers={"Origin": "https://intranat.example", "Access-Control-Request-Method": "POST"}
        )
        assert "DELETE" not in r.headers["access-control-allow-methods"]


def test_statistics_are_never_framed_whatever_frame_ancestors_says():
    with client_for(frame_ancestors=["https://intranat.example"]) as c:
        for path in ("/statistik", "/statistik.csv"):
            headers = c.get(path).headers
            assert "frame-ancestors 'none'" in headers["content-security-policy"], path
            assert headers["x-frame-options"] == "DENY"
        assert "frame-ancestors https://intranat.example" in c.get("/").headers["content-security-policy"]


def test_unexpected_errors_are_a_swedish_500_and_one_log_line_with_the_type(caplog):
    """Not re-raised: uvicorn would log the whole traceback, with what the person wrote."""

    def broken(request: httpx.Request) -> httpx.Response:
        raise RuntimeError(f"boom {request.content.decode()}")

    app = create_app(Settings(), engine_transport=httpx.MockTransport(broken))
    with TestClient(app, raise_server_exceptions=True) as c, caplog.at_level("DEBUG"):
        r = c.post("/api/chat", json={"session_id": "abcdefgh12", "text": "Zlatan Hemligsson vill ge mig en gåva"})
    assert r.status_code == 500 and r.json()["error"]["code"] == "internal_error"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "unexpected error: RuntimeError" in caplog.text
    assert "Zlatan" not in caplog.text and "Traceback" not in caplog.text


@pytest.mark.parametrize("session_id", ["teams-" + "a" * 40, "matrix-" + "b" * 40])
@pytest.mark.parametrize("path", ["/api/chat", "/api/session/clear"])
def test_channel_session_ids_are_refused_on_the_public_api(default_client, path, session_id):
    body = {"session_id": session_id, **({"text": "hej"} if path == "/api/chat" else {})}
    r = default_client.post(path, json=body)
    assert r.status_code == 422 and "teams-" in r.json()["error"]["message"]


@pytest.mark.parametrize(
    "typed",
    ["/gavor", '  /feedback{"helpful": "ja", "feedback_topic": "hot"}', "\u00a0/okand Zlatan", "/ /gavor", "///"],
)
def test_typed_text_never_reaches_the_engine_as_an_intent(typed):
    sent = []

    def engine(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/webhook"):
            import json

            sent.append(json.loads(request.content)["message"])
        return fake_engine.reply({"text": "Svar."})

    with TestClient(create_app(Settings(), engine_transport=httpx.MockTransport(engine))) as c:
        assert c.post("/api/chat", json={"session_id": "abcdefgh12", "text": typed}).status_code == 200
        assert c.post("/api/chat", json={"session_id": "abcdefgh12", "payload": "/gavor"}).status_code == 200
    assert not sent[0].strip().startswith("/") and sent[0].strip()
    assert sent[1] == "/gavor"  # a button payload is still one


def test_engine_processes_get_only_the_variables_they_need():
    from tools.stack import engine_env

    env = {
        "PATH": "/bin",
        "HOME": "/root",
        "LC_ALL": "C.UTF-8",
        "LOTSEN_DATA_DIR": "/d",
        "LOTSEN_PG_HOST": "db",
        "LOTSEN_TEAMS_CLIENT_SECRET": "x",
        "LOTSEN_STATISTICS_PASSWORD": "y",
        "LOTSEN_SECRET_KEY": "z",
        "LOTSEN_MATRIX_ACCESS_TOKEN": "w",
        "AWS_SECRET_ACCESS_KEY": "v",
    }
    assert sorted(engine_env(env)) == ["HOME", "LC_ALL", "LOTSEN_DATA_DIR", "LOTSEN_PG_HOST", "PATH"]


def test_gitignore_keeps_secrets_out_of_the_repository():
    for name in (".env", "bot.pfx", ".env.production"):
        done = subprocess.run(["git", "check-ignore", "-q", name], cwd=ROOT)
        assert done.returncode == 0, name


def test_deploy_recipes_trust_only_the_proxy_and_write_no_access_log():
    """docs/deploy.md: behind a proxy every uvicorn command names the proxy and logs no URLs."""
    import re

    text = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    commands = [c for c in re.findall(r"uvicorn[^`\n]*(?:\n\s+\"[^\n]*)*", text) if "proxy-headers" in c]
    assert commands
    for command in commands:
        assert "forwarded-allow-ips" in command and "no-access-log" in command, command
    assert "search text is in URLs" in text


def test_engine_constraints_are_installed_and_explained():
    make = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "-c constraints/engine.txt" in make
    security = (ROOT / "docs" / "security.md").read_text(encoding="utf-8")
    lines = [line.split("#")[0].strip() for line in (ROOT / "constraints" / "engine.txt").read_text().splitlines()]
    pins = [line.split("==") for line in lines if line]
    assert len(pins) == 7
    for name, version in pins:
        assert f"| {name} {version} |" in security, name


def test_statistics_database_is_private_and_deleted_questions_are_overwritten(tmp_path):
    import stat
    from datetime import datetime, timedelta, timezone

    from gateway.statistics.store import StatisticsStore, UnansweredQuestion

    path = tmp_path / "stats" / "statistics.db"
    store = StatisticsStore(f"sqlite:///{path}")
    store.ensure_schema()
    old = datetime.now(timezone.utc) - timedelta(days=40)
    store.add(
        {},
        [
            UnansweredQuestion(
                day=old.date(), created_at=old, channel="api", audience="okänd", text="Xylofonhemligheten"
            )
        ],
    )
    assert store.purge_unanswered(datetime.now(timezone.utc) - timedelta(days=30)) == 1
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA secure_delete").scalar() == 1
    store.close()
    for file in [path, *path.parent.glob("statistics.db-*")]:
        assert stat.S_IMODE(file.stat().st_mode) == 0o600, file
        assert b"Xylofonhemligheten" not in file.read_bytes(), file
