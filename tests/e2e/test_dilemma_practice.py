"""Dilemma practice end to end through POST /api/chat (issue 18 §3): every choice of every
case, and the next case after the last one."""

from __future__ import annotations

import pytest

from knowledge.dilemmas import load_dilemmas
from tests.e2e.test_flows import Chat

pytestmark = pytest.mark.e2e

D = load_dilemmas()


def test_asking_to_practise_shows_the_first_case_with_its_choices_as_buttons(stack):
    chat = Chat(stack, "dilemma")
    chat.say("Jag vill öva på ett dilemma")
    first = D.cases[0]
    assert chat.has(first.text) and chat.last["topic"] == first.topic
    assert [b["title"] for b in chat.buttons()] == [c.text for c in first.choices]


def test_every_choice_of_every_case_says_why_with_the_rule_the_article_and_the_questions(stack, kb):
    """One conversation through all cases: each choice (the gateway accepts every button it
    offered in the session), then "Nästa dilemma"; after the last case the first comes again."""
    chat = Chat(stack, "dilemma-all")
    chat.say("ge mig ett dilemma")
    for case in D.cases:
        assert chat.has(case.text), (case.id, chat.texts())
        offered = {b["title"]: b["payload"] for b in chat.buttons()}
        assert list(offered) == [c.text for c in case.choices]
        for choice in case.choices:
            chat._post({"payload": offered[choice.text]})
            verdict = D.texts["right"] if choice.right else D.texts["wrong"]
            assert chat.has(f"{verdict} {choice.why}") and chat.has(case.rule), (case.id, choice.id)
            assert f"/kunskap/{case.topic}" in chat.links()
            assert all(chat.has(q) for q in case.questions)
            assert chat.last["topic"] == case.topic
            assert {kb.articles[case.topic].title, D.texts["next_button"]} <= {b["title"] for b in chat.buttons()}
            if not choice.right:
                assert chat.has(case.right_choices[0].why)
        chat.click(f'"dilemma_case": "{D.after(case.id).id}"}}')
    assert chat.has(D.cases[0].text)
