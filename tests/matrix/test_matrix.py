"""The Matrix bot against a real Synapse, the real engine and a real encrypting client.

The tests run in order and share one encrypted direct chat, as one person's conversation would.
"""

from __future__ import annotations

import re
import sqlite3
import time

import httpx
import pytest

from knowledge import render
from tests.matrix.conftest import BOT, BOT_NAME, COLLEAGUE, OUTSIDER, PERSON

pytestmark = [
    pytest.mark.e2e,
    # mautrix reads the deprecated field itself while decrypting, in the client's thread.
    pytest.mark.filterwarnings("ignore:The sender_key field in Megolm events:DeprecationWarning"),
]

GIFT_QUESTION = "Vad gör jag om jag blir erbjuden en gåva?"
# Personal data a person might write: it must reach neither the homeserver's nor the gateway's log.
PERSONAL = "Jag heter Agnes Fjällström, 19850412-2384, ring mig på 070-381 22 94"
PERSONAL_PARTS = ("Fjällström", "19850412-2384", "070-381 22 94")
_ITEM = re.compile(r"<li>(.*?)</li>")
_LIST = re.compile(r'<ol(?: start="(\d+)")?>(.*?)</ol>', re.DOTALL)


@pytest.fixture(scope="module")
def bot_id(homeserver):
    return homeserver.user_id(BOT)


@pytest.fixture(scope="module")
def direct_chat(person, bot_id):
    """An encrypted direct chat the person opens with the bot, and the bot's welcome."""
    since = person.mark()
    room = person.create_room(invite=[bot_id], direct=True, encrypted=True)
    person.wait_member(room, bot_id)
    welcome = person.answer(room, bot_id, since)
    return room, welcome


def choices(message) -> list[tuple[int, str]]:
    """The numbered list in a message's HTML: (number, title) pairs."""
    found = _LIST.search(message.html)
    if not found:
        return []
    first = int(found.group(1) or 1)
    return [(n, re.sub(r"<[^>]+>", "", item)) for n, item in enumerate(_ITEM.findall(found.group(2)), first)]


def topic_list(answer, kb):
    """The message of an answer that lists topics (related articles), and its choices."""
    titles = {a.title for a in kb.articles.values()}
    for message in reversed(answer):
        listed = choices(message)
        if listed and all(title in titles for _, title in listed):
            return message, listed
    raise AssertionError("no list of topics in the answer")


def topic_by_title(kb, title: str) -> str:
    return next(topic for topic, article in kb.articles.items() if article.title == title)


def ask(person, room, bot_id, text, settle: float = 1.5, **kwargs):
    since = person.mark()
    person.send(room, text, **kwargs)
    return person.answer(room, bot_id, since, settle=settle)


# A message about danger is answered at once; the engine's own answer may follow up to the
# late-answer timeout (10 s) later (issue 21). Waiting that long keeps it out of the next answer.
LATE_SETTLE = 12.0


def test_welcome_in_the_encrypted_direct_chat(direct_chat, kb):
    _, welcome = direct_chat
    assert welcome and all(m.encrypted for m in welcome)
    assert [title for _, title in choices(welcome[0])] == [
        kb.articles[t].title for t in kb.phrases["quick_help_topics"]
    ]
    # The plain body carries the same list for clients without HTML.
    assert "1. " + kb.articles[kb.phrases["quick_help_topics"][0]].title in welcome[0].body


def test_gift_question_gets_the_article_with_links(person, direct_chat, bot_id, kb):
    room, _ = direct_chat
    answer = ask(person, room, bot_id, GIFT_QUESTION)
    assert all(m.encrypted for m in answer)
    gift = kb.articles["gavor"]
    assert gift.summary in answer[0].body
    html = "".join(m.html for m in answer)
    for source in gift.sources:
        assert f'<a href="{source.url}">' in html
    assert topic_list(answer, kb), "the related topics as a numbered list"


def test_choice_by_number_title_and_reply(person, direct_chat, bot_id, kb):
    room, _ = direct_chat
    listed, related = topic_list(ask(person, room, bot_id, GIFT_QUESTION), kb)
    assert len(related) >= 2

    number, title = related[0]
    by_number = ask(person, room, bot_id, str(number))
    assert kb.articles[topic_by_title(kb, title)].summary in by_number[0].body

    _, newest = topic_list(by_number, kb)
    by_title = ask(person, room, bot_id, newest[0][1].lower())
    assert kb.articles[topic_by_title(kb, newest[0][1])].summary in by_title[0].body

    # A reply to the older list picks from that list, not from the newest answer.
    number, title = related[1]
    by_reply = ask(person, room, bot_id, str(number), reply_to=listed.event_id)
    assert kb.articles[topic_by_title(kb, title)].summary in by_reply[0].body

    missing = ask(person, room, bot_id, "99")
    assert len(missing) == 1 and "99" in missing[0].body


def test_links_to_our_pages_are_absolute_and_open(person, direct_chat, bot_id, kb, matrix_gateway):
    # The incident record (/kunskap/dokumentera#skriv-ner) is linked under the answer; a Matrix
    # client has no page to resolve a relative link against (LOTSEN_MATRIX_PAGE_BASE).
    room, _ = direct_chat
    answer = ask(person, room, bot_id, "Hur dokumenterar jag det som hänt?")
    assert kb.articles["dokumentera"].summary in answer[0].body
    record = render.incident_record().link["url"]
    absolute = matrix_gateway.url + record
    assert any(f'<a href="{absolute}">' in m.html for m in answer)
    assert any(f": {absolute}" in m.body for m in answer), "the plain body shows the same address"
    assert not any('href="/' in m.html for m in answer)
    assert httpx.get(absolute, timeout=10).status_code == 200


def test_emergency_line_is_its_own_first_message(person, direct_chat, bot_id, kb):
    room, _ = direct_chat
    answer = ask(person, room, bot_id, "han har en kniv och står i receptionen", settle=LATE_SETTLE)
    assert answer[0].body == kb.phrases["emergency_line"]
    assert "<ol>" not in answer[0].html


def test_the_engines_late_answer_follows_the_immediate_112_answer(person, direct_chat, bot_id, kb):
    # Self-harm words take the emergency path at once; the engine's own article (påtryckningar)
    # follows as further messages, as in Teams (issue 21).
    room, _ = direct_chat
    answer = ask(
        person, room, bot_id, "Klienten säger att hon ska skada sig själv om hon inte får pengarna", settle=LATE_SETTLE
    )
    assert answer[0].body == kb.phrases["emergency_line"]
    immediate = len(render.article_messages(kb, "akut_fara", emergency=True))
    assert any(kb.articles["patryckningar"].summary in m.body for m in answer[immediate:])


def test_engine_stopped_answers_from_the_knowledge_base(person, direct_chat, bot_id, kb, matrix_gateway):
    # As in tests/e2e/test_faults.py: without its action server the engine cannot answer, and
    # the action server is back far sooner than Rasa with its model.
    room, _ = direct_chat
    matrix_gateway.stop_one("actions")
    try:
        answer = ask(person, room, bot_id, "Får jag ta emot en julklapp från en leverantör?")
        assert answer[0].body.startswith(kb.phrases["degraded_suggestions"])
        assert kb.articles["gavor"].title in [title for _, title in choices(answer[0])]
        danger = ask(person, room, bot_id, "han har en kniv och står i receptionen", settle=LATE_SETTLE)
        assert danger[0].body == kb.phrases["emergency_line"]
    finally:
        matrix_gateway.restart("actions")


def test_personal_data_is_answered_but_reaches_no_log(person, direct_chat, bot_id):
    room, _ = direct_chat
    assert ask(person, room, bot_id, PERSONAL)


def test_room_silent_until_mentioned(person, homeserver, bot_id, kb):
    colleague = homeserver.accounts[COLLEAGUE]
    room = person.create_room(invite=[bot_id, colleague["user_id"]], direct=False, encrypted=True, name="Enheten")
    person.wait_member(room, bot_id)
    httpx.post(
        f"{homeserver.url}/_matrix/client/v3/join/{room}",
        json={},
        headers={"Authorization": f"Bearer {colleague['access_token']}"},
        timeout=10,
    ).raise_for_status()
    person.wait_member(room, colleague["user_id"])

    since = person.mark()
    person.send(room, GIFT_QUESTION)
    assert person.silent(room, bot_id, since, seconds=5), "no answer in a room without a mention"

    mentioned = ask(person, room, bot_id, GIFT_QUESTION, mention=(bot_id, BOT_NAME))
    assert kb.articles["gavor"].summary in mentioned[0].body
    assert all(m.encrypted for m in mentioned)
    # In a room the answer is a reply to the question, so it is clear whom it answers.
    assert mentioned[0].content.get("m.relates_to", {}).get("m.in_reply_to")

    listed, related = topic_list(mentioned, kb)
    number, title = related[0]
    by_reply = ask(person, room, bot_id, str(number), reply_to=listed.event_id)
    assert kb.articles[topic_by_title(kb, title)].summary in by_reply[0].body


def test_invitation_from_a_user_not_allowed_is_refused(homeserver, bot_id, matrix_gateway):
    outsider = homeserver.accounts[OUTSIDER]
    auth = {"Authorization": f"Bearer {outsider['access_token']}"}
    room = httpx.post(
        f"{homeserver.url}/_matrix/client/v3/createRoom",
        headers=auth,
        timeout=10,
        json={"invite": [bot_id], "is_direct": True, "preset": "trusted_private_chat"},
    ).json()["room_id"]
    deadline = time.monotonic() + 30
    membership = "invite"
    while time.monotonic() < deadline and membership == "invite":
        time.sleep(0.5)
        state = httpx.get(
            f"{homeserver.url}/_matrix/client/v3/rooms/{room}/state/m.room.member/{bot_id}", headers=auth, timeout=10
        ).json()
        membership = state.get("membership")
    assert membership == "leave"


def test_logs_and_homeserver_hold_no_personal_data(homeserver, matrix_gateway, person, direct_chat):
    room, _ = direct_chat
    gateway_log = (matrix_gateway.log_dir / "gateway.log").read_text(errors="replace")
    homeserver_log = homeserver.log_file.read_text(errors="replace")
    for part in PERSONAL_PARTS:
        assert part not in gateway_log
        assert part not in homeserver_log
    # Matrix ids are personal data for the gateway (the homeserver must know them).
    for name in (PERSON, COLLEAGUE, OUTSIDER):
        assert homeserver.user_id(name) not in gateway_log
    assert room not in gateway_log
    # Encrypted end to end: the homeserver stored only ciphertext of the direct chat.
    with sqlite3.connect(homeserver.database) as db:
        stored = "\n".join(row[0] for row in db.execute("select json from event_json"))
    assert "Fjällström" not in stored and "erbjuden en gåva" not in stored


def test_statistics_count_the_channel_and_nothing_about_the_people(matrix_gateway, homeserver, direct_chat):
    room, _ = direct_chat
    database = matrix_gateway.data_dir / "statistics.db"
    deadline = time.monotonic() + 15  # the gateway writes its counts every few seconds
    rows = []
    while time.monotonic() < deadline and not rows:
        if database.exists():
            with sqlite3.connect(database) as db:
                rows = db.execute("select topic from statistics_counts where channel = 'matrix'").fetchall()
        time.sleep(0.5)
    assert ("gavor",) in rows
    dump = "\n".join(sqlite3.connect(database).iterdump())
    for needle in (homeserver.user_id(PERSON), room, *PERSONAL_PARTS):
        assert needle not in dump
