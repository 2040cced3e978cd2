"""The manager's risk level (issue 18 §2): every combination of answers gets a level tied to
actions, every level says it never replaces the security function's or the police's
assessment, and acute danger gives the emergency answer."""

from __future__ import annotations

import itertools

import pytest

from knowledge.flows import load_flows

LEVELS = {"lag", "medel", "hog", "mycket_hog"}
NOT_INSTEAD = "ersätter aldrig säkerhetsfunktionens eller polisens bedömning"


@pytest.fixture(scope="module")
def flow():
    return load_flows().flows["risk_level"]


def combinations(flow, acute: str):
    slots = [s for s in flow.questions if s != "risk_acute"]
    for values in itertools.product(*(flow.questions[s].options for s in slots)):
        yield {"risk_acute": acute, **dict(zip(slots, values, strict=False))}


def test_acute_danger_is_an_emergency_whatever_else_was_answered(flow):
    assert all(flow.outcome(a).get("emergency") for a in combinations(flow, "ja"))


def test_every_other_combination_gets_one_of_the_four_levels(flow):
    reached = {flow.outcome(a)["verdict"] for a in combinations(flow, "nej")}
    assert reached == LEVELS


def test_every_level_names_actions_and_contacts_and_defers_to_the_experts(flow):
    for level in LEVELS:
        verdict = flow.extra["verdicts"][level]
        assert NOT_INSTEAD in verdict["next_step"]
    for rule in flow.rules[1:]:
        assert "sakerhetsfunktion" in rule["channels"]


def test_very_high_puts_112_first(flow):
    assert flow.extra["verdicts"]["mycket_hog"]["title"].startswith("Ring 112")


@pytest.mark.parametrize(
    ("answers", "level"),
    [
        ({"risk_concrete": "konkret", "risk_capacity": "ja"}, "mycket_hog"),
        ({"risk_concrete": "vagt", "risk_private": "ja", "risk_capacity": "ja"}, "mycket_hog"),
        ({"risk_concrete": "konkret", "risk_capacity": "nej"}, "hog"),
        ({"risk_private": "ja"}, "hog"),
        ({"risk_concrete": "dolt"}, "medel"),
        ({"risk_repeated": "upprepat"}, "medel"),
        ({"risk_capacity": "vet_inte"}, "medel"),
        ({}, "lag"),
    ],
)
def test_levels_follow_the_answers(flow, answers, level):
    base = {
        "risk_acute": "nej",
        "risk_concrete": "vagt",
        "risk_repeated": "forsta",
        "risk_private": "nej",
        "risk_capacity": "nej",
    }
    assert flow.outcome({**base, **answers})["verdict"] == level
