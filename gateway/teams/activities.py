"""What a Teams activity asks of the assistant: the pure mapping, no I/O.

A message is either words (mentions stripped) or a card button's payload; each Teams
conversation becomes its own engine session.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from microsoft_agents.activity import Activity
from pydantic import TypeAdapter, ValidationError

from gateway.schemas import Payload, Text
from gateway.session_keys import channel_session_id

# Action.Submit data of our cards: Teams hands it back as the activity's value.
PAYLOAD_KEY = "payload"
# The incident record's form (issue 18): its submit carries RECORD_KEY and the field values.
RECORD_KEY = "incident_record"
RECORD_MAKE = "make"
RECORD_FIELD_PREFIX = "record_"
CHANNEL_NAME = "teams"
PERSONAL = "personal"
MAX_TEXT_CHARS = 1000  # as for /api/chat (gateway.schemas.Text)

_MENTION = re.compile(r"<at\b[^>]*>.*?</at>", re.IGNORECASE | re.DOTALL)
_BLANKS = re.compile(r"[^\S\n]+")
_text = TypeAdapter(Text)
_payload = TypeAdapter(Payload)


@dataclass(frozen=True)
class Turn:
    """One engine turn (text or payload), or the reason there is none (a strings key)."""

    text: str | None = None
    payload: str | None = None
    problem: str | None = None
    # The incident record's values: written back to the person, never sent to the engine.
    record: dict[str, str] | None = None


def strip_mentions(text: str) -> str:
    """Remove every <at>…</at> mention, the bot's and colleagues' alike.

    The bot's own name is noise to the NLU, and a colleague's name is personal data the
    engine does not need. Teams escapes the rest of the text as HTML (&nbsp;, &amp; …).
    """
    text = html.unescape(_MENTION.sub(" ", text))
    lines = (_BLANKS.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def message_turn(activity: Activity) -> Turn:
    """A card click (Action.Submit → value.payload) or the typed words."""
    value = activity.value
    if isinstance(value, dict) and value.get(RECORD_KEY) == RECORD_MAKE:
        return Turn(
            record={
                k[len(RECORD_FIELD_PREFIX) :]: str(v)
                for k, v in value.items()
                if isinstance(k, str) and k.startswith(RECORD_FIELD_PREFIX) and isinstance(v, str)
            }
        )
    if isinstance(value, dict) and PAYLOAD_KEY in value:
        try:
            return Turn(payload=_payload.validate_python(value[PAYLOAD_KEY], strict=True))
        except ValidationError:
            return Turn(problem="unknown_button")
    words = strip_mentions(activity.text or "")
    if not words:
        return Turn(problem="no_text")
    if len(words) > MAX_TEXT_CHARS:
        return Turn(problem="too_long")
    return Turn(text=_text.validate_python(words))


def session_id(activity: Activity, secret: bytes) -> str:
    """The engine session of a Teams conversation: stable, within the API's id pattern.

    An HMAC under the server secret (gateway.session_keys): Teams' ids (which name the tenant
    and the people) stay out of the engine's tracker and logs, and knowing a conversation id
    is not enough to reach its session through /api/chat (which also refuses the prefix).
    A channel thread has its own conversation id and session.
    """
    conversation = activity.conversation
    return channel_session_id(secret, CHANNEL_NAME, conversation.tenant_id or "", conversation.id)


def is_personal(activity: Activity) -> bool:
    return (activity.conversation.conversation_type or PERSONAL) == PERSONAL


def bot_was_added(activity: Activity) -> bool:
    """conversationUpdate that adds the bot itself (Teams sends one when the app is installed)."""
    bot = activity.recipient.id if activity.recipient else None
    return bool(bot) and any(m.id == bot for m in activity.members_added or [])
