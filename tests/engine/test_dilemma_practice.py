"""Dilemma practice: the case with its choices, then why, the rule, the article and the next case."""

from __future__ import annotations

from actions.dilemma_practice import ActionDilemmaPractice, dilemmas
from tests.engine.builders import Conversation, meta, payloads, texts


def test_without_a_case_the_first_case_is_shown_with_its_choices():
    case = dilemmas().cases[0]
    messages, _ = Conversation().say("dilemma_practice", "ge mig ett dilemma").run(ActionDilemmaPractice())
    assert case.text in texts(messages)[0]
    assert payloads(messages) == [
        f'/dilemma_practice{{"dilemma_case": "{case.id}", "dilemma_choice": "{c.id}"}}' for c in case.choices
    ]
    assert meta(messages)["topic"] == case.topic


def test_a_wrong_choice_says_why_and_names_the_better_one_and_offers_the_next_case():
    d = dilemmas()
    case = d.cases[3]
    wrong = next(c for c in case.choices if not c.right)
    entities = {"dilemma_case": case.id, "dilemma_choice": wrong.id}
    messages, _ = Conversation().say("dilemma_practice", entities=entities).run(ActionDilemmaPractice())
    first = texts(messages)[0]
    assert first.startswith(d.texts["wrong"]) and wrong.why in first and case.right_choices[0].why in first
    assert case.rule in first
    assert f'/dilemma_practice{{"dilemma_case": "{d.cases[4].id}"}}' in payloads(messages)
    assert meta(messages)["topic"] == case.topic


def test_an_unknown_case_starts_from_the_first():
    messages, _ = Conversation().say("dilemma_practice", entities={"dilemma_case": "nope"}).run(ActionDilemmaPractice())
    assert dilemmas().cases[0].text in texts(messages)[0]
