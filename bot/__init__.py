"""The engine: Rasa configuration and data, plus the engine-side tools (spaCy pipeline, training)."""
