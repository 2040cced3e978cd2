"""The review loop's parts (/statistik/granska): what is kept, the store, reviewed.yml, the page.

The gateway runs for real with a scripted engine at the HTTP level; the end-to-end test with
the real engine, a retrained model and Chromium is tests/e2e/test_review.py.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import create_engine
from sqlalchemy import text as sql

from gateway.main import create_app
from gateway.settings import Settings
from gateway.statistics.recorder import StatisticsRecorder
from gateway.statistics.reviewed_file import ReviewConflict, ReviewedFile, read_examples, training_line
from gateway.statistics.store import StatisticsStore, UnansweredQuestion
from tests import fake_engine as engine_replies

TOKEN = "granskning-nyckel-0123456789"
BEARER = {"Authorization": f"Bearer {TOKEN}"}
ROOT = Path(__file__).resolve().parents[2]


def meta(**fields):
    return engine_replies.turn(**fields)


def text(message, buttons=()):
    return {"text": message, "buttons": [{"title": t, "payload": p} for t, p in buttons]}


OUTSIDE = "Vilken färg har bussarna i Göteborg? Ring mig på 070-123 45 67"
UNSURE = "blä blä ärendet konstigt"
ANSWERED = "Jag blev utskälld i receptionen igår"  # not about danger right now: the engine answers it
# What the scripted engine answers: the shapes actions/fallback.py and actions/feedback.py send.
REPLIES = {
    OUTSIDE: [
        text("Det ligger utanför det jag kan hjälpa med."),
        meta(unanswered="out_of_scope", ranking=["kontaktvagar", "hot", "vald", "mutor"]),
    ],
    UNSURE: [
        text("Jag är inte säker på att jag förstod.", [("Påtryckningar", "/patryckningar")]),
        meta(suggestions=["patryckningar", "jav", "hot"], unanswered="unsure", ranking=["patryckningar", "jav", "hot"]),
    ],
    ANSWERED: [
        text("Så gör du när du har blivit hotad.", [("Nej", "/feedback_no")]),
        meta(topic="hot", ranking=["hot", "greet", "vald", "trakasserier"]),
    ],
    "/feedback_no": [text("Tack, vi förbättrar svaret."), meta(feedback={"topic": "hot", "helpful": False})],
}


def fake_engine(request: httpx.Request) -> httpx.Response:
    if request.url.path == engine_replies.WEBHOOK:
        return engine_replies.reply(*REPLIES[json.loads(request.content)["message"]])
    return httpx.Response(200, text="ok")


@pytest.fixture
def nlu_dir(tmp_path) -> Path:
    """A small NLU folder: one existing example of "hot" to clash with."""
    folder = tmp_path / "nlu"
    folder.mkdir()
    (folder / "hot.yml").write_text(
        'version: "3.1"\nnlu:\n- intent: hot\n  examples: |\n    - Han hotade mig\n', encoding="utf-8"
    )
    return folder


def make_client(tmp_path, nlu_dir, **extra) -> TestClient:
    settings = Settings(
        **{
            "data_dir": tmp_path,
            "statistics_token": TOKEN,
            "rate_limit_per_minute": 0,
            "store_unanswered": True,
            "review_file": nlu_dir / "reviewed.yml",
            **extra,
        }
    )
    return TestClient(create_app(settings, engine_transport=httpx.MockTransport(fake_engine)))


@pytest.fixture
def client(tmp_path, nlu_dir):
    with make_client(tmp_path, nlu_dir) as c:
        yield c


def chat(client, session, **body):
    r = client.post("/api/chat", json={"session_id": session, **body})
    assert r.status_code == 200, r.text
    return r.json()


def items(client):
    return client.portal.call(client.app.state.lotsen.statistics.review_items)


def csrf(page: str) -> str:
    return re.search(r'name="csrf" value="([0-9a-f]+)"', page).group(1)


def offered(answer: dict, payload: str) -> str:
    """The button payload as the answer handed it out (signed, gateway/signing.py)."""
    [signed] = [
        b["payload"] for m in answer["messages"] for b in m["buttons"] if b["payload"].startswith(payload + ".")
    ]
    return signed


def post(client, headers=BEARER, **form):
    return client.post("/statistik/granska", data=form, headers=headers, follow_redirects=False)


# --- what is kept -----------------------------------------------------------------------------


def test_rejected_unsure_and_not_helpful_questions_are_kept_redacted_with_the_top_three(client):
    chat(client, "session-a-0001", text=OUTSIDE)
    chat(client, "session-b-0002", text=UNSURE)
    answered = chat(client, "session-c-0003", text=ANSWERED)  # answered: kept only once it gets a "Nej"
    assert [i.text for i in items(client)] == [
        UNSURE,
        "Vilken färg har bussarna i Göteborg? Ring mig på [telefonnummer]",
    ]
    chat(client, "session-c-0003", payload=offered(answered, "/feedback_no"))
    kept = items(client)
    assert [(i.reason, i.text, i.ranking) for i in kept] == [
        ("not_helpful", ANSWERED, ("hot", "vald", "trakasserier")),  # newest first; "greet" is no topic
        ("unsure", UNSURE, ("patryckningar", "jav", "hot")),
        (
            "out_of_scope",
            "Vilken färg har bussarna i Göteborg? Ring mig på [telefonnummer]",
            ("kontaktvagar", "hot", "vald"),
        ),
    ]
    # A second "Nej" in the same session does not keep the question twice.
    chat(client, "session-c-0003", payload=offered(answered, "/feedback_no"))
    assert len(items(client)) == 3


def test_nothing_is_kept_when_switched_off(tmp_path, nlu_dir):
    with make_client(tmp_path, nlu_dir, store_unanswered=False) as c:
        chat(c, "session-a-0001", text=OUTSIDE)
        answered = chat(c, "session-c-0003", text=ANSWERED)
        chat(c, "session-c-0003", payload=offered(answered, "/feedback_no"))
        assert items(c) == []
        assert "sparas inte" in c.get("/statistik/granska", headers=BEARER).text


def test_kept_questions_are_deleted_after_the_retention(tmp_path):
    now = [datetime(2026, 11, 20, 12, tzinfo=timezone.utc).timestamp()]
    store = StatisticsStore(f"sqlite:///{tmp_path / 's.db'}")
    recorder = StatisticsRecorder(
        store, ZoneInfo("Europe/Stockholm"), store_unanswered=True, retention_days=30, clock=lambda: now[0]
    )
    recorder.record_turn(
        {"topic": None, "suggestions": [], "review": {"reason": "out_of_scope", "ranking": ["hot"]}},
        text="en fråga utanför",
        session="s1",
    )
    asyncio.run(recorder.flush())
    assert [(i.reason, i.ranking) for i in store.review_items()] == [("out_of_scope", ("hot",))]
    assert store.purge_unanswered(datetime.fromtimestamp(now[0], timezone.utc) - timedelta(days=30)) == 0
    now[0] += 31 * 24 * 3600
    assert store.purge_unanswered(datetime.fromtimestamp(now[0], timezone.utc) - timedelta(days=30)) == 1
    assert store.review_items() == []
    store.close()


def test_a_database_from_before_the_review_gets_its_columns(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    old = create_engine(url)
    with old.begin() as conn:
        conn.execute(
            sql(
                "CREATE TABLE statistics_unanswered (id INTEGER PRIMARY KEY, day DATE NOT NULL, "
                "created_at DATETIME NOT NULL, channel VARCHAR(32) NOT NULL, "
                "audience VARCHAR(32) NOT NULL, text TEXT NOT NULL)"
            )
        )
        conn.execute(
            sql(
                "INSERT INTO statistics_unanswered VALUES (1, '2026-11-01', '2026-11-01 10:00:00', "
                "'widget', 'okänd', 'en gammal fråga')"
            )
        )
    old.dispose()
    store = StatisticsStore(url)
    assert [(i.text, i.reason, i.ranking) for i in store.review_items()] == [("en gammal fråga", "unsure", ())]
    store.close()


def test_discard_and_remove_take_every_copy_of_the_text(tmp_path):
    store = StatisticsStore(f"sqlite:///{tmp_path / 's.db'}")
    now = datetime(2026, 11, 20, 12, tzinfo=timezone.utc)
    store.add(
        {},
        [
            UnansweredQuestion(now.date(), now + timedelta(minutes=i), "widget", "okänd", t)
            for i, t in enumerate(["samma fråga", "en annan", "samma fråga"])
        ],
    )
    first = store.review_items()[0]
    assert first.text == "samma fråga"
    assert store.remove(first.id) is True
    assert [i.text for i in store.review_items()] == ["en annan"]
    assert store.remove(first.id) is False
    store.close()


# --- reviewed.yml ------------------------------------------------------------------------------


def test_assigning_writes_valid_rasa_yaml_one_block_per_intent_without_duplicates(nlu_dir):
    reviewed = ReviewedFile(nlu_dir / "reviewed.yml")
    assert reviewed.append("hot", "Någon  skrev  hotfullt\ttill mig") is True
    assert reviewed.append("out_of_scope", "Hur söker jag semester?") is True
    assert reviewed.append("hot", "Någon skrev hotfullt till mig") is False  # the same line again
    assert reviewed.append("hot", "NÅGON SKREV HOTFULLT TILL MIG") is False
    assert reviewed.append("hot", "[namn](person) hotade mig") is True
    data = yaml.safe_load((nlu_dir / "reviewed.yml").read_text(encoding="utf-8"))
    assert data["version"] == "3.1"
    assert [b["intent"] for b in data["nlu"]] == ["hot", "out_of_scope"]
    assert read_examples(nlu_dir / "reviewed.yml") == {
        "hot": ["Någon skrev hotfullt till mig", "[namn] (person) hotade mig"],
        "out_of_scope": ["Hur söker jag semester?"],
    }
    assert not list(nlu_dir.glob(".reviewed-*"))


def test_a_line_that_is_training_data_for_another_intent_is_refused(nlu_dir):
    reviewed = ReviewedFile(nlu_dir / "reviewed.yml")
    assert reviewed.append("hot", "han hotade mig") is False  # already there, same intent
    with pytest.raises(ReviewConflict) as conflict:
        reviewed.append("vald", "Han hotade mig")
    assert conflict.value.intent == "hot"
    assert not (nlu_dir / "reviewed.yml").exists()


def test_training_lines_carry_no_entity_markup_or_control_characters():
    assert training_line('[namn](chef) sa\x00 att\n[x]{"a": 1}') == '[namn] (chef) sa att [x] {"a": 1}'


def test_the_training_fingerprint_includes_reviewed_yml(tmp_path, monkeypatch):
    from bot.train import fingerprint

    monkeypatch.chdir(ROOT)
    nlu = tmp_path / "nlu_data"
    nlu.mkdir()
    (nlu / "hot.yml").write_text((ROOT / "nlu_data" / "hot.yml").read_text(encoding="utf-8"), encoding="utf-8")
    before = fingerprint(nlu)
    ReviewedFile(nlu / "reviewed.yml").append("hot", "en ny fråga om hot")
    assert fingerprint(nlu) != before


# --- the page ------------------------------------------------------------------------------------


def test_the_page_lists_newest_first_and_assigns_and_discards(client, nlu_dir):
    chat(client, "session-a-0001", text=OUTSIDE)
    chat(client, "session-b-0002", text=UNSURE)
    page = client.get("/statistik/granska", headers=BEARER)
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store" and page.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.text.index(UNSURE) < page.text.index("Vilken färg har bussarna")
    assert "070-123" not in page.text and "2 frågor att granska." in page.text
    token = csrf(page.text)
    first, second = items(client)
    r = post(client, csrf=token, item=str(first.id), topic="patryckningar")
    assert r.status_code == 303 and r.headers["cache-control"] == "no-store"
    done = client.get(r.headers["location"], headers=BEARER).text
    assert "lades till i träningsdata" in done and UNSURE not in done.split("</h1>")[1].split("<ol")[-1]
    assert read_examples(nlu_dir / "reviewed.yml") == {"patryckningar": [UNSURE]}
    r = post(client, csrf=token, item=str(second.id), action="discard")
    assert r.status_code == 303 and "discarded" in r.headers["location"]
    assert items(client) == []
    assert read_examples(nlu_dir / "reviewed.yml") == {"patryckningar": [UNSURE]}
    # The same item again (another reviewer was quicker): told, not an error.
    assert "gone" in post(client, csrf=token, item=str(second.id), action="discard").headers["location"]


def test_other_topic_and_out_of_scope_from_the_list(client, nlu_dir):
    chat(client, "session-a-0001", text=OUTSIDE)
    token = csrf(client.get("/statistik/granska", headers=BEARER).text)
    (item,) = items(client)
    r = post(client, csrf=token, item=str(item.id), other="out_of_scope", action="assign")
    assert r.status_code == 303
    assert read_examples(nlu_dir / "reviewed.yml") == {"out_of_scope": [item.text]}


@pytest.mark.parametrize(
    "form, status",
    [
        ({"item": "x", "topic": "hot"}, 422),
        ({"topic": "finns_inte"}, 422),
        ({"action": "assign", "other": "<script>"}, 422),
        ({"action": "assign", "other": ""}, 422),  # the list's "Välj ämne …"
        ({"item": "9" * 40, "action": "discard"}, 422),
        ({"item": "-1", "action": "discard"}, 422),
    ],
)
def test_bad_form_input_is_a_swedish_error_not_a_500(client, form, status):
    chat(client, "session-a-0001", text=OUTSIDE)
    token = csrf(client.get("/statistik/granska", headers=BEARER).text)
    (item,) = items(client)
    r = post(client, csrf=token, **{"item": str(item.id), **form})
    assert r.status_code == status and 'role="alert"' in r.text and "<script>" not in r.text
    assert len(items(client)) == 1


def test_a_conflicting_assignment_is_explained(client, nlu_dir):
    reviewed = ReviewedFile(nlu_dir / "reviewed.yml")
    reviewed.append("vald", UNSURE)
    chat(client, "session-b-0002", text=UNSURE)
    token = csrf(client.get("/statistik/granska", headers=BEARER).text)
    (item,) = items(client)
    r = post(client, csrf=token, item=str(item.id), topic="hot")
    assert r.status_code == 409 and "Våld" in r.text


def test_forms_need_the_token_and_this_origin(client):
    chat(client, "session-a-0001", text=OUTSIDE)
    token = csrf(client.get("/statistik/granska", headers=BEARER).text)
    (item,) = items(client)
    assert post(client, item=str(item.id), action="discard").status_code == 403
    assert post(client, csrf="0" * 64, item=str(item.id), action="discard").status_code == 403
    assert post(client, csrf="å" * 64, item=str(item.id), action="discard").status_code == 403
    cross = {**BEARER, "Origin": "https://evil.example"}
    assert post(client, headers=cross, csrf=token, item=str(item.id), action="discard").status_code == 403
    cross_site = {**BEARER, "Sec-Fetch-Site": "cross-site"}
    assert post(client, headers=cross_site, csrf=token, item=str(item.id), action="discard").status_code == 403
    # The token belongs to the credentials it was shown with.
    other = {"Authorization": "Bearer " + TOKEN + "x"}
    assert post(client, headers=other, csrf=token, item=str(item.id), action="discard").status_code == 401
    assert len(items(client)) == 1
    same = {**BEARER, "Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"}
    assert post(client, headers=same, csrf=token, item=str(item.id), action="discard").status_code == 303


@pytest.mark.parametrize("path", ["/statistik/granska", "/statistik/granska/reviewed.yml"])
def test_the_review_needs_credentials(client, path):
    r = client.get(path)
    assert r.status_code == 401 and r.headers["cache-control"] == "no-store"
    assert client.post("/statistik/granska", data={"item": "1", "action": "discard"}).status_code == 401


def test_export_only_offers_the_file_as_a_download(tmp_path, nlu_dir):
    with make_client(tmp_path, nlu_dir, review_export_only=True) as c:
        chat(c, "session-b-0002", text=UNSURE)
        page = c.get("/statistik/granska", headers=BEARER).text
        assert "Ladda ner reviewed.yml" in page
        (item,) = items(c)
        r = post(c, csrf=csrf(page), item=str(item.id), topic="jav")
        assert "assigned_export" in r.headers["location"]
        assert items(c) == []
        download = c.get("/statistik/granska/reviewed.yml", headers=BEARER)
    assert not (nlu_dir / "reviewed.yml").exists()
    assert download.headers["cache-control"] == "no-store"
    assert 'filename="reviewed.yml"' in download.headers["content-disposition"]
    assert yaml.safe_load(download.text)["nlu"] == [{"intent": "jav", "examples": f"- {UNSURE}\n"}]


def test_basic_auth_reviewers_get_their_own_token(tmp_path, nlu_dir):
    settings = Settings(
        data_dir=tmp_path,
        statistics_user="red",
        statistics_password="ett långt lösenord",
        rate_limit_per_minute=0,
        store_unanswered=True,
        review_file=nlu_dir / "reviewed.yml",
    )
    basic = {"Authorization": "Basic " + base64.b64encode("red:ett långt lösenord".encode()).decode()}
    with TestClient(create_app(settings, engine_transport=httpx.MockTransport(fake_engine))) as c:
        chat(c, "session-b-0002", text=UNSURE)
        page = c.get("/statistik/granska", headers=basic).text
        (item,) = items(c)
        assert post(c, headers=basic, csrf=csrf(page), item=str(item.id), topic="jav").status_code == 303
