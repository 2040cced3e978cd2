"""The engine's emergency override: danger words route to akut_fara, whatever the classifier said."""

from __future__ import annotations

from rasa.shared.nlu.training_data.message import Message

from bot.components.emergency import EmergencyOverride
from knowledge.emergency import EmergencyDetector


def process(text, intent="gavor"):
    message = Message(data={"text": text, "intent": {"name": intent, "confidence": 0.9}})
    EmergencyOverride(EmergencyDetector.from_file()).process([message])
    return message


def test_danger_overrides_intent_and_keeps_original():
    message = process("han står i receptionen med en kniv just nu", intent="nlu_fallback")
    assert message.get("intent")["name"] == "akut_fara"
    assert message.get("emergency")["original_intent"] == "nlu_fallback"


def test_ordinary_question_is_untouched():
    message = process("Får jag ta emot en julklapp från en leverantör?")
    assert message.get("intent")["name"] == "gavor"
    assert message.get("emergency") is None


def test_button_payload_is_not_scanned():
    assert process("/akut_fara", intent="akut_fara").get("emergency") is None
