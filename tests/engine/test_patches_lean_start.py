"""bot.patches.lean_start: no TensorFlow, compact lookup tables, the same answers as Rasa's own
loading on the trained model."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.patches import lean_start

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "lotsen.tar.gz"
TEXTS = [
    "Vad gör jag om jag blir erbjuden en gåva?",
    "han står i receptionen och hotar mig med kniv",
    "är jag jävig om det är min kusins ärende",
    "när kommer lönen",
    "hej",
    "xyzzy",
    "Jag blev hotad av en klient igår",
    "gava fran leverantor",
]

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
LEAN_PROBE = (
    ANSWERS
    + """
import asyncio, json, sys
from bot import patches
from bot.patches import lean_start
lean_start.install_lean_imports()
patches.apply_all(lean=True)
from rasa.core.agent import Agent
agent = Agent.load(sys.argv[1])
result = asyncio.run(answers(agent, json.loads(sys.argv[2])))
print(json.dumps({"answers": result, "really_loaded": [n for n in lean_start.LAZY_MODULES if lean_start.really_loaded(n)],
                  "keras": "keras" in sys.modules, "train_schema": type(agent.processor.model_metadata.train_schema).__name__}))
"""
)


def test_lean_start_answers_exactly_as_rasa_without_loading_tensorflow(tmp_path):
    import asyncio
    import json
    import os
    import subprocess
    import sys

    from rasa.core.agent import Agent

    if not MODEL.exists():
        pytest.fail(f"ingen tränad modell i {MODEL}: kör make model")
    env = {
        **os.environ,
        "LOTSEN_DATA_DIR": str(tmp_path),
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "RASA_TELEMETRY_ENABLED": "false",
    }
    run = subprocess.run(
        [sys.executable, "-c", LEAN_PROBE, str(MODEL), json.dumps(TEXTS)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
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
    compact = lean_start.compact_table(original)
    assert isinstance(compact, Table) and compact is not original and len(compact) == len(original) > 100_000
    for key, value in dict.items(original):
        assert compact.get(key) == value
    for word in ("hotade", "gåvor", "kniv", "jävig"):
        assert compact.get(word, word) == original.get(word, word)
        assert (word in compact) == (word in original)
    assert compact.get("xyzzyqq", "fallback") == "fallback" and "xyzzyqq" not in compact
    with pytest.raises(KeyError):
        compact["xyzzyqq"]
