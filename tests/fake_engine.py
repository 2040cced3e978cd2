"""The engine's answers at the HTTP level, for unit tests that stand in for it (app env)."""

from __future__ import annotations

from typing import Any

import httpx

from knowledge import contract

WEBHOOK = contract.WEBHOOK_PATH


def reply(*bot_messages: dict[str, Any]) -> httpx.Response:
    """bot/channel.py's answer to a turn whose bot utterances were these, as Rasa hands them to
    a channel: {"text", "buttons", "custom"}."""
    return httpx.Response(200, json=contract.answer(list(bot_messages)))


def part(text: str, buttons: list[dict] | None = None, **fields: Any) -> dict[str, Any]:
    """One message as an action sends it (kind, title, items, links beside Rasa's text and buttons)."""
    return {"text": text, "buttons": buttons, "custom": {contract.META_KEY: {"part": fields}}}


def turn(**meta: Any) -> dict[str, Any]:
    """The turn's metadata as an action sends it (actions/reply.py)."""
    return {"custom": {contract.META_KEY: {"turn": meta}}}
