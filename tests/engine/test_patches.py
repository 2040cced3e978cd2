"""bot.patches: every patch names the Rasa it was written for and really replaces Rasa's code path
(a Rasa upgrade that renames one fails here); the kept-alive sessions and the compiled
action-reply check and the debug log without copies keep Rasa's behaviour. Patch-specific comparisons with Rasa's own code on the
trained model: tests/engine/test_patches_*.py."""

from __future__ import annotations

from importlib.metadata import version

import pytest
import rasa.core.processor
import structlog
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.core.policies.rule_policy import RulePolicy
from rasa.core.processor import MessageProcessor
from rasa.utils.endpoints import EndpointConfig

from bot import patches
from bot.patches import action_log_copies, action_result_check, action_sessions, rule_lookup, tracker_cache
from bot.patches.graph_runner import SequentialGraphRunner
from bot.tracker_store import RedactingSQLTrackerStore


@pytest.fixture
def fixes(monkeypatch):
    for owner, name in (
        (RemoteAction, "_validate_action_result"),
        (MessageProcessor, "_log_action_on_tracker"),
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
    assert MessageProcessor._log_action_on_tracker is action_log_copies.log_action_on_tracker
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


def _rasa_verdict(check, result) -> str:
    try:
        check(result)
    except ValidationError as e:
        return f"invalid: {e.message.split('. Failed to validate')[0]}"
    return "valid"


def test_the_quick_check_gives_rasa_s_verdict_on_every_kind_of_event():
    from jsonschema import validate
    from rasa.shared.constants import DOCS_BASE_URL
    from rasa.shared.core import events

    spec = RemoteAction.action_response_format_spec()
    quick = action_result_check.compiled_action_result_check(spec, DOCS_BASE_URL)
    from jsonschema.validators import validator_for

    # Every kind of event Rasa's spec knows is told apart by its name: the quick path covers all.
    kinds = action_result_check._by_event_name(spec, validator_for(spec))
    assert kinds is not None and len(kinds) == len(spec["properties"]["events"]["items"]["oneOf"])
    good = [
        e.as_dict()
        for e in (
            events.SlotSet("topic", "hot_och_vald"),
            events.SlotSet("role", None),
            events.ActionExecuted("action_answer_topic"),
            events.UserUttered("hej", {"name": "greet", "confidence": 1.0}),
            events.BotUttered("hej", {"buttons": [{"title": "Ja", "payload": "/ja"}], "custom": {"lotsen": {}}}),
            events.ActiveLoop("threat_assessment_form"),
            events.ActiveLoop(None),
            events.SessionStarted(),
            events.Restarted(),
            events.AllSlotsReset(),
            events.FollowupAction("action_listen"),
        )
    ]
    bad = [
        {"event": "slot", "value": 1},  # no name
        {"event": "slot", "name": 3, "value": 1},
        {"event": "nonsense"},
        {"event": 5},
        {"event": ["slot"], "name": "x", "value": 1},
        {"name": "x", "value": 1},
        {"event": "user", "text": 7},
        {"event": "action", "name": None, "timestamp": "today"},
        "slot",
    ]
    replies = [{"events": [e], "responses": [{"text": "hej"}]} for e in good + bad]
    replies += [
        {"events": good, "responses": []},
        {"events": good + bad[:1], "responses": []},
        {"events": "not a list"},
        {"events": None},
        {"responses": [{"text": "hej"}, "hej"]},
        {"responses": {"text": "hej"}},
        {},
        [],
        "hej",
    ]
    verdicts = []
    for reply in replies:
        ours = _rasa_verdict(lambda r: quick(None, r), reply)
        assert ours == _rasa_verdict(lambda r: validate(r, spec), reply), reply
        verdicts.append(ours)
    assert verdicts.count("valid") == len(good) + 2  # the good ones, alone and together, and {}


def _action_answered():
    """What the processor hands to _log_action_on_tracker after a custom action answered."""
    from types import SimpleNamespace

    from rasa.core.actions.action import RemoteAction
    from rasa.core.policies.policy import PolicyPrediction
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import BotUttered, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    domain = Domain.from_dict({"intents": ["hot"], "slots": {"topic": {"type": "any", "mappings": []}}})
    tracker = DialogueStateTracker.from_events("s", [UserUttered("hotad", {"name": "hot", "confidence": 1.0})])
    answer = [
        BotUttered("Ring 112.", {"custom": {"lotsen": {"part": {"kind": "emergency", "items": [{"text": "112"}]}}}}),
        SlotSet("topic", "hot_och_vald"),
    ]
    prediction = PolicyPrediction([1.0], "RulePolicy", events=[])
    return SimpleNamespace(domain=domain), tracker, RemoteAction("action_answer", None), answer, prediction


def test_an_action_is_logged_on_the_tracker_as_rasa_does_with_copies_only_for_a_debug_line(monkeypatch):
    import copy
    import logging

    original = MessageProcessor.__dict__["_log_action_on_tracker"]
    assert original is not action_log_copies.log_action_on_tracker  # no fixture applied the patch
    copies = []
    saved = structlog.get_config()
    try:
        for level, copied in ((logging.INFO, 0), (logging.DEBUG, 2)):
            structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(level))
            assert action_log_copies.debug_logged() is (level == logging.DEBUG)
            logged = {}
            for name, log_action_on_tracker in (("ours", action_log_copies.log_action_on_tracker), ("rasa", original)):
                processor, tracker, action, answer, prediction = _action_answered()
                with monkeypatch.context() as m:
                    m.setattr(copy, "deepcopy", lambda value, *a: copies.append(value) or value)
                    copies.clear()
                    log_action_on_tracker(processor, tracker, action, answer, prediction)
                    logged[name] = len(copies), [e.as_dict() | {"timestamp": None} for e in tracker.events]
            assert logged["ours"][1] == logged["rasa"][1]
            assert logged["ours"][1][-1]["event"] == "slot" and logged["ours"][1][-2]["event"] == "bot"
            assert (logged["ours"][0], logged["rasa"][0]) == (copied, 2)  # Rasa copies whatever the level
    finally:
        structlog.configure(**saved)
