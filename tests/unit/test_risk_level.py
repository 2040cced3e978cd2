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


@pytest.fixture(scope="module")
def pages():
    import httpx
    from fastapi.testclient import TestClient

    from gateway.main import create_app
    from gateway.settings import Settings

    app = create_app(Settings(), engine_transport=httpx.MockTransport(lambda r: httpx.Response(503)))
    with TestClient(app) as client:
        yield client


def test_the_outcome_links_to_a_printable_summary_of_level_answers_actions_and_contacts(flow, kb, pages):
    from datetime import date

    from knowledge.outcomes import outcome_messages

    answers = {
        "risk_acute": "nej",
        "risk_concrete": "dolt",
        "risk_repeated": "forsta",
        "risk_private": "nej",
        "risk_capacity": "nej",
    }
    messages, _, _ = outcome_messages(kb, flow, answers)
    link = next(lk for m in messages for lk in m.get("links") or [] if lk["url"].startswith("/kunskap/hotniva?"))
    page = pages.get(link["url"])
    assert page.status_code == 200
    text = page.text
    verdict = flow.extra["verdicts"]["medel"]
    assert verdict["title"] in text and NOT_INSTEAD in text and date.today().isoformat() in text
    for question in flow.questions.values():
        assert question.label in text
    assert flow.questions["risk_concrete"].options["dolt"].label in text
    for key in flow.outcome(answers)["channels"]:
        assert kb.channel(key).name in text


def test_the_summary_of_acute_danger_starts_with_112_and_a_query_without_answers_is_explained(flow, kb, pages):
    # As the chat links it: finish_when gave the questions not asked their first option.
    answers = {slot: next(iter(q.options)) for slot, q in flow.questions.items()}
    acute = pages.get(flow.print_link({**answers, "risk_acute": "ja"})["url"])
    assert acute.status_code == 200 and kb.phrases["emergency_line"] in acute.text
    for query in ("", "?risk_acute=nej", "?risk_acute=<script>&namn=Kalle"):
        page = pages.get(f"/kunskap/hotniva{query}")
        assert page.status_code == 400 and flow.extra["print_page"]["incomplete"] in page.text
        assert "<script>" not in page.text and "Kalle" not in page.text
