"""The gateway: the one HTTP front for people and chat channels (widget, API, pages)."""
