"""bot.patches.graph_runner.SequentialGraphRunner against Rasa's DaskGraphRunner on the trained model:
the same parse and the same next action for the same messages."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import rasa.core.processor
from rasa.core.agent import Agent
from rasa.shared.core.events import ActionExecuted, UserUttered

from bot.patches.graph_runner import SequentialGraphRunner

MODEL = Path(__file__).resolve().parents[2] / "models" / "lotsen.tar.gz"
TEXTS = [
    "Vad gör jag om jag blir erbjuden en gåva?",
    "han står i receptionen och hotar mig med kniv",
    "är jag jävig om det är min kusins ärende",
    "när kommer lönen",
    "hej",
    "xyzzy",
]


def load(monkeypatch, runner) -> Agent:
    monkeypatch.setattr(rasa.core.processor, "DaskGraphRunner", runner)
    return Agent.load(str(MODEL))


async def answers(agent: Agent) -> list:
    out = []
    for i, text in enumerate(TEXTS):
        parsed = await agent.parse_message(text)
        tracker = await agent.processor.fetch_tracker_and_update_session(f"s{i}")
        tracker.update(UserUttered(text, parsed["intent"], parsed["entities"], parse_data=parsed))
        first = agent.processor.predict_next_with_tracker(tracker)
        best = max(first["scores"], key=lambda s: s["score"])["action"]
        tracker.update(ActionExecuted(best))
        second = agent.processor.predict_next_with_tracker(tracker)
        out.append(
            (
                parsed["intent"],
                parsed["intent_ranking"],
                parsed.get("emergency"),
                best,
                first["scores"],
                first["policy"],
                first["confidence"],
                second["scores"],
                second["policy"],
            )
        )
    return out


def test_the_sequential_runner_answers_exactly_as_dask(monkeypatch):
    if not MODEL.exists():
        pytest.fail(f"ingen tränad modell i {MODEL}: kör make model")
    from rasa.engine.runner.dask import DaskGraphRunner

    expected = asyncio.run(answers(load(monkeypatch, DaskGraphRunner)))
    agent = load(monkeypatch, SequentialGraphRunner)
    assert isinstance(agent.processor.graph_runner, SequentialGraphRunner)
    assert asyncio.run(answers(agent)) == expected
    # The model really ran: a topic, the emergency net, and the topic's answer action.
    assert expected[0][0]["name"] == "gavor" and expected[1][2] and expected[0][3] == "action_answer_topic"
