"""Dilemma practice (issue 18 §3): the cases as data and the printable APT-underlag."""

from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient

from gateway.main import create_app
from gateway.settings import Settings
from knowledge.dilemmas import DilemmasError, load_dilemmas


@pytest.fixture(scope="module")
def dilemmas():
    return load_dilemmas()


def test_at_least_twelve_cases_each_with_two_to_four_choices_and_a_right_one(dilemmas, kb):
    assert len(dilemmas.cases) >= 12
    assert dilemmas.check(kb.articles) == []
    for case in dilemmas.cases:
        assert 2 <= len(case.choices) <= 4 and case.right_choices and case.questions and case.rule


def test_no_kronor_limit_in_any_case(dilemmas):
    text = " ".join(f"{c.text} {c.rule} {' '.join(ch.why for ch in c.choices)}" for c in dilemmas.cases)
    assert "kronor" not in text and " kr " not in text


def test_after_walks_through_every_case_and_starts_again(dilemmas):
    seen, case = [], dilemmas.after(None)
    for _ in dilemmas.cases:
        seen.append(case.id)
        case = dilemmas.after(case.id)
    assert seen == [c.id for c in dilemmas.cases] and case.id == seen[0]


def test_a_case_without_a_right_choice_is_refused(tmp_path):
    bad = tmp_path / "d.yml"
    bad.write_text(
        "cases:\n  - {id: x, topic: gavor, title: t, case: c, rule: r, questions: [q],"
        " choices: [{id: a, text: a, why: w}, {id: b, text: b, why: w}]}\n",
        encoding="utf-8",
    )
    with pytest.raises(DilemmasError, match="inget val är rätt"):
        load_dilemmas(bad)


def test_the_apt_page_has_every_case_its_questions_and_the_key_last(dilemmas):
    app = create_app(Settings(), engine_transport=httpx.MockTransport(lambda r: httpx.Response(503)))
    with TestClient(app) as client:
        page = client.get("/kunskap/ova")
    assert page.status_code == 200
    html = page.text
    key = html.index('id="facit"')
    for case in dilemmas.cases:
        assert html.index(f'id="fall-{case.id}"') < key
        assert case.questions[0].replace('"', "&#34;") in html
        assert f'href="/kunskap/{case.topic}"' in html[key:]
        assert case.right_choices[0].why.replace('"', "&#34;") in html[key:]
