"""Swedish morphology and spelling from a Hunspell dictionary, as a pipeline component.

Sits between SpacyTokenizer and the featurizers and rewrites each token's lemma (which both
CountVectorsFeaturizers read, use_lemma) from the Swedish Hunspell dictionary (PyPI
`hunspell-sv`, through the C library in `chunspell`):
- `lemmas`: Hunspell's stem instead of spaCy's lookup lemma when Hunspell knows the word;
  its affix rules also cover compounds the lookup table has never seen ("knivhotad" →
  "knivhota", "kaffekassan" → "kaffekassa");
- `compounds`: the stems of a compound's parts are added to its lemma ("kaffekassan" →
  "kaffekassa kaffe kassa"), so that "tjänsteutövningen" shares "utövning" with the
  training data;
- `spelling`: a word Hunspell does not know is corrected: `diacritics` tries å/ä/ö for a and
  o ("hembesok" → "hembesök", the commonest slip in our held-out sets: text typed without
  Swedish letters), `suggest` takes Hunspell's first suggestion (any typo, but seconds for a
  long word), `none` leaves it.
`make bench-nlu` compares the options with the lookup lemmatizer alone (docs/nlu-benchmark.md).
"""

from __future__ import annotations

import functools
import itertools
import re
import sys
from pathlib import Path
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

DICTIONARY = "sv_SE"
SPELLING = ("none", "diacritics", "suggest")
_WORD = re.compile(r"^[a-zåäöéü]+$")
_DIACRITICS = {"a": "aåä", "o": "oö"}
MAX_VARIANT_LETTERS = 6  # 3^6 variants at most: a long word without å/ä/ö stays cheap
MIN_WORD = 3  # "på"/"pa", "är"/"ar": too short to correct safely


def default_dictionary_dir() -> Path:
    """hunspell-sv installs its .aff/.dic as data files under <prefix>/share/hunspell."""
    return Path(sys.prefix) / "share" / "hunspell"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class SwedishMorphology(GraphComponent):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"lemmas": True, "compounds": True, "spelling": "diacritics", "dictionary_dir": None}

    @staticmethod
    def required_packages() -> list[str]:
        # None declared: Rasa checks the names as modules (hunspell) when validating and as
        # distributions (chunspell) when fingerprinting, and no one name passes both. A
        # missing library fails in __init__ with its own ImportError.
        return []

    def __init__(self, config: dict[str, Any]) -> None:
        from hunspell import Hunspell

        if config["spelling"] not in SPELLING:
            raise ValueError(f"spelling must be one of {SPELLING}, not {config['spelling']!r}")
        self._config = config
        folder = Path(config["dictionary_dir"] or default_dictionary_dir())
        if not (folder / f"{DICTIONARY}.dic").exists():
            raise FileNotFoundError(f"no {DICTIONARY}.dic in {folder}: install hunspell-sv (pip)")
        self._hunspell = Hunspell(DICTIONARY, hunspell_data_dir=str(folder))
        # Per word, for the life of the process: the vocabulary of questions is small.
        self.lemma = functools.lru_cache(maxsize=100_000)(self._lemma)

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SwedishMorphology:
        return cls(config)

    def _known(self, word: str) -> bool:
        return bool(self._hunspell.spell(word))

    def _correct(self, word: str) -> str:
        spelling = self._config["spelling"]
        if spelling == "none" or len(word) < MIN_WORD or not _WORD.match(word) or self._known(word):
            return word
        if spelling == "diacritics":
            return self._restore_diacritics(word)
        suggestions = self._hunspell.suggest(word)
        return suggestions[0].lower() if suggestions else word

    def _restore_diacritics(self, word: str) -> str:
        positions = [i for i, c in enumerate(word) if c in _DIACRITICS][:MAX_VARIANT_LETTERS]
        if not positions:
            return word
        variants = []
        for letters in itertools.product(*(_DIACRITICS[word[i]] for i in positions)):
            chars = list(word)
            for i, letter in zip(positions, letters, strict=False):
                chars[i] = letter
            variants.append("".join(chars))
        # Fewest changed letters first: "hembesok" → "hembesök", not a rarer word.
        variants.sort(key=lambda v: sum(a != b for a, b in zip(v, word, strict=False)))
        return next((v for v in variants[1:] if self._known(v)), word)

    def _lemma(self, word: str, fallback: str) -> str:
        word = self._correct(word.lower())
        if not self._known(word):
            return fallback if word == fallback.lower() else word
        stems = self._hunspell.stem(word)
        lemma = stems[0] if (self._config["lemmas"] and stems) else fallback.lower()
        if self._config["compounds"]:
            analysis = self._hunspell.analyze(word)
            if analysis and analysis[0].count("pa:") > 1:
                parts = [field[3:] for field in analysis[0].split() if field.startswith("st:")]
                return " ".join([lemma, *[p for p in parts if p != lemma]])
        return lemma

    def _process(self, message: Message) -> None:
        for token in message.get(TOKENS_NAMES[TEXT]) or []:
            token.lemma = self.lemma(token.text, token.lemma or token.text)

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            self._process(message)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for example in training_data.training_examples:
            self._process(example)
        return training_data
