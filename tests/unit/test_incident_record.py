"""The private incident record (issue 18 §1): the data, the chat link and the page's form."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from gateway.main import create_app
from gateway.settings import Settings
from knowledge import render
from knowledge.incident_record import load_incident_record

SCRIPT = Path(__file__).resolve().parents[2] / "web_widget" / "incident_record.js"
# Every way a page script can send or keep something: none may appear in the record's script.
SENDING = [
    "fetch(",
    "XMLHttpRequest",
    "sendBeacon",
    "WebSocket",
    "EventSource",
    "localStorage",
    "sessionStorage",
    "indexedDB",
    "document.cookie",
    ".submit(",
    "new Image",
    "postMessage",
    "window.open",
]


@pytest.fixture(scope="module")
def record():
    return load_incident_record()


def test_the_record_asks_what_partsradets_checklist_asks(record):
    ids = [f.id for f in record.fields]
    for wanted in ("what", "when", "where", "channel", "who", "witnesses", "evidence", "told", "police", "internal"):
        assert wanted in ids


def test_the_record_text_lists_only_what_was_filled_in(record):
    text = record.text({"what": "Jag vet var du bor", "police": "Inte än", "who": "  "}, made="2026-12-03 10:00")
    assert text.startswith(record.texts["record_heading"])
    assert "Jag vet var du bor" in text and "Inte än" in text
    assert "Vem var det?" not in text


@pytest.mark.parametrize("topic", ["hot", "trakasserier", "vald", "dokumentera", "hat_digitalt", "skadegorelse"])
def test_answers_about_threats_link_to_the_record(kb, record, topic):
    links = [link for m in render.article_messages(kb, topic) for link in m["links"]]
    assert record.link in links


def test_other_answers_do_not(kb, record):
    links = [link for m in render.article_messages(kb, "gavor") for link in m["links"]]
    assert record.link not in links


def test_the_script_sends_and_keeps_nothing():
    script = SCRIPT.read_text(encoding="utf-8")
    assert [s for s in SENDING if s in script] == []


@pytest.fixture
def client():
    app = create_app(Settings(), engine_transport=httpx.MockTransport(lambda r: httpx.Response(503)))
    with TestClient(app) as c:
        yield c


def test_the_form_on_the_page_has_no_named_fields_and_no_action(client, record):
    page = client.get("/kunskap/dokumentera")
    assert page.status_code == 200
    form = re.search(r"<form[^>]*>.*?</form>", page.text, re.S).group(0)
    assert 'id="skriv-ner"' in page.text and "/static/incident_record.js" in page.text
    assert re.search(r"\sname=", form) is None and re.search(r"\saction=", form) is None
    assert form.count("data-field=") == len(record.fields)
    script = client.get("/static/incident_record.js")
    assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")


def test_other_articles_have_no_form(client):
    assert "incident-record" not in client.get("/kunskap/gavor").text
