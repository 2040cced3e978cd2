"""bot/components/morphology.py: Hunspell lemmas, compound parts and spelling on real words."""

from __future__ import annotations

import pytest

from bot.components.morphology import SwedishMorphology


def component(**options):
    return SwedishMorphology({**SwedishMorphology.get_default_config(), **options})


@pytest.fixture(scope="module")
def full():
    return component(lemmas=True, compounds=True, spelling="diacritics")


def test_inflected_words_get_hunspells_stem(full):
    assert full.lemma("mutorna", "mutorna") == "muta"
    assert full.lemma("hotades", "hotades") == "hota"


def test_compounds_get_their_parts(full):
    assert full.lemma("kaffekassan", "kaffekassan").split() == ["kaffekassa", "kaffe", "kassa"]
    assert component(compounds=False).lemma("kaffekassan", "kaffekassan") == "kaffekassa"


def test_missing_swedish_letters_are_restored(full):
    assert full.lemma("hembesok", "hembesok") == "hembesök"
    assert component(spelling="none").lemma("hembesok", "hembesok") == "hembesok"


def test_unknown_words_and_short_words_are_left_alone(full):
    assert full.lemma("xyzzy", "xyzzy") == "xyzzy"
    assert full.lemma("pa", "pa") == "pa"


def test_a_bad_spelling_option_is_refused():
    with pytest.raises(ValueError):
        component(spelling="guess")
