"""Statistics through the real gateway with a mocked engine: a scripted set of conversations
in several channels, then the exact counts in the store, on /statistik and in the CSV."""

from __future__ import annotations

import asyncio
import base64
import csv
import functools
import io
import json
import re
from collections import Counter
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from gateway.chat import answer_turn
from gateway.main import create_app
from gateway.settings import Settings
from gateway.statistics.period import parse_period
from gateway.statistics.recorder import StatisticsRecorder, turn_counts
from gateway.statistics.store import COUNTERS, StatisticsStore
from tests import fake_engine

TOKEN = "statistik-nyckel-0123456789"
USER, PASSWORD = "uppfoljning", "ett långt lösenord"
DANGER = "Han står här med en kniv och hotar att döda mig"


def meta(**fields):
    return fake_engine.turn(**fields)


def text(message, buttons=()):
    return {"text": message, "buttons": [{"title": t, "payload": p} for t, p in buttons]}


FEEDBACK_BUTTONS = [("Ja", "/feedback_yes"), ("Nej", "/feedback_no")]
# What the fake engine answers to each message: the shapes the real actions send.
REPLIES = {
    "Får jag ta emot en julklapp från en leverantör?": [
        text("Tacka nej till gåvor som kan påverka dig.", FEEDBACK_BUTTONS),
        meta(topic="gavor", audience="medarbetare"),
    ],
    "Jag är chef och en medarbetare har blivit hotad": [
        text("Se till att medarbetaren är trygg.", FEEDBACK_BUTTONS),
        meta(topic="hot", audience="chef"),
    ],
    # The engine sends the role on every turn once it knows it.
    "/feedback_yes": [
        text("Tack för ditt svar!"),
        meta(feedback={"topic": "gavor", "helpful": True}, audience="medarbetare"),
    ],
    "/feedback_no": [
        text("Tack, vi förbättrar svaret."),
        meta(feedback={"topic": "hot", "helpful": False}, audience="chef"),
    ],
    "asdfgh qwerty": [
        text("Jag är inte säker på att jag förstod.", [("Hot", "/hot"), ("Gåvor", "/gavor")]),
        meta(suggestions=["hot", "gavor"]),
    ],
    "Ring mig på 070-123 45 67, jag heter Sven Svensson": [
        text("Jag är inte säker på att jag förstod.", [("Hot", "/hot")]),
        meta(suggestions=["hot"]),
    ],
    "hej": [text("Hej! Jag är Påverkanslotsen.")],
    DANGER: [
        text("Är du i fara just nu? Ring 112. Ta dig i säkerhet och larma kolleger."),
        meta(topic="akut_fara", emergency=True),
    ],
    "/mutor": [text("Ta aldrig emot en muta."), meta(topic="mutor", audience="verksamhetsutvecklare")],
}


class FakeEngine:
    """Rasa and the action server at the HTTP level; `down` makes every request fail."""

    def __init__(self):
        self.down = False

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            raise httpx.ConnectError("connection refused", request=request)
        if request.url.path == fake_engine.WEBHOOK:
            return fake_engine.reply(*REPLIES[json.loads(request.content)["message"]])
        return httpx.Response(200, text="ok")


def settings(tmp_path, **extra) -> Settings:
    return Settings(
        data_dir=tmp_path,
        statistics_token=TOKEN,
        statistics_user=USER,
        statistics_password=PASSWORD,
        rate_limit_per_minute=0,
        **extra,
    )


@pytest.fixture
def engine():
    return FakeEngine()


@pytest.fixture
def client(tmp_path, engine):
    app = create_app(settings(tmp_path), engine_transport=httpx.MockTransport(engine))
    with TestClient(app) as c:
        yield c


@pytest.fixture(scope="module")
def shared_client(tmp_path_factory):
    """One app for the tests that only read (authentication, filters): building one takes a second."""
    # Many failed logins on purpose, from one client: the lockout has its own test.
    app = create_app(
        settings(tmp_path_factory.mktemp("statistics"), statistics_login_attempts=100),
        engine_transport=httpx.MockTransport(FakeEngine()),
    )
    with TestClient(app) as c:
        yield c


def test_failed_logins_lock_the_client_out_even_with_the_right_password(tmp_path):
    app = create_app(
        settings(tmp_path, statistics_login_attempts=3, statistics_lockout_seconds=600),
        engine_transport=httpx.MockTransport(FakeEngine()),
    )
    wrong = {"Authorization": "Basic " + base64.b64encode(f"{USER}:fel".encode()).decode()}
    right = {"Authorization": "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()}
    with TestClient(app) as c:
        assert c.get("/statistik").status_code == 401  # a browser's first request: no failure
        assert c.get("/statistik", headers=right).status_code == 200
        assert [c.get("/statistik", headers=wrong).status_code for _ in range(3)] == [401, 401, 401]
        locked = c.get("/statistik", headers=right)
        assert locked.status_code == 429 and int(locked.headers["retry-after"]) > 500
        assert locked.json()["error"]["code"] == "locked_out"


@pytest.mark.slow  # redis-py retries each refused connection with backoff: ~3 s a request
def test_login_with_the_shared_lockout_store_down_is_a_clear_503_not_a_500(tmp_path):
    # Port 1 on loopback: nothing listens, so every Redis call fails at once.
    app = create_app(
        settings(tmp_path, redis_url="redis://127.0.0.1:1/0"), engine_transport=httpx.MockTransport(FakeEngine())
    )
    right = {"Authorization": "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()}
    with TestClient(app, raise_server_exceptions=False) as c:
        for path in ("/statistik", "/statistik/granska"):
            answer = c.get(path, headers=right)
            assert answer.status_code == 503, (path, answer.status_code)
            assert answer.json()["error"]["code"] == "login_unavailable"
            assert answer.headers["retry-after"] == "30"


BEARER = {"Authorization": f"Bearer {TOKEN}"}


def chat(client, session, **body):
    r = client.post("/api/chat", json={"session_id": session, **body})
    assert r.status_code == 200, r.text
    return r.json()


def offered(answer: dict, payload: str) -> str:
    """The button payload as the answer handed it out (signed, gateway/signing.py)."""
    [signed] = [
        b["payload"] for m in answer["messages"] for b in m["buttons"] if b["payload"].startswith(payload + ".")
    ]
    return signed


def teams_turn(client, session, **kwargs):
    """The Teams connector's way in: answer_turn with channel="teams"."""
    state = client.app.state.lotsen
    return client.portal.call(functools.partial(answer_turn, state, session, channel="teams", **kwargs))


def run_script(client, engine):
    """The scripted conversations; returns the expected counters per (topic, channel, audience)."""
    first = chat(client, "session-anna-01", text="Får jag ta emot en julklapp från en leverantör?")
    chat(client, "session-anna-01", payload=offered(first, "/feedback_yes"))
    chat(client, "session-bo-0002", text="hej")
    chat(client, "session-bo-0002", text="asdfgh qwerty")
    chat(client, "session-bo-0002", payload="/mutor")  # a topic button: public, counts as a question
    assert chat(client, "session-cia-003", text=DANGER)["emergency"] is True
    first = teams_turn(client, "teams-conv-0001", text="Jag är chef och en medarbetare har blivit hotad")
    teams_turn(client, "teams-conv-0001", payload=offered(first, "/feedback_no"))
    teams_turn(client, "teams-conv-0002", text="asdfgh qwerty")
    engine.down = True  # degraded mode: the gateway answers from the knowledge base
    degraded = chat(client, "session-dan-004", text="Min chef pressar mig att ändra ett beslut i ett ärende")
    assert degraded["engine"] == "fallback" and degraded["topic"] is None and degraded["suggestions"]
    assert chat(client, "session-dan-004", text=DANGER)["emergency"] is True
    engine.down = False
    return {
        ("gavor", "api", "medarbetare"): Counter(questions=1, answers=1, feedback_yes=1),
        # "hej" (neither answered nor a fallback), "asdfgh qwerty" and the degraded turn.
        ("", "api", "okänd"): Counter(questions=3, fallbacks=2),
        ("mutor", "api", "verksamhetsutvecklare"): Counter(questions=1, answers=1),
        ("akut_fara", "api", "okänd"): Counter(questions=2, answers=2, emergencies=2),
        ("hot", "teams", "chef"): Counter(questions=1, answers=1, feedback_no=1),
        ("", "teams", "okänd"): Counter(questions=1, fallbacks=1),
    }


def as_table(rows) -> dict:
    return {
        (r.topic, r.channel, r.audience): Counter({n: getattr(r, n) for n in COUNTERS if getattr(r, n)}) for r in rows
    }


def csv_table(body: str) -> dict:
    assert body.startswith("\ufeff")
    reader = csv.DictReader(io.StringIO(body[1:]), delimiter=";")
    names = {
        "frågor": "questions",
        "besvarade": "answers",
        "ej_besvarade": "fallbacks",
        "akut_fara": "emergencies",
        "hjälpte_ja": "feedback_yes",
        "hjälpte_nej": "feedback_no",
    }
    table = {}
    for row in reader:
        key = (row["ämne"], row["kanal"], row["målgrupp"])
        assert key not in table
        table[key] = Counter({names[k]: int(v) for k, v in row.items() if k in names and int(v)})
    return table


def test_scripted_conversations_are_counted_exactly(client, engine):
    expected = run_script(client, engine)
    recorder = client.app.state.lotsen.statistics
    today = recorder.today()
    rows = client.portal.call(recorder.rows, today, today)
    assert as_table(rows) == expected
    assert {r.day for r in rows} == {today}


def test_csv_export_matches_the_counts(client, engine):
    expected = run_script(client, engine)
    r = client.get("/statistik.csv", headers=BEARER)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.headers["cache-control"] == "no-store"
    assert csv_table(r.text) == expected
    teams = csv_table(client.get("/statistik.csv", params={"channel": "teams"}, headers=BEARER).text)
    assert teams == {k: v for k, v in expected.items() if k[1] == "teams"}


def test_page_shows_the_totals_and_charts(client, engine):
    expected = run_script(client, engine)
    r = client.get("/statistik", headers=BEARER)
    assert r.status_code == 200
    html = r.text
    assert '<html lang="sv">' in html and "<svg" in html and "Gåvor" in html
    shown = dict(re.findall(r'<dd data-counter="(\w+)">(\d+)</dd>', html))
    totals = sum(expected.values(), Counter())
    assert {k: int(v) for k, v in shown.items()} == {n: totals[n] for n in COUNTERS}
    assert not re.search(r'<(script|link)[^>]+(src|href)="(https?:)?//', html)  # nothing from a CDN
    # One channel: only the Teams turns.
    teams = client.get("/statistik", params={"channel": "teams"}, headers=BEARER).text
    shown = dict(re.findall(r'<dd data-counter="(\w+)">(\d+)</dd>', teams))
    assert int(shown["questions"]) == 2 and int(shown["feedback_no"]) == 1 and int(shown["feedback_yes"]) == 0


def test_other_periods_are_empty(client, engine):
    run_script(client, engine)
    today = client.app.state.lotsen.statistics.today()
    last_year = f"{today.year - 1}"
    r = client.get("/statistik.csv", params={"period": last_year}, headers=BEARER)
    assert r.status_code == 200 and csv_table(r.text) == {}
    r = client.get("/statistik", params={"period": last_year}, headers=BEARER)
    assert r.status_code == 200 and "Inga frågor under perioden." in r.text


@pytest.mark.parametrize("path", ["/statistik", "/statistik.csv"])
@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer fel-nyckel"},
        {"Authorization": f"Bearer {TOKEN}x"},
        {"Authorization": "Basic " + base64.b64encode(f"{USER}:fel".encode()).decode()},
        {"Authorization": "Basic " + base64.b64encode(f"x{USER}:{PASSWORD}".encode()).decode()},
        {"Authorization": "Basic inte-base64!!"},
        {"Authorization": TOKEN},
    ],
)
def test_statistics_need_credentials(shared_client, path, headers):
    r = shared_client.get(path, headers=headers)
    assert r.status_code == 401
    assert r.headers["www-authenticate"].startswith("Basic realm=")
    assert r.json()["error"]["code"] == "unauthorized" and "inloggning" in r.json()["error"]["message"]


def test_basic_auth_lets_a_person_in(shared_client):
    credentials = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    assert shared_client.get("/statistik", headers={"Authorization": f"Basic {credentials}"}).status_code == 200


def test_nobody_gets_in_when_nothing_is_configured(tmp_path, engine):
    app = create_app(Settings(data_dir=tmp_path), engine_transport=httpx.MockTransport(engine))
    with TestClient(app) as c:
        r = c.get("/statistik", headers={"Authorization": "Bearer "})
        assert r.status_code == 401 and "LOTSEN_STATISTICS_TOKEN" in r.json()["error"]["message"]
        assert r.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "period", ["2026-13", "november", "2026-11-31", "2026-11-05..2026-11-01", "2020-01-01..2026-01-01"]
)
def test_bad_period_is_a_swedish_error_not_a_500(shared_client, period):
    page = shared_client.get("/statistik", params={"period": period}, headers=BEARER)
    assert page.status_code == 422 and 'role="alert"' in page.text and "<form" in page.text
    data = shared_client.get("/statistik.csv", params={"period": period}, headers=BEARER)
    assert data.status_code == 422 and data.json()["error"]["code"] == "invalid_request"
    assert "Period" in data.json()["error"]["message"]


def test_bad_channel_is_refused(shared_client):
    r = shared_client.get("/statistik.csv", params={"channel": "Teams; DROP"}, headers=BEARER)
    assert r.status_code == 422 and r.json()["error"]["message"] == "Kanalen känns inte igen."


def test_unanswered_questions_are_not_stored_by_default(client, engine):
    run_script(client, engine)
    today = client.app.state.lotsen.statistics.today()
    assert client.portal.call(client.app.state.lotsen.statistics.unanswered, today, today) == []
    assert "sparas inte" in client.get("/statistik", headers=BEARER).text


def test_unanswered_questions_are_stored_redacted_when_enabled(tmp_path, engine):
    app = create_app(settings(tmp_path, store_unanswered=True), engine_transport=httpx.MockTransport(engine))
    with TestClient(app) as c:
        chat(c, "session-eva-005", text="Ring mig på 070-123 45 67, jag heter Sven Svensson")
        chat(c, "session-eva-005", text="Ring mig på 070-123 45 67, jag heter Sven Svensson")
        chat(c, "session-eva-005", text="Får jag ta emot en julklapp från en leverantör?")  # answered: not stored
        recorder = c.app.state.lotsen.statistics
        c.portal.call(recorder.flush)
        today = recorder.today()
        stored = c.portal.call(recorder.unanswered, today, today)
        page = c.get("/statistik", headers=BEARER).text
    assert stored == [("Ring mig på [telefonnummer], jag heter [namn]", 2)]
    assert "[telefonnummer]" in page and "070-123" not in page and "Svensson" not in page


def test_unanswered_questions_are_deleted_after_the_retention(tmp_path):
    now = [datetime(2026, 11, 20, 12, tzinfo=timezone.utc).timestamp()]
    store = StatisticsStore(f"sqlite:///{tmp_path / 's.db'}")
    recorder = StatisticsRecorder(
        store, ZoneInfo("Europe/Stockholm"), store_unanswered=True, retention_days=30, clock=lambda: now[0]
    )
    fallback = {"topic": None, "suggestions": ["hot"], "emergency": False}
    recorder.record_turn(fallback, channel="widget", text="en fråga utan svar")
    asyncio.run(recorder.flush())
    day = datetime.fromtimestamp(now[0], ZoneInfo("Europe/Stockholm")).date()
    assert store.unanswered(day, day) == [("en fråga utan svar", 1)]
    assert store.purge_unanswered(datetime.fromtimestamp(now[0], timezone.utc) - timedelta(days=30)) == 0
    now[0] += 31 * 24 * 3600
    assert store.purge_unanswered(datetime.fromtimestamp(now[0], timezone.utc) - timedelta(days=30)) == 1
    assert store.unanswered(day, day) == []
    # The counters themselves are anonymous and stay.
    assert [r.fallbacks for r in store.rows(day, day)] == [1]
    store.close()


def test_a_broken_statistics_database_never_breaks_the_chat(tmp_path, engine, caplog):
    app = create_app(settings(tmp_path), engine_transport=httpx.MockTransport(engine))
    with TestClient(app) as c:
        recorder = c.app.state.lotsen.statistics
        good_engine = recorder.store.engine
        # A database that cannot be opened: its directory does not exist.
        recorder.store.engine = create_engine(f"sqlite:///{tmp_path}/gone/statistics.db")
        body = chat(c, "session-fay-006", text="Får jag ta emot en julklapp från en leverantör?")
        assert body["topic"] == "gavor"
        assert c.portal.call(recorder.flush) is False  # the counts are kept for the next try
        assert c.get("/statistik", headers=BEARER).status_code == 503
        assert c.get("/statistik.csv", headers=BEARER).json()["error"]["code"] == "statistics_unavailable"
        recorder.store.engine = good_engine
        assert c.portal.call(recorder.flush) is True
        today = recorder.today()
        assert [(r.topic, r.questions) for r in recorder.store.rows(today, today)] == [("gavor", 1)]
    assert "session-fay" not in caplog.text and "julklapp" not in caplog.text


@pytest.mark.parametrize(
    ("result", "topic", "counts"),
    [
        ({"topic": "gavor", "suggestions": [], "emergency": False}, "gavor", {"questions": 1, "answers": 1}),
        ({"topic": None, "suggestions": ["hot"], "emergency": False}, "", {"questions": 1, "fallbacks": 1}),
        ({"topic": None, "suggestions": [], "emergency": False}, "", {"questions": 1}),
        (
            {"topic": "akut_fara", "suggestions": [], "emergency": True},
            "akut_fara",
            {"questions": 1, "answers": 1, "emergencies": 1},
        ),
        ({"topic": None, "feedback": {"topic": "hot", "helpful": False}}, "hot", {"feedback_no": 1}),
        ({"topic": "hot", "feedback": {"topic": None, "helpful": True}}, "", {"feedback_yes": 1}),
        ({"topic": "hot", "feedback": {"topic": "hot", "helpful": "ja"}}, "hot", {"questions": 1, "answers": 1}),
    ],
)
def test_turn_counts(result, topic, counts):
    assert turn_counts(result) == (topic, Counter(counts))


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2026-11", "2026-11-01", "2026-11-30"),
        ("2028-02", "2028-02-01", "2028-02-29"),
        ("2026", "2026-01-01", "2026-12-31"),
        ("2026-11-03", "2026-11-03", "2026-11-03"),
        (" 2026-11-01..2026-12-15 ", "2026-11-01", "2026-12-15"),
    ],
)
def test_periods(text, start, end):
    period = parse_period(text)
    assert (period.start.isoformat(), period.end.isoformat()) == (start, end)
    assert len(period.days()) == (period.end - period.start).days + 1
