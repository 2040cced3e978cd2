"""The chat API's request and response shapes: a contract other clients build on."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

# Channel connectors (Teams, Matrix) derive their sessions as "<channel>-<HMAC>"
# (gateway.session_keys): the public API may neither continue nor clear those.
CHANNEL_SESSION_PREFIXES = ("teams-", "matrix-")


def _not_a_channel_session(value: str) -> str:
    if value.startswith(CHANNEL_SESSION_PREFIXES):
        raise PydanticCustomError("reserved_session_id", "reserved for a channel")
    return value


SessionId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{8,64}$"), AfterValidator(_not_a_channel_session)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]
# A flow payload with every answer filled in runs past 200 characters, and the signature the
# gateway adds (gateway/signing.py) takes about 50 more.
Payload = Annotated[str, StringConstraints(min_length=1, max_length=500)]


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    session_id: SessionId | None = None
    text: Text | None = None
    payload: Payload | None = None

    @model_validator(mode="after")
    def _text_or_payload(self) -> ChatRequest:
        if (self.text is None) == (self.payload is None):
            # The message people get is gateway/errors.sv.yml's "text_or_payload" (gateway/errors.py).
            raise PydanticCustomError("text_or_payload", "either 'text' or 'payload' is required")
        return self


class Button(BaseModel):
    title: str
    payload: str


class Link(BaseModel):
    title: str
    url: str


class Item(BaseModel):
    """A step, a contact (its name and how to reach it) or a source (its title)."""

    text: str
    # "tel:112", "tel:11414", "mailto:…", "https://…"; what a click opens, never shown as text.
    href: str | None = None


class Message(BaseModel):
    # text, buttons and links are what every client has always read; they stay filled as before.
    text: str
    buttons: list[Button] = []
    links: list[Link] = []
    # What the part is (knowledge/contract.py KINDS, issue 20): a client shows emergency, lead,
    # steps and question at once, and contacts, sources and feedback behind one control each.
    kind: Literal["emergency", "lead", "steps", "contacts", "sources", "question", "feedback", "text"] = "text"
    title: str | None = None  # the part's visible heading or control label, e.g. "Källor"
    items: list[Item] = []  # the steps, the contacts (tel:/mailto:/https) or the sources


class ChatResponse(BaseModel):
    session_id: str
    messages: list[Message]
    topic: str | None
    emergency: bool
    suggestions: list[str]
    engine: Literal["rasa", "fallback"]
    # true: the engine is still answering this turn (a message about danger right now is
    # answered at once from the knowledge base); POST /api/chat/late-answer fetches what it
    # adds, or the session's next turn carries it.
    late_answer: bool = False


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorResponse(BaseModel):
    error: ErrorDetail


class Health(BaseModel):
    status: Literal["ok"]
    engine: Literal["up", "down"]
    actions: Literal["up", "down"]
