"""The gateway's channel into Rasa: one turn in, the structured answer out.

Rasa's REST channel answers with a list of texts: it splits every text at blank lines and sends
a message's custom payload as an item of its own, so the gateway had to put the parts together
again by counting. This channel keeps each bot utterance whole (text, buttons and our custom
part together) and answers with knowledge/contract.py's shape, {"messages": [...], "meta": {...}},
which the gateway reads with contract.decode_answer. POST /webhooks/lotsen/webhook with
{"sender": "<session id>", "message": "<text or /intent payload>"}; registered in
bot/credentials.yml.
"""

from __future__ import annotations

import logging
from asyncio import CancelledError
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from knowledge import contract

log = logging.getLogger("lotsen.channel")


class StructuredOutput(CollectingOutputChannel):
    """Collects the turn's bot utterances as Rasa hands them over, one dict each."""

    @classmethod
    def name(cls) -> str:
        return contract.CHANNEL_NAME

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[dict[str, Any]] = []

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        # Whole, in order: CollectingOutputChannel would split the text and the custom part apart.
        self.messages.append(dict(message))


class StructuredInput(InputChannel):
    @classmethod
    def name(cls) -> str:
        return contract.CHANNEL_NAME

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("lotsen_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            body = request.json if isinstance(request.json, dict) else {}
            sender, text = body.get("sender"), body.get("message")
            if not isinstance(sender, str) or not sender or not isinstance(text, str):
                return response.json(
                    {"error": {"code": "invalid_request", "message": "sender and message"}}, status=400
                )
            collector = StructuredOutput()
            try:
                await on_new_message(UserMessage(text, collector, sender, input_channel=self.name()))
            except CancelledError:
                # Never the text: nothing people write reaches a log (README, Privacy).
                log.error("the turn was cancelled")
            except Exception as exc:  # noqa: BLE001 (like REST: answer with what the turn sent)
                log.error("the turn failed: %s", type(exc).__name__)
            return response.json(contract.answer(collector.messages))

        return webhook
