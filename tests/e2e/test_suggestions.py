"""Never a dead end, over the real stack: an in-scope question the classifier rejects gets the
search's topics as buttons; a clearly out-of-scope one still gets the out-of-scope answer."""

from __future__ import annotations

import httpx
import pytest

from knowledge import contract

pytestmark = pytest.mark.e2e

# In scope (a threatening situation at work); the trained classifier rejects it as
# out_of_scope without being sure (which the test checks first) and the search sees the field.
REJECTED_IN_SCOPE = "Vad gör man när en hotsituation uppstår i jobbet?"
CLEARLY_OUT_OF_SCOPE = "Vilket tåg ska jag ta till Göteborg?"


def classifier_view(stack, session: str, text: str) -> dict:
    """The engine's own answer, straight from Rasa: what the classifier made of the text."""
    r = httpx.post(f"{stack.rasa_url}{contract.WEBHOOK_PATH}", json={"sender": session, "message": text}, timeout=30)
    assert r.status_code == 200, r.text
    _, meta = contract.decode_answer(r.json())
    return meta.get("nlu") or {}


def ask(stack, session: str, text: str) -> dict:
    r = httpx.post(f"{stack.url}/api/chat", json={"session_id": session, "text": text}, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()


def test_rejected_in_scope_question_gets_topic_buttons(stack, kb):
    view = classifier_view(stack, "e2e-ned-engine-01", REJECTED_IN_SCOPE)
    assert view.get("intent") == "out_of_scope", f"the classifier no longer rejects it: {view} – pick another question"
    body = ask(stack, "e2e-ned-gateway-01", REJECTED_IN_SCOPE)
    assert body["engine"] == "rasa" and body["topic"] is None
    assert len(body["suggestions"]) == 3 and set(body["suggestions"]) <= set(kb.topics), body["suggestions"]
    first = body["messages"][0]
    assert first["text"] == kb.phrases["suggestions_intro"]
    assert [b["payload"] for b in first["buttons"]] == [f"/{t}" for t in body["suggestions"]]
    # A button is an ordinary topic payload: it answers with the article.
    chosen = body["suggestions"][0]
    r = httpx.post(
        f"{stack.url}/api/chat", json={"session_id": "e2e-ned-gateway-01", "payload": f"/{chosen}"}, timeout=30
    )
    assert r.status_code == 200 and r.json()["topic"] == chosen


def test_clearly_out_of_scope_question_still_gets_the_out_of_scope_answer(stack, kb):
    assert classifier_view(stack, "e2e-ned-engine-02", CLEARLY_OUT_OF_SCOPE).get("intent") == "out_of_scope"
    body = ask(stack, "e2e-ned-gateway-02", CLEARLY_OUT_OF_SCOPE)
    assert body["suggestions"] == [] and body["topic"] is None
    assert body["messages"][0]["text"] == " ".join(kb.phrases["out_of_scope"].split())
