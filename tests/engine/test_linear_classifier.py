"""LinearIntentClassifier with Rasa's real tokenizer, featurizer and model storage."""

from __future__ import annotations

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.components.linear_classifier import LinearIntentClassifier

EXAMPLES = {
    "gavor": [
        "får jag ta emot en gåva",
        "leverantören gav mig ett presentkort",
        "blommor från en klient",
        "julklapp från leverantör",
        "en anhörig vill ge mig choklad",
    ],
    "jav": [
        "ärendet gäller min kusin",
        "är jag jävig",
        "min sambo äger företaget",
        "jäv i nämnden",
        "jag känner sökanden privat",
    ],
    "out_of_scope": [
        "när kommer lönen",
        "skrivaren är trasig",
        "vad blir det för väder",
        "hur bokar jag ett mötesrum",
        "berätta en vits",
    ],
}
CONFIG = {"ranking_length": 2}


@pytest.fixture
def parts(tmp_path):
    storage = LocalModelStorage(tmp_path)
    context = ExecutionContext(GraphSchema({}), "test")
    tokenizer = WhitespaceTokenizer.create(WhitespaceTokenizer.get_default_config(), storage, Resource("tok"), context)
    # Words and character n-grams, two featurizers as in bot/config.yml.
    featurizers = [
        CountVectorsFeaturizer.create(CountVectorsFeaturizer.get_default_config(), storage, Resource("words"), context),
        CountVectorsFeaturizer.create(
            {**CountVectorsFeaturizer.get_default_config(), "analyzer": "char_wb", "min_ngram": 2, "max_ngram": 4},
            storage,
            Resource("cvf"),
            context,
        ),
    ]
    data = TrainingData([Message.build(text=t, intent=i) for i, texts in EXAMPLES.items() for t in texts])
    tokenizer.process_training_data(data)
    for featurizer in featurizers:
        featurizer.train(data)
        featurizer.process_training_data(data)

    def featurised(text: str) -> Message:
        message = Message(data={"text": text})
        tokenizer.process([message])
        for featurizer in featurizers:
            featurizer.process([message])
        return message

    return storage, context, data, featurised


def test_trains_predicts_and_reloads_from_storage(parts):
    storage, context, data, featurised = parts
    LinearIntentClassifier.create(CONFIG, storage, Resource("clf"), context).train(data)
    loaded = LinearIntentClassifier.load(CONFIG, storage, Resource("clf"), context)

    gift, conflict = featurised("får jag behålla gåvan"), featurised("ärendet gäller min svåger, är jag jävig?")
    loaded.process([gift, conflict])

    assert gift.get("intent")["name"] == "gavor"
    assert conflict.get("intent")["name"] == "jav"
    ranking = gift.get("intent_ranking")
    assert len(ranking) == 2  # ranking_length
    assert ranking[0]["confidence"] >= ranking[1]["confidence"]
    assert 0.0 < ranking[0]["confidence"] <= 1.0


def test_confidences_are_a_distribution_and_temperature_sharpens_them(parts):
    storage, context, data, featurised = parts
    soft = LinearIntentClassifier.create({"temperature": 1.0}, storage, Resource("soft"), context)
    sharp = LinearIntentClassifier.create({"temperature": 0.05}, storage, Resource("sharp"), context)
    soft.train(data)
    sharp.train(data)
    message = featurised("presentkort från leverantör")
    p_soft, p_sharp = soft.confidences([message])[0], sharp.confidences([message])[0]
    assert abs(p_soft.sum() - 1.0) < 1e-9 and abs(p_sharp.sum() - 1.0) < 1e-9
    assert p_sharp.max() > p_soft.max()


def test_the_one_message_path_equals_the_matrix_path(parts):
    # process() reads the feature indices directly (fast); confidences() builds the matrices
    # exactly as training did. They must agree, including for words never seen in training.
    storage, context, data, featurised = parts
    clf = LinearIntentClassifier.create(CONFIG, storage, Resource("same"), context)
    clf.train(data)
    for text in ("får jag behålla gåvan", "jäv", "xyzzy qwerty", "Min SAMBO äger företaget!!", "a"):
        message = featurised(text)
        fast, matrix = clf._confidences_one(message), clf.confidences([message])[0]
        assert fast.shape == matrix.shape
        assert max(abs(fast - matrix)) < 1e-9, text


def test_an_untrained_model_leaves_messages_alone(parts):
    storage, context, _, featurised = parts
    untrained = LinearIntentClassifier.load(CONFIG, storage, Resource("never-trained"), context)
    message = featurised("får jag ta emot en gåva")
    untrained.process([message])
    assert message.get("intent") is None


def test_a_temperature_of_zero_is_refused(tmp_path):
    with pytest.raises(ValueError, match="temperature"):
        LinearIntentClassifier({"temperature": 0}, LocalModelStorage(tmp_path), Resource("clf"))
