"""knowledge.render over the real knowledge base: one answer says each thing once, and a
manager gets the manager's answer (issue 20 §1)."""

from __future__ import annotations

import re

import pytest

from knowledge import render
from knowledge.loader import AUDIENCES

ROLES = (None, *AUDIENCES)
# The test's own idea of a sentence, independent of render's: prose is split at . ! ?; a
# contact or source line is one unit (its "Nås: Dygnet runt." is about that channel only).
_SENTENCE_END = re.compile(r"(?<=[.!?])\**\s+|\n+")
_LIST_MARK = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s*")
# Advice to tell (ask, inform …) one's manager: "din chef", "din närmaste chef", "chefen?".
_TELLS_MANAGER = re.compile(r"\b(?:din|er) (?:närmaste )?chef\b|når du inte chefen", re.IGNORECASE)


def units(messages: list[dict]):
    for m in messages:
        if m["kind"] in ("contacts", "sources"):
            yield from (i["text"] for i in m["items"])
            continue
        texts = [i["text"] for i in m["items"]] if m["kind"] == "steps" else [m["text"]]
        for text in texts:
            for sentence in _SENTENCE_END.split(text):
                yield _LIST_MARK.sub("", sentence)


def key(sentence: str) -> str:
    return " ".join(re.sub(r"[^\w ]+", "", sentence.casefold()).split())


def test_the_roles_are_the_articles_audiences():
    assert set(AUDIENCES) == {"medarbetare", "chef", "verksamhetsutvecklare"}


@pytest.mark.parametrize("emergency", [False, True])
@pytest.mark.parametrize("role", ROLES)
def test_no_sentence_is_said_twice_in_one_answer(kb, role, emergency):
    repeated = []
    for topic in kb.articles:
        seen: set[str] = set()
        for sentence in units(render.article_messages(kb, topic, emergency=emergency, role=role)):
            k = key(sentence)
            if k and k in seen:
                repeated.append((topic, sentence))
            seen.add(k)
    assert repeated == []


def test_a_role_section_keeps_what_the_lead_and_steps_did_not_say(kb):
    article = kb.articles["akut_fara"]
    section = render.audience_message(article, "medarbetare", [article.summary, *article.steps])["text"]
    assert "Ta dig i säkerhet och ring 112 därifrån." in article.summary
    assert "Ta dig i säkerhet och ring 112 därifrån" not in section
    assert "Står någon och väntar utanför? Gå inte ut. Larma kolleger." in section
    assert "- Gå bort från personen." not in section and "- Gå inte fram till personen." in section


def test_others_are_told_to_tell_their_manager(kb):
    # The case below exists: without it the manager's test could not fail.
    told = [t for t in kb.articles if any(_TELLS_MANAGER.search(s) for s in units(render.article_messages(kb, t)))]
    assert len(told) > 10


@pytest.mark.parametrize("emergency", [False, True])
def test_a_manager_is_not_told_to_tell_their_manager_but_gets_the_managers_section(kb, emergency):
    for topic, article in kb.articles.items():
        answer = render.article_messages(kb, topic, emergency=emergency, role="chef")
        told = [s for s in units(answer) if _TELLS_MANAGER.search(s)]
        assert told == [], topic
        assert any(m["kind"] == "steps" and m["items"] for m in answer), topic
        section = [m for m in answer if m["text"].startswith("För dig som chef:")]
        if emergency:
            assert section == [], topic  # an emergency answer stays short
        elif article.audience_section("chef"):
            assert len(section) == 1, topic


def test_a_manager_keeps_the_112_line_of_every_danger_topic(kb):
    """Leaving out "berätta för din chef" must not take the 112 line with it: a lead such as
    "Ring 112 om du är i fara, och berätta annars för din chef" keeps its first clause."""
    danger = [t for t in kb.topics.values() if t.danger]
    assert danger
    for topic in danger:
        lead = render.article_messages(kb, topic.id, role="chef")[0]
        assert lead["kind"] == "lead" and "112" in lead["text"], (topic.id, lead)
        assert not _TELLS_MANAGER.search(lead["text"]), (topic.id, lead["text"])


@pytest.mark.parametrize("role", AUDIENCES)
def test_a_role_section_is_plain_text_with_its_sub_headings(kb, role):
    # The widget shows chat text as written: markdown's bold marks would be read out as "**".
    sections = 0
    for article in kb.articles.values():
        message = render.audience_message(article, role)
        if message is None:
            continue
        sections += 1
        assert "**" not in message["text"], (article.id, message["text"])
    assert sections
    text = render.audience_message(kb.articles["chef_stod_medarbetare"], "chef")["text"]
    assert "\nDirekt efter händelsen:\n" in text
