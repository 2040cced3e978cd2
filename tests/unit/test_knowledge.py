"""The knowledge base: schema, taxonomy, channels, organisations, readability, content rules."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from knowledge.loader import KnowledgeError, load, safe_load, word_count
from knowledge.readability import lix

ROOT = Path(__file__).resolve().parents[2]
SHARED_TOPICS = ROOT.parent / "shared" / "topics.yml"
KOMMUN = ROOT / "knowledge" / "organisations" / "exempelkommun.yml"


def taxonomy_ids(path: Path) -> list[str]:
    # The shared file is not valid YAML (an unquoted colon), so read its ids by pattern.
    return re.findall(r"^\s+- id: (\w+)\s*$", path.read_text(encoding="utf-8"), flags=re.M)


def test_project_copy_of_taxonomy_has_the_shared_ids():
    ours = taxonomy_ids(ROOT / "knowledge" / "topics.yml")
    assert len(ours) == 33
    if SHARED_TOPICS.exists():  # CI and developers have ../shared beside the repo
        assert ours == taxonomy_ids(SHARED_TOPICS)


def test_every_topic_has_a_valid_article(kb):
    assert set(kb.articles) == set(kb.topics)
    for article in kb.articles.values():
        assert word_count(article.summary) <= 60, article.id
        assert 1 <= len(article.steps) <= 5, article.id
        assert article.sources and all(s.url.startswith("https://") for s in article.sources)
        assert article.channels and article.reviewed


def test_articles_are_readable(kb):
    values = sorted(lix(a.body) for a in kb.articles.values())
    assert all(v <= 45 for v in values), values
    assert values[len(values) // 2] <= 40


def test_akut_fara_starts_with_112(kb):
    article = kb.articles["akut_fara"]
    # The verified safety wording (content-brief.md §0a): get to safety, then call 112 from there.
    assert article.summary == "Ta dig i säkerhet och ring 112 därifrån."
    assert article.channels[0] == "akut_112"


def test_no_fixed_gift_amount_or_obsolete_rules(kb):
    for article in kb.articles.values():
        text = " ".join([article.summary, *article.steps, article.body])
        assert not re.search(r"\d+\s?(kr|kronor)\b", text), article.id
        for obsolete in ("AFS 1993:2", "20 kap. 2 §", "17 kap. 7 §"):
            assert obsolete not in text, (article.id, obsolete)


def test_both_example_organisations_load_and_differ():
    myndighet = load()
    kommun = load(organisation_file=KOMMUN)
    assert myndighet.organisation.name == "Exempelmyndigheten"
    assert kommun.organisation.name == "Exempelkommunen"
    assert myndighet.channel("chef").name != kommun.channel("chef").name
    assert myndighet.channel("akut_112") == kommun.channel("akut_112")  # national: fixed


@pytest.fixture
def kb_copy(tmp_path):
    target = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", target, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    return target


def _edit_front_matter(path: Path, **changes) -> None:
    text = path.read_text(encoding="utf-8")
    front, body = text[len("---\n") :].split("\n---", 1)
    meta = safe_load(front)
    meta.update(changes)
    path.write_text(
        "---\n" + yaml.safe_dump(meta, allow_unicode=True, sort_keys=False) + "---" + body, encoding="utf-8"
    )


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"channels": ["finns_inte"]}, "gavor.md: fältet 'channels'"),
        ({"related": ["finns_inte"]}, "gavor.md: fältet 'related'"),
        (
            {"sources": [{"title": "x", "publisher": "y", "year": 2020, "url": "http://x.se"}]},
            "gavor.md: sources[0].url",
        ),
        ({"summary": "ord " * 61}, "gavor.md: fältet 'summary'"),
        ({"steps": ["a", "b", "c", "d", "e", "f"]}, "gavor.md: fältet 'steps'"),
        ({"id": "annat"}, "gavor.md: fältet 'id'"),
        ({"reviewed": "igår"}, "gavor.md: fältet 'reviewed'"),
        ({"search_words": "gåva, present"}, "gavor.md: fältet 'search_words' måste vara en lista"),
        ({"search_words": ["gåva", "present", "julklapp"]}, "gavor.md: fältet 'search_words' ska ha 5–"),
        ({"search_words": ["gåva", "present", "Gåva", "julklapp", "tårta"]}, "search_words[2] ('Gåva') finns redan"),
        (
            {"search_words": ["gåva", "present", "julklapp", "tårta", "får jag ta emot en gåva från en kund?"]},
            "gavor.md: search_words[4]",
        ),
        ({"search_words": ["gåva", "present", "julklapp", "tårta", 12]}, "gavor.md: search_words[4] ska vara en text"),
    ],
)
def test_broken_article_is_refused_with_file_and_field(kb_copy, change, expected):
    _edit_front_matter(kb_copy / "articles" / "gavor.md", **change)
    with pytest.raises(KnowledgeError) as info:
        load(root=kb_copy)
    assert expected in str(info.value)


def test_every_article_has_search_words_of_its_own(kb):
    """The search's extra text lives in the knowledge base (issue 19): every article has words."""
    for article in kb.articles.values():
        assert len(article.search_words) >= 5, article.id
        assert all(w == " ".join(w.split()) and w for w in article.search_words), article.id


def test_missing_article_and_bad_yaml_are_refused(kb_copy):
    (kb_copy / "articles" / "mutor.md").unlink()
    (kb_copy / "articles" / "jav.md").write_text("---\nid: [jav\n---\ntext", encoding="utf-8")
    with pytest.raises(KnowledgeError) as info:
        load(root=kb_copy)
    message = str(info.value)
    assert "mutor.md: artikel saknas" in message
    assert "jav.md: ogiltig YAML" in message


def test_organisation_without_a_used_channel_is_refused(kb_copy, tmp_path):
    org = safe_load((kb_copy / "organisation.yml").read_text(encoding="utf-8"))
    del org["channels"]["chef"]
    path = tmp_path / "org.yml"
    path.write_text(yaml.safe_dump(org, allow_unicode=True), encoding="utf-8")
    with pytest.raises(KnowledgeError) as info:
        load(root=kb_copy, organisation_file=path)
    assert "kanalen 'chef' finns inte" in str(info.value)


def test_organisation_cannot_override_a_national_channel(kb_copy, tmp_path):
    org = safe_load((kb_copy / "organisation.yml").read_text(encoding="utf-8"))
    org["channels"]["akut_112"] = {"name": "Ring växeln", "text": "fel"}
    path = tmp_path / "org.yml"
    path.write_text(yaml.safe_dump(org, allow_unicode=True), encoding="utf-8")
    with pytest.raises(KnowledgeError, match="'akut_112' är nationell"):
        load(root=kb_copy, organisation_file=path)


def test_unchanged_files_load_once_per_process_and_an_edit_is_seen(kb_copy):
    first = load(root=kb_copy)
    assert load(root=kb_copy) is first
    _edit_front_matter(kb_copy / "articles" / "gavor.md", title="Gåvor och bjudningar")
    edited = load(root=kb_copy)
    assert edited is not first and edited.articles["gavor"].title == "Gåvor och bjudningar"
    _edit_front_matter(kb_copy / "articles" / "gavor.md", related=["finns_inte"])
    for _ in range(2):  # a broken base is refused every time, never served from before
        with pytest.raises(KnowledgeError):
            load(root=kb_copy)
