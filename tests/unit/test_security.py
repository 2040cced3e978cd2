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

ROOT = Path(__file__).resolve().parents[2]


def engine_down(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("down", request=request)


def client_for(**settings) -> TestClient:
    return TestClient(create_app(Settings(**settings), engine_transport=httpx.MockTransport(engine_down)))


def test_security_headers_on_pages_and_api():
    with client_for(frame_ancestors=["https://intranat.example"]) as c:
        for path in ("/", "/kunskap", "/api/topics", "/finns-inte"):
            headers = c.get(path).headers
            csp = headers["content-security-policy"]
            assert "unsafe-inline" not in csp and "script-src 'self'" in csp
            assert "frame-ancestors https://intranat.example" in csp
            assert headers["x-content-type-options"] == "nosniff"
            assert headers["referrer-policy"] == "strict-origin-when-cross-origin"


def test_widget_style_is_allowed_by_hash_only(kb):
    from gateway.assets import StaticAssets
    from gateway.security import style_hash

    with client_for() as c:
        csp = c.get("/").headers["content-security-policy"]
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
    with client_for(rate_limit_per_minute=60, rate_limit_burst=3) as c:
        codes = [c.post("/api/chat", json={"session_id": "rate-limit-1", "text": "hej"}).status_code for _ in range(5)]
        assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429]
        r = c.post("/api/chat", json={"session_id": "rate-limit-1", "text": "hej"})
        assert r.json()["error"]["code"] == "rate_limited" and "försök igen" in r.json()["error"]["message"]
        assert int(r.headers["retry-after"]) >= 1
        assert c.get("/kunskap").status_code == 200  # pages are not limited


def test_broken_knowledge_base_refuses_to_start(tmp_path):
    broken = tmp_path / "org.yml"
    broken.write_text("name: Trasig\nchannels:\n  chef: {}\n", encoding="utf-8")
    env = {**os.environ, "LOTSEN_ORGANISATION_FILE": str(broken)}
    proc = subprocess.run(
        [sys.executable, "-c", "from gateway.main import create_app; create_app()"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode != 0
    assert "Kunskapsbasen är ogiltig" in proc.stderr and "org.yml" in proc.stderr and "'name' saknas" in proc.stderr


@pytest.mark.parametrize("bad", ["abc", "12345678901234567890123456789012345678901234567890123456789012345", "å" * 10])
def test_session_ids_outside_the_pattern_are_refused(bad):
    with client_for() as c:
        assert c.post("/api/chat", json={"session_id": bad, "text": "hej"}).status_code == 422
