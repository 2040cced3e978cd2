"""bot.serve: the speed fixes really replace Rasa's code paths (a Rasa upgrade that renames them
fails here), the action-reply check still refuses bad replies, and a tracker store that
cannot be loaded stops the start instead of Rasa's silent fallback to memory."""
from __future__ import annotations

from pathlib import Path

import pytest
import rasa.core.processor
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.core.policies.rule_policy import RulePolicy
from rasa.utils.endpoints import EndpointConfig

from bot import rule_lookup, serve
from bot.graph_runner import SequentialGraphRunner


@pytest.fixture
def fixes(monkeypatch):
    for owner, name in ((RemoteAction, "_validate_action_result"), (rasa.core.processor, "DaskGraphRunner"),
                        (RulePolicy, "_get_possible_keys"), (EndpointConfig, "session")):
        monkeypatch.setattr(owner, name, getattr(owner, name))  # restored after the test
    serve.apply_speed_fixes()


def test_the_fixes_replace_rasa_s_code_paths(fixes):
    assert rasa.core.processor.DaskGraphRunner is SequentialGraphRunner
    assert RulePolicy._get_possible_keys is rule_lookup.possible_keys
    assert RemoteAction._validate_action_result.__name__ == "validate_action_result"


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
    assert json.loads(serve.dumps_json(value)) == value
    # What ujson refuses goes through json, which gives what Rasa itself sends (or its error).
    assert serve.dumps_json({"x": float("nan")}) == json.dumps({"x": float("nan")})
    with pytest.raises(TypeError):
        serve.dumps_json({"x": np.float32(0.5)})


def test_the_compiled_check_accepts_good_and_refuses_bad_replies(fixes):
    action = RemoteAction("action_answer_topic", None)
    assert action._validate_action_result({"events": [{"event": "slot", "name": "x", "value": 1}],
                                           "responses": [{"text": "hej"}]})
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        action._validate_action_result({"events": "not a list"})


def test_a_tracker_store_that_cannot_load_stops_the_start(tmp_path):
    good, bad = tmp_path / "good.yml", tmp_path / "bad.yml"
    good.write_text("tracker_store:\n  type: bot.tracker_store.RedactingSQLTrackerStore\n")
    bad.write_text("tracker_store:\n  type: bot.no_such_module.Store\n")
    assert serve.check_tracker_store(["run", "--endpoints", str(good)]) is None
    problem = serve.check_tracker_store(["run", "--endpoints", str(bad)])
    assert problem and "bot.no_such_module.Store" in problem
    assert serve.main(["run", "--endpoints", str(bad)]) == 2


def test_the_engine_log_never_gets_what_people_wrote(caplog):
    # Rasa's REST channel logs this (structlog rendered to JSON) when the gateway gave up on a turn.
    import logging

    serve.install_log_filters()
    rest = logging.getLogger("rasa.core.channels.rest")
    with caplog.at_level(logging.INFO, logger="rasa.core.channels.rest"):
        rest.error('{"text": "han hotar mig, ring 070-123 45 67", "event": "rest.message.received.timeout", '
                   '"level": "error"}')
        rest.error({"text": "Karin Exempel hotar mig", "event": "rest.message.received.failure"})
        rest.error("not json but with \"text\": Karin")
    logged = caplog.text
    assert "hotar" not in logged and "Karin" not in logged and "070" not in logged
    assert "rest.message.received.timeout" in logged and serve.REMOVED in logged


# --- lean start: no TensorFlow, compact lookup tables, the same answers -----------------------
ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "lotsen.tar.gz"
TEXTS = ["Vad gör jag om jag blir erbjuden en gåva?", "han står i receptionen och hotar mig med kniv",
         "är jag jävig om det är min kusins ärende", "när kommer lönen", "hej", "xyzzy",
         "Jag blev hotad av en klient igår", "gava fran leverantor"]

# What the engine decides for each text: the parse and the first two predictions.
ANSWERS = """
async def answers(agent, texts):
    from rasa.shared.core.events import ActionExecuted, UserUttered
    out = []
    for i, text in enumerate(texts):
        parsed = await agent.parse_message(text)
        tracker = await agent.processor.fetch_tracker_and_update_session(f"s{i}")
        tracker.update(UserUttered(text, parsed["intent"], parsed["entities"], parse_data=parsed))
        first = agent.processor.predict_next_with_tracker(tracker)
        best = max(first["scores"], key=lambda s: s["score"])["action"]
        tracker.update(ActionExecuted(best))
        second = agent.processor.predict_next_with_tracker(tracker)
        out.append([parsed["intent"], parsed["intent_ranking"], parsed.get("emergency"), best,
                    first["scores"], first["policy"], second["scores"], second["policy"]])
    return out
"""

# Run in a fresh interpreter: lean imports only work before Rasa is first imported.
LEAN_PROBE = ANSWERS + """
import asyncio, json, sys
from bot import serve
serve.install_lean_imports()
serve.apply_speed_fixes()
serve.apply_lean_loading()
from rasa.core.agent import Agent
agent = Agent.load(sys.argv[1])
result = asyncio.run(answers(agent, json.loads(sys.argv[2])))
print(json.dumps({"answers": result, "really_loaded": [n for n in serve.LAZY_MODULES if serve.really_loaded(n)],
                  "keras": "keras" in sys.modules, "train_schema": type(agent.processor.model_metadata.train_schema).__name__}))
"""


def test_lean_start_answers_exactly_as_rasa_without_loading_tensorflow(tmp_path):
    import asyncio
    import json
    import os
    import subprocess
    import sys

    from rasa.core.agent import Agent

    if not MODEL.exists():
        pytest.fail(f"ingen tränad modell i {MODEL}: kör make model")
    env = {**os.environ, "LOTSEN_DATA_DIR": str(tmp_path), "TF_CPP_MIN_LOG_LEVEL": "2",
           "RASA_TELEMETRY_ENABLED": "false"}
    run = subprocess.run([sys.executable, "-c", LEAN_PROBE, str(MODEL), json.dumps(TEXTS)], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    lean = json.loads(run.stdout.strip().splitlines()[-1])
    assert lean["really_loaded"] == [] and lean["keras"] is False
    assert lean["train_schema"] == "DeferredSchema"

    scope: dict = {}
    exec(ANSWERS, scope)  # the same function, on Rasa's own loading in this process
    expected = asyncio.run(scope["answers"](Agent.load(str(MODEL)), TEXTS))
    assert lean["answers"] == json.loads(json.dumps(expected))
    assert expected[0][0]["name"] == "gavor" and expected[1][2]  # the model really answered


def test_compact_lookup_table_gives_every_lemma_of_the_original():
    import spacy
    from spacy.lookups import Table

    pipeline = ROOT / "build" / "spacy" / "sv"
    if not pipeline.exists():
        pytest.fail(f"ingen spaCy-pipeline i {pipeline}: kör make model")
    original = spacy.load(pipeline).get_pipe("lemmatizer").lookups.get_table("lemma_lookup")
    compact = serve.compact_table(original)
    assert isinstance(compact, Table) and compact is not original and len(compact) == len(original) > 100_000
    for key, value in dict.items(original):
        assert compact.get(key) == value
    for word in ("hotade", "gåvor", "kniv", "jävig"):
        assert compact.get(word, word) == original.get(word, word)
        assert (word in compact) == (word in original)
    assert compact.get("xyzzyqq", "fallback") == "fallback" and "xyzzyqq" not in compact
    with pytest.raises(KeyError):
        compact["xyzzyqq"]


def test_lean_switch_reads_lotsen_engine_lean():
    assert serve.lean_wanted({}) is True
    assert serve.lean_wanted({"LOTSEN_ENGINE_LEAN": "1"}) is True
    for off in ("0", "false", "no", "off", " OFF "):
        assert serve.lean_wanted({"LOTSEN_ENGINE_LEAN": off}) is False
