"""The knowledge search (gateway/search.py) indexes what the knowledge loader gives it."""

from __future__ import annotations

import dataclasses

from gateway.search import KnowledgeSearch, load_lemmas

INVENTED = "qxzvqj"  # no article has it, nor any of its letter n-grams


def _with_search_word(kb, topic: str, word: str):
    article = kb.articles[topic]
    articles = {**kb.articles, topic: dataclasses.replace(article, search_words=(*article.search_words, word))}
    return dataclasses.replace(kb, articles=articles)


def test_search_words_from_the_article_reach_the_index(kb):
    assert KnowledgeSearch(kb, load_lemmas()).search(INVENTED) == []
    hits = KnowledgeSearch(_with_search_word(kb, "jav", INVENTED), load_lemmas()).search(INVENTED)
    assert [h.topic for h in hits[:1]] == ["jav"]


def test_extra_text_stands_in_for_the_search_words(kb):
    """The NLU benchmark compares the search words with other text (the engine's training
    questions) by handing that text in instead: then the articles' own words are not used."""
    edited = _with_search_word(kb, "jav", INVENTED)
    assert KnowledgeSearch(edited, load_lemmas(), extra={}).search(INVENTED) == []
    hits = KnowledgeSearch(edited, load_lemmas(), extra={"mutor": [INVENTED]}).search(INVENTED)
    assert [h.topic for h in hits[:1]] == ["mutor"]


def test_one_index_per_knowledge_base_content(kb):
    """Every app built in one process shares the index of the same articles; another content
    (an edited article, another loaded copy of it) gets its own or the same, by content."""
    from knowledge.loader import load

    first = KnowledgeSearch.build(kb)
    assert KnowledgeSearch.build(load()) is first  # another load, the same content
    edited = KnowledgeSearch.build(_with_search_word(kb, "jav", INVENTED))
    assert edited is not first
    assert [h.topic for h in edited.search(INVENTED)[:1]] == ["jav"]
    assert first.search(INVENTED) == []
