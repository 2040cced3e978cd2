"""The knowledge search (knowledge/search.py) indexes what the knowledge loader gives it."""

from __future__ import annotations

import dataclasses

import pytest

from knowledge.search import KnowledgeSearch, load_lemmas

INVENTED = "qxzvqj"  # no article has it, nor any of its letter n-grams


@pytest.fixture(scope="module")
def edited_kb(kb):
    """The knowledge base with the invented word as one more search word of jav."""
    article = kb.articles["jav"]
    articles = {**kb.articles, "jav": dataclasses.replace(article, search_words=(*article.search_words, INVENTED))}
    return dataclasses.replace(kb, articles=articles)


def test_search_words_from_the_article_reach_the_index(kb, edited_kb):
    assert KnowledgeSearch.build(kb).search(INVENTED) == []
    assert [h.topic for h in KnowledgeSearch.build(edited_kb).search(INVENTED)] == ["jav"]


def test_extra_text_stands_in_for_the_search_words(edited_kb):
    """The NLU benchmark compares the search words with other text (the engine's training
    questions) by handing that text in instead: then the articles' own words are not used."""
    hits = KnowledgeSearch(edited_kb, load_lemmas(), extra={"mutor": [INVENTED]}).search(INVENTED)
    assert [h.topic for h in hits] == ["mutor"]


def test_one_index_per_knowledge_base_content(kb, edited_kb):
    """Every app built in one process shares the index of the same articles (however often
    they are loaded); other content gets its own."""
    from knowledge.loader import load

    assert KnowledgeSearch.build(load()) is KnowledgeSearch.build(kb)
    assert KnowledgeSearch.build(edited_kb) is not KnowledgeSearch.build(kb)


def test_the_scope_score_can_split_a_compound_the_index_does_not_know(kb):
    """split_compounds (measured by bench/nlu.py --cv): "hotsituationen" is unknown as a
    whole, its longest known first and last parts are not; a known word is never split."""
    plain = KnowledgeSearch(kb, load_lemmas())
    split = KnowledgeSearch(kb, load_lemmas(), split_compounds=True)
    assert plain.scope_score("hotsituationen") == 0.0
    assert split._compound_parts("hotsituationen") == ["hot", "situation"]
    assert split.scope_score("hotsituationen") > 1.0
    assert split.scope_score("hot") == plain.scope_score("hot")
    assert split.scope_score(INVENTED) == 0.0
