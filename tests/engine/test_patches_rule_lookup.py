"""bot.patches.rule_lookup.possible_keys gives exactly Rasa's RulePolicy._get_possible_keys on the
trained model's rules, for real conversations and for many rule-shaped histories."""

from __future__ import annotations

import asyncio
import json
import random
from pathlib import Path

import pytest
from rasa.core.agent import Agent
from rasa.core.policies.rule_policy import RulePolicy
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered

from bot.patches.rule_lookup import possible_keys

MODEL = Path(__file__).resolve().parents[2] / "models" / "lotsen.tar.gz"
TEXTS = [
    "Vad gör jag om jag blir erbjuden en gåva?",
    "hej",
    "Jag har blivit hotad av en klient",
    "vem ska jag ringa",
    "han står här med en kniv",
    "när kommer lönen",
    "ja",
    "nej tack",
]


@pytest.fixture(scope="module")
def rule_policy():
    if not MODEL.exists():
        pytest.fail(f"ingen tränad modell i {MODEL}: kör make model")
    agent = Agent.load(str(MODEL))
    for node in agent.processor.graph_runner._instantiated_nodes.values():
        if node._component is None:
            node._load_component()
        if isinstance(node._component, RulePolicy):
            return agent, node._component
    pytest.fail("no RulePolicy in the model")


def histories(agent, policy):
    """State lists from real conversations (text and intent featurisation), then from the
    rules themselves: each rule alone, and pairs of rules one after the other."""

    async def conversation():
        tracker = await agent.processor.fetch_tracker_and_update_session("rule-lookup")
        out = []
        for text in TEXTS:
            parsed = await agent.parse_message(text)
            tracker.update(UserUttered(text, parsed["intent"], [], parse_data=parsed))
            for use_text in (True, False):
                out.append(
                    policy._prediction_states(
                        tracker, agent.domain, use_text, rule_only_data=policy._get_rule_only_data()
                    )
                )
            tracker.update(ActionExecuted("action_answer_topic"))
            tracker.update(BotUttered("svar"))
            out.append(
                policy._prediction_states(tracker, agent.domain, False, rule_only_data=policy._get_rule_only_data())
            )
            tracker.update(ActionExecuted("action_listen"))
        return out

    found = asyncio.run(conversation())
    rules = [json.loads(key) for lookup in policy.lookup.values() if isinstance(lookup, dict) for key in lookup]
    found += rules
    rng = random.Random(0)
    found += [rng.choice(rules) + rng.choice(rules) for _ in range(300)]
    return found


def test_the_fast_lookup_equals_rasa_s(rule_policy):
    agent, policy = rule_policy
    lookups = [lookup for lookup in policy.lookup.values() if isinstance(lookup, dict) and lookup]
    assert sum(len(lookup) for lookup in lookups) > 50  # the model's rules are really there
    matched = 0
    for states in histories(agent, policy):
        for lookup in lookups:
            expected = RulePolicy._get_possible_keys(policy, lookup, states)
            assert possible_keys(policy, lookup, states) == expected
            matched += bool(expected)
    assert matched > 100  # many histories match some rule: the comparison is not vacuous
