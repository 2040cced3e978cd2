"""The process review (issue 18 §4): risks ranked by likelihood × seriousness, and its page."""

from __future__ import annotations

import re

import httpx
from fastapi.testclient import TestClient

from gateway.main import create_app
from gateway.settings import Settings
from knowledge.process_review import load_process_review
from tests.unit.test_incident_record import SCRIPT, SENDING


def test_the_risks_are_ranked_most_serious_first_and_a_no_is_no_risk():
    review = load_process_review()
    ranked = review.ranked(
        {
            "review_single_decider": "ja",
            "review_single_knowledge": "delvis",
            "review_steer_cases": "nej",
            "review_no_logging": "delvis",
        }
    )
    assert [r["id"] for r in ranked] == ["review_single_decider", "review_no_logging", "review_single_knowledge"]
    assert [r["level"] for r in ranked] == ["Hög", "Medel", "Låg"]
    assert review.ranked({}) == []


def test_the_method_covers_the_areas_of_the_issue():
    ids = {q["id"] for q in load_process_review().questions}
    areas = {"single_decider", "wide_access", "steer_cases", "no_rotation", "no_logging", "contact_threats"}
    assert {f"review_{a}" for a in areas} <= ids


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


def test_the_chat_link_prefills_the_page_with_choices_only():
    """The chat flow's outcome links here with the chosen options; unknown keys and values
    (anything typed) are ignored, so nothing but the choices reaches the page."""
    review = load_process_review()
    link = review.flow.print_link({"review_process": "upphandling", "review_single_decider": "delvis"})
    assert link is not None
    app = create_app(Settings(), engine_transport=httpx.MockTransport(lambda r: httpx.Response(503)))
    with TestClient(app) as client:
        page = client.get(link["url"]).text
        tampered = client.get("/kunskap/granska?review_process=<b>x</b>&review_no_logging=kanske&namn=Kalle")
    assert 'value="upphandling" selected' in page and 'data-prefilled="true"' in page
    assert re.search(r'name="review-review_single_decider" value="delvis"\s+data-likelihood="\d+" checked', page)
    assert len(re.findall(r" checked>", page)) == 1
    assert tampered.status_code == 200
    assert "<b>x</b>" not in tampered.text and "Kalle" not in tampered.text and "data-prefilled" not in tampered.text
    assert " checked" not in tampered.text and " selected" not in tampered.text


def test_the_page_says_where_the_answers_go_on_the_page_and_in_the_chat():
    """On the page nothing is sent; answered in the chat (flow process_review), the answers went
    through the gateway and the engine, which keeps them with the conversation for a time."""
    review = load_process_review()
    app = create_app(Settings(), engine_transport=httpx.MockTransport(lambda r: httpx.Response(503)))
    with TestClient(app) as client:
        page = client.get("/kunskap/granska").text
    note = re.search(r'<p class="record-privacy">(.*?)</p>', page, re.DOTALL)
    assert note is not None
    text = " ".join(note.group(1).split())
    assert text == f"{review.data['privacy_note']} {review.data['privacy_note_chat']}"
    on_page, in_chat = review.data["privacy_note"], review.data["privacy_note_chat"]
    # Each claim is bound to its way of answering: no unqualified "Svaren stannar i din webbläsare".
    assert "på den här sidan" in on_page and "webbläsare" in on_page
    assert "chatten" in in_chat and "sparas" in in_chat and "webbläsare" not in in_chat
