"""The process review (issue 18 §4): risks ranked by likelihood × seriousness, and its page."""

from __future__ import annotations

import httpx
from fastapi.testclient import TestClient

from gateway.main import create_app
from gateway.settings import Settings
from knowledge.process_review import load_process_review
from tests.unit.test_incident_record import SCRIPT, SENDING


def test_the_risks_are_ranked_most_serious_first_and_a_no_is_no_risk():
    review = load_process_review()
    ranked = review.ranked(
        {"single_decider": "ja", "single_knowledge": "delvis", "steer_cases": "nej", "no_logging": "delvis"}
    )
    assert [r["id"] for r in ranked] == ["single_decider", "no_logging", "single_knowledge"]
    assert [r["level"] for r in ranked] == ["Hög", "Medel", "Låg"]
    assert review.ranked({}) == []


def test_the_method_covers_the_areas_of_the_issue():
    ids = {q["id"] for q in load_process_review().questions}
    assert {"single_decider", "wide_access", "steer_cases", "no_rotation", "no_logging", "contact_threats"} <= ids


def test_the_page_lists_every_question_and_the_script_sends_nothing():
    review = load_process_review()
    app = create_app(Settings(), engine_transport=httpx.MockTransport(lambda r: httpx.Response(503)))
    with TestClient(app) as client:
        page = client.get("/kunskap/granska")
        script = client.get("/static/process_review.js")
    assert page.status_code == 200 and script.status_code == 200
    for q in review.questions:
        assert f'data-question="{q["id"]}"' in page.text
    assert [s for s in SENDING if s in script.text] == []
    assert SCRIPT.exists()
