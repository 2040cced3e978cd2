"""Custom actions for the rasa-sdk action server (every module here is loaded by it)."""
