"""bot.patches: every patch names the Rasa it was written for and really replaces Rasa's code path
(a Rasa upgrade that renames one fails here); the kept-alive sessions and the compiled
action-reply check keep Rasa's behaviour. Patch-specific comparisons with Rasa's own code on the
trained model: tests/engine/test_patches_*.py."""

from __future__ import annotations

from importlib.metadata import version

import pytest
import rasa.core.processor
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.core.policies.rule_policy import RulePolicy
from rasa.utils.endpoints import EndpointConfig

from bot import patches
from bot.patches import action_sessions, rule_lookup, tracker_cache
from bot.patches.graph_runner import SequentialGraphRunner
from bot.tracker_store import RedactingSQLTrackerStore


@pytest.fixture
def fixes(monkeypatch):
    for owner, name in (
        (RemoteAction, "_validate_action_result"),
        (rasa.core.processor, "DaskGraphRunner"),
        (RulePolicy, "_get_possible_keys"),
        (EndpointConfig, "session"),
        (RedactingSQLTrackerStore, "serving_class"),
    ):
        monkeypatch.setattr(owner, name, getattr(owner, name))  # restored after the test
    return patches.apply_all(lean=False)


def test_every_patch_is_a_module_written_for_the_installed_rasa():
    modules = patches.modules()
    assert [m.__name__.rsplit(".", 1)[1] for m in modules] == list(patches.NAMES)
    for module in modules:
        assert module.RASA_VERSION == version("rasa"), module.__name__
        assert callable(module.apply)
        doc = " ".join(module.__doc__.split())
        assert "Written against Rasa" in doc and "Measured gain" in doc and "Drop when" in doc, module.__name__


def test_the_patches_replace_rasa_s_code_paths(fixes):
    assert fixes == tuple(n for n in patches.NAMES if n != "lean_start")
    assert rasa.core.processor.DaskGraphRunner is SequentialGraphRunner
    assert RulePolicy._get_possible_keys is rule_lookup.possible_keys
    assert RemoteAction._validate_action_result.__name__ == "validate_action_result"
    assert RedactingSQLTrackerStore.serving_class is tracker_cache.CachedTrackerStore


def test_stock_switch_reads_lotsen_stock_rasa():
    assert patches.stock_wanted({}) is False
    assert patches.stock_wanted({"LOTSEN_STOCK_RASA": "0"}) is False
    for on in ("1", "true", "yes", " ON "):
        assert patches.stock_wanted({"LOTSEN_STOCK_RASA": on}) is True


def test_calls_to_the_action_server_reuse_one_connection(fixes):
    # A real HTTP server; Rasa's EndpointConfig.request as the engine calls the action server.
    import asyncio

    from aiohttp import web

    body = {"next_action": "x", "tracker": {"latest_message": {"text": "hotad på väg/hem", "confidence": 0.25}}}

    async def scenario() -> set:
        peers = set()

        async def webhook(request: web.Request) -> web.Response:
            peers.add(request.transport.get_extra_info("peername"))
            assert await request.json() == body
            return web.json_response({"events": [], "responses": []})

        app = web.Application()
        app.router.add_post("/webhook", webhook)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        endpoint = EndpointConfig(f"http://127.0.0.1:{port}/webhook")
        try:
            for _ in range(5):
                assert await endpoint.request(json=body) == {"events": [], "responses": []}
        finally:
            await endpoint.session()._session.close()
            await runner.cleanup()
        return peers

    assert len(asyncio.run(scenario())) == 1  # five calls, one client connection (Rasa: five)


def test_request_bodies_are_the_json_rasa_would_send():
    import json

    import numpy as np

    value = {"text": "kniv/hot å ä ö \u2028", "n": [1, 2.5, None, True], "nested": {"x": -0.0}}
    assert json.loads(action_sessions.dumps_json(value)) == value
    # What ujson refuses goes through json, which gives what Rasa itself sends (or its error).
    assert action_sessions.dumps_json({"x": float("nan")}) == json.dumps({"x": float("nan")})
    with pytest.raises(TypeError):
        action_sessions.dumps_json({"x": np.float32(0.5)})


def test_the_compiled_check_accepts_good_and_refuses_bad_replies(fixes):
    action = RemoteAction("action_answer_topic", None)
    assert action._validate_action_result(
        {"events": [{"event": "slot", "name": "x", "value": 1}], "responses": [{"text": "hej"}]}
    )
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        action._validate_action_result({"events": "not a list"})
