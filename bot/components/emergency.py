"""Route every message with danger words to `akut_fara`, whatever the classifier thought.

The safety net is deterministic and independent of the classifier: a miss is unacceptable,
a false alarm only costs a 112 line before the normal answer. The classifier's own result is
kept under `emergency.original_intent` so the answer action can follow the 112 line with the
answer the person actually asked for.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from knowledge.emergency import EmergencyDetector

EMERGENCY_INTENT = "akut_fara"
EMERGENCY_KEY = "emergency"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class EmergencyOverride(GraphComponent):
    def __init__(self, detector: EmergencyDetector) -> None:
        self._detector = detector

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> EmergencyOverride:
        return cls(EmergencyDetector.from_file())

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text: str | None = message.get(TEXT)
            # Button payloads ("/gavor") are explicit choices, not descriptions of danger.
            if not text or text.startswith("/"):
                continue
            terms = self._detector.detect(text)
            if not terms:
                continue
            original = message.get(INTENT) or {}
            message.set(EMERGENCY_KEY, {"terms": terms, "original_intent": original.get("name")}, add_to_output=True)
            message.set(INTENT, {"name": EMERGENCY_INTENT, "confidence": 1.0}, add_to_output=True)
        return messages
