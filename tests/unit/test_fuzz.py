"""Schemathesis against the gateway's own OpenAPI: generated requests, no server error, no
response outside the documented schema. The engine is a fast stand-in (this tests the
gateway's handling of input); the real engine is covered by the end-to-end tests.
"""

from __future__ import annotations

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from gateway.main import create_app
from gateway.settings import Settings
from tests import fake_engine

EXAMPLES_PER_OPERATION = 160
MIN_REQUESTS = 1000
sent = {"requests": 0}


def engine(request: httpx.Request) -> httpx.Response:
    if request.url.path == fake_engine.WEBHOOK:
        return fake_engine.reply(
            {"text": "Svar", "buttons": [{"title": "Mutor", "payload": "/mutor"}]}, fake_engine.turn(topic="gavor")
        )
    return httpx.Response(200, text="ok")


pytestmark = pytest.mark.slow  # every documented route, generated requests


@pytest.fixture(scope="module")
def api_schema():
    app = create_app(Settings(rate_limit_per_minute=0, api_docs=True), engine_transport=httpx.MockTransport(engine))
    return schemathesis.openapi.from_asgi("/openapi.json", app)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_generated_requests_get_documented_answers(case):
    sent["requests"] += 1
    # positive_data_acceptance is left out on purpose: a schema-valid but unknown button
    # payload is refused (422) by design – only payloads the bot offered are accepted.
    case.call_and_validate(excluded_checks=[schemathesis.checks.positive_data_acceptance])


def test_enough_requests_were_generated():
    """Runs after the generated tests in this module (pytest keeps file order)."""
    assert sent["requests"] >= MIN_REQUESTS, sent
