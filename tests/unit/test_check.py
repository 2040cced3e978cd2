"""make kb-check: 112 first for danger topics, a short first message, no lead that repeats a step."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from knowledge import check
from knowledge.loader import load, safe_load

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def kb_copy(tmp_path):
    target = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", target, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    return target


def _edit(root: Path, topic_id: str, **changes) -> list[str]:
    """Change an article's front matter and return what kb-check says about that article."""
    path = root / "articles" / f"{topic_id}.md"
    front, body = path.read_text(encoding="utf-8")[len("---\n") :].split("\n---", 1)
    meta = safe_load(front)
    meta.update(changes)
    path.write_text(
        "---\n" + yaml.safe_dump(meta, allow_unicode=True, sort_keys=False) + "---" + body, encoding="utf-8"
    )
    kb = load(root=root)
    return check.article_problems(kb, kb.articles[topic_id])


def test_the_repository_passes_every_check(kb):
    assert check.problems(kb) == []
    assert check.main([]) == 0


def test_danger_topics_are_marked(kb):
    danger = {t for t, topic in kb.topics.items() if topic.danger}
    assert {
        "akut_fara",
        "hot",
        "vald",
        "trakasserier",
        "kartlaggning",
        "hat_digitalt",
        "skyddade_personuppgifter",
        "skadegorelse",
        "fortroendevalda",
        "dokumentera",
        "patryckningar",
    } <= danger
    assert "gavor" not in danger


@pytest.mark.parametrize("field", ["summary", "simple"])
def test_danger_topic_without_112_in_the_first_sentence_is_refused(kb_copy, field):
    text = "Berätta för din chef om hotet i dag. Ring 112 om du är i fara."
    found = _edit(kb_copy, "hot", **{field: text})
    assert f"hot.md: ämnet gäller fara för en person: första meningen i '{field}' ska nämna 112" in " ".join(found)


def test_other_topics_need_no_112(kb_copy):
    assert _edit(kb_copy, "gavor", summary="Tacka nej om du är osäker på en gåva.") == []


def test_lead_of_several_sentences_is_refused(kb_copy):
    found = _edit(kb_copy, "gavor", summary="Tacka nej om du är osäker. Fråga din chef.")
    assert any("ska vara en enda mening" in p for p in found)


def test_too_long_first_message_is_refused(kb_copy):
    long_steps = [f"Gör steg {n} noga och tänk på vad som gäller för just ditt ärende i dag." for n in range(1, 6)]
    found = _edit(kb_copy, "gavor", steps=long_steps)
    assert any("första meddelandet har" in p and "(högst 60)" in p for p in found)


def test_lead_that_repeats_a_step_is_refused(kb_copy):
    found = _edit(
        kb_copy,
        "hot",
        summary="Ring 112 om du är i fara och berätta för din chef direkt.",
        steps=["Berätta för chefen direkt.", "Skriv ner vad som sades."],
    )
    assert "hot.md: steg 1 upprepar" in " ".join(found)
    found = _edit(kb_copy, "hot", summary="Är du i fara just nu, ring 112.", steps=["Ring 112 om du är i fara."])
    assert "hot.md: steg 1 upprepar" in " ".join(found)


def test_repeats_compares_content_words_not_small_words():
    assert not check.repeats("Ring 112 om du är i fara.", "Berätta för din chef om det som hänt.")
    assert check.repeats("Spara mejl och sms.", "Spara alla mejl och sms.")


def test_first_message_and_answer_are_counted_as_read(kb):
    article = kb.articles["gavor"]
    expected = sum(check.word_count(t) for t in [article.summary, kb.phrases["steps_heading"], *article.steps])
    assert check.first_message_words(kb, "gavor") == expected
    assert check.first_answer_words(kb, "gavor") > expected


def test_report_prints_first_message_and_answer_words(capsys, kb):
    from knowledge import report

    report.main(["2026-12-01"])
    out = capsys.readouterr().out
    assert "1:a medd." in out and "1:a svar" in out
    line = next(row for row in out.splitlines() if row.startswith("gavor "))
    assert str(check.first_message_words(kb, "gavor")) in line.split()


def test_danger_must_be_true_or_false(kb_copy):
    from knowledge.loader import KnowledgeError

    path = kb_copy / "topics.yml"
    path.write_text(path.read_text(encoding="utf-8").replace("    danger: true", "    danger: ja", 1), encoding="utf-8")
    with pytest.raises(KnowledgeError, match="fältet 'danger' ska vara true eller false"):
        load(root=kb_copy)
