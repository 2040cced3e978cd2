"""A linear SVM intent classifier on tf-idf-weighted sparse features.

Why not Rasa's LogisticRegressionClassifier: it fits raw counts with C fixed at 1 and lbfgs,
which took ~60 of the ~90 s of a training run on our ~20k word and character n-gram features
and was the less accurate choice in 5-fold cross-validation of the training data (see
docs/nlu-benchmark.md). Here the counts are dampened (log 1 + n), weighted by idf and
L2-normalised, so that a long story does not outweigh a two-word fragment, and a LinearSVC
(liblinear, seconds) separates the intents. Its decision values become confidences through a
softmax with a temperature chosen on the cross-validation (lowest log loss), so that
FallbackClassifier's threshold and ambiguity threshold keep their usual meaning.

The trained model is stored as plain arrays (.npz, no pickle): weights, intercepts, classes
and idf.

Prediction takes one message at a time from its sentence-level feature indices, without
building scipy matrices or Rasa's combined features: a question touches ~100 of ~20k
columns, and the matrix path was half of Rasa's parsing time under load (docs/deploy.md).
tests/engine/test_linear_classifier.py checks that both paths give the same confidences.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import scipy.sparse as sp
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.featurizers.featurizer import Featurizer
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

logger = logging.getLogger(__name__)

MODEL_FILE = "linear_classifier.npz"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LinearIntentClassifier(IntentClassifier, GraphComponent):
    @classmethod
    def required_components(cls) -> list[type]:
        return [Featurizer]

    @staticmethod
    def required_packages() -> list[str]:
        return ["sklearn"]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "C": 1.0,  # inverse regularisation strength
            "class_weight": "balanced",  # or null: every example counts the same
            "sublinear_tf": True,  # log(1 + count) instead of the count
            "temperature": 0.15,  # softmax(decision / temperature) -> confidence
            "max_iter": 5000,
            "random_state": 42,
            "ranking_length": 10,
        }

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        weights: np.ndarray | None = None,
        intercepts: np.ndarray | None = None,
        classes: list[str] | None = None,
        idf: np.ndarray | None = None,
    ) -> None:
        self.config = {**self.get_default_config(), **config}
        if self.config["temperature"] <= 0:
            raise ValueError("LinearIntentClassifier: temperature must be > 0")
        self._model_storage = model_storage
        self._resource = resource
        self.weights, self.intercepts, self.classes, self.idf = weights, intercepts, classes or [], idf

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LinearIntentClassifier:
        return cls(config, model_storage, resource)

    # --- features -------------------------------------------------------------------------
    @staticmethod
    def _raw_features(messages: list[Message]) -> sp.csr_matrix:
        rows = []
        for message in messages:
            sparse = message.get_sparse_features(TEXT)[1]  # [1]: sentence-level features
            dense = message.get_dense_features(TEXT)[1]
            parts = [sp.csr_matrix(f.features) for f in (sparse, dense) if f is not None]
            rows.append(sp.hstack(parts).tocsr() if parts else sp.csr_matrix((1, 0)))
        return sp.vstack(rows).tocsr()

    def _weighted(self, X: sp.csr_matrix) -> sp.csr_matrix:
        X = X.astype(np.float64)
        if self.config["sublinear_tf"]:
            X = X.log1p()
        X = X.multiply(self.idf).tocsr()
        norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        return sp.diags(1.0 / norms) @ X

    # --- training ---------------------------------------------------------------------------
    def train(self, training_data: TrainingData) -> Resource:
        from sklearn.svm import LinearSVC

        examples = [e for e in training_data.intent_examples if e.get(INTENT) and e.get(TEXT)]
        if not examples:
            logger.debug("LinearIntentClassifier: no intent examples, nothing to train.")
            return self._resource
        X = self._raw_features(examples)
        labels = [e.get(INTENT) for e in examples]
        document_frequency = np.asarray((X > 0).sum(axis=0)).ravel()
        self.idf = np.log((1 + X.shape[0]) / (1 + document_frequency)) + 1.0  # sklearn's smooth idf
        svm = LinearSVC(
            C=self.config["C"],
            class_weight=self.config["class_weight"],
            max_iter=self.config["max_iter"],
            random_state=self.config["random_state"],
        )
        svm.fit(self._weighted(X), labels)
        self.classes = [str(c) for c in svm.classes_]
        if len(self.classes) == 2:  # liblinear returns one row for two classes
            self.weights = np.vstack([-svm.coef_[0], svm.coef_[0]])
            self.intercepts = np.array([-svm.intercept_[0], svm.intercept_[0]])
        else:
            self.weights, self.intercepts = svm.coef_, svm.intercept_
        self.persist()
        return self._resource

    def persist(self) -> None:
        with self._model_storage.write_to(self._resource) as directory:
            np.savez(
                directory / MODEL_FILE,
                weights=self.weights,
                intercepts=self.intercepts,
                classes=np.array(self.classes),
                idf=self.idf,
            )

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> LinearIntentClassifier:
        try:
            with model_storage.read_from(resource) as directory:
                with np.load(directory / MODEL_FILE, allow_pickle=False) as data:
                    return cls(
                        config,
                        model_storage,
                        resource,
                        data["weights"],
                        data["intercepts"],
                        [str(c) for c in data["classes"]],
                        data["idf"],
                    )
        except (ValueError, FileNotFoundError):
            logger.debug("LinearIntentClassifier: no trained model stored, starting untrained.")
            return cls(config, model_storage, resource)

    # --- prediction -------------------------------------------------------------------------
    def confidences(self, messages: list[Message]) -> np.ndarray:
        decision = self._weighted(self._raw_features(messages)) @ self.weights.T + self.intercepts
        scaled = np.asarray(decision) / self.config["temperature"]
        scaled -= scaled.max(axis=1, keepdims=True)
        exp = np.exp(scaled)
        return exp / exp.sum(axis=1, keepdims=True)

    @staticmethod
    def _sentence_columns(message: Message) -> tuple[np.ndarray, np.ndarray] | None:
        """(columns, counts) of the message's sentence features, laid out as _raw_features lays
        them out (sparse features in the order the featurizers added them); None when the
        message has dense or repeated columns, which take the matrix path."""
        columns, counts, offset = [], [], 0
        for f in message.features:
            if f.attribute != TEXT or f.type != FEATURE_TYPE_SENTENCE:
                continue
            if not f.is_sparse():
                return None
            coo = f.features.tocoo()
            columns.append(coo.col.astype(np.int64) + offset)
            counts.append(coo.data.astype(np.float64))
            offset += coo.shape[1]
        if not columns:
            return None
        cols, vals = np.concatenate(columns), np.concatenate(counts)
        if len(np.unique(cols)) != len(cols):
            return None
        return cols, vals

    def _confidences_one(self, message: Message) -> np.ndarray:
        found = self._sentence_columns(message)
        if found is None or (len(found[0]) and found[0].max() >= len(self.idf)):
            return self.confidences([message])[0]
        cols, vals = found
        if self.config["sublinear_tf"]:
            vals = np.log1p(vals)
        vals = vals * self.idf[cols]
        norm = np.sqrt(vals @ vals)
        if norm:
            vals = vals / norm
        decision = self.weights[:, cols] @ vals + self.intercepts
        scaled = decision / self.config["temperature"]
        scaled -= scaled.max()
        exp = np.exp(scaled)
        return exp / exp.sum()

    def process(self, messages: list[Message]) -> list[Message]:
        if self.weights is None or not messages:
            return messages
        for message in messages:
            probabilities = self._confidences_one(message)
            order = np.argsort(-probabilities, kind="stable")
            ranking = [{"name": self.classes[i], "confidence": float(probabilities[i])} for i in order]
            message.set(INTENT, ranking[0], add_to_output=True)
            length = self.config["ranking_length"]
            message.set("intent_ranking", ranking[:length] if length > 0 else ranking, add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        # Nothing later in the pipeline needs our predictions on the training data.
        return training_data
