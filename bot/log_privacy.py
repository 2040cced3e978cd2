"""Nothing a person wrote reaches the engine's log (README, Privacy), whatever the terminal.

Rasa 3.6 renders its structured log records in one of two formats: "key=value" when stderr
is a terminal, JSON otherwise, and in JSON it adds tracebacks with the *local variables* of
every frame (the message being processed among them). Its own anonymiser only works with a
Rasa Pro plugin. So after Rasa has configured logging (`rasa.__main__.configure_structlog`),
the engine's logging is rebuilt here:

- one format, JSON, in a terminal too, so that one filter covers every record;
- the keys in which Rasa logs user text (its own list of "anonymizable" keys) are replaced by
  REMOVED before rendering;
- exceptions are rendered as their type and the frames' file, line and function only: an
  exception's message or its locals can hold the text (structlog and plain logging alike);
- Rasa's "Failed to parse arguments in line '<the whole text>'" warning, printed when a text
  starts with "/" and does not name an intent, is ignored. The gateway never sends typed text
  starting with "/" (gateway/typed_text.py); this covers any other client of the engine.

`install()` is called by bot/serve.py before Rasa's main runs; nothing happens at import.
"""

from __future__ import annotations

import logging
import sys
import traceback
import warnings
from collections.abc import Callable
from types import TracebackType
from typing import Any

REMOVED = "[borttaget]"

# rasa.utils.log_utils._anonymizer's list (Rasa 3.6.21) and the REST channel's "text": every
# key under which Rasa's structured records carry what a person wrote, or data built from it.
USER_TEXT_KEYS = frozenset(
    {
        "text",
        "response_text",
        "user_text",
        "slot_values",
        "parse_data_text",
        "parse_data_entities",
        "prediction_events",
        "tracker_latest_message",
        "prefilled_slots",
        "message",
        "response",
        "slot_candidates",
        "rasa_event",
        "rasa_events",
        "tracker_states",
        "current_states",
        "old_states",
        "successes",
        "current_entity",
        "next_entity",
        "states",
        "entity",
        "token_text",
        "user_message",
        "json_message",
        "metadata",
        "entities",
        "slots",
        "tracker",
        "events",
    }
)
PARSE_WARNING = r"Failed to parse arguments"

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


def drop_user_text(_logger: Any, _name: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """structlog processor: the values of user-text keys are replaced, the keys stay."""
    for key in USER_TEXT_KEYS.intersection(event_dict):
        event_dict[key] = REMOVED
    return event_dict


def _frames(tb: TracebackType | None) -> list[str]:
    return [f"{frame.filename}:{frame.lineno} in {frame.name}" for frame in traceback.extract_tb(tb)]


def _exc_info(value: Any) -> ExcInfo | None:
    if value is True:
        value = sys.exc_info()
    if isinstance(value, BaseException):
        return type(value), value, value.__traceback__
    if isinstance(value, tuple) and len(value) == 3 and value[0] is not None:
        return value  # type: ignore[return-value]
    return None


def exception_type_only(_logger: Any, _name: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """structlog processor: `exc_info` becomes {"type", "frames"}; no message, no locals."""
    info = _exc_info(event_dict.pop("exc_info", None))
    if info is not None:
        event_dict["exception"] = {"type": info[0].__name__, "frames": _frames(info[2])}
    return event_dict


class TypeOnlyTracebacks(logging.Filter):
    """For plain logging records: the exception's type and frames, no message, no source lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[0] is not None:
            kind, _, tb = record.exc_info
            frames = "".join(f"  {frame}\n" for frame in _frames(tb))
            record.exc_text = f"Traceback (most recent call last):\n{frames}{kind.__name__}"
            record.exc_info = None
        return True


def _is_renderer(processor: Any) -> bool:
    """Rasa's final processors: the console or JSON renderer and the dict tracebacks."""
    import structlog

    return isinstance(
        processor,
        (structlog.dev.ConsoleRenderer, structlog.processors.JSONRenderer, structlog.processors.ExceptionRenderer),
    )


def private_processors(configured: list[Any]) -> list[Any]:
    """Rasa's processors with user text dropped first and one private JSON rendering last."""
    import structlog

    kept = [p for p in configured if not _is_renderer(p)]
    return [drop_user_text, *kept, exception_type_only, structlog.processors.JSONRenderer(ensure_ascii=False)]


def make_private() -> None:
    """Rebuild the logging Rasa has just configured (see the module docstring)."""
    import structlog

    structlog.configure(processors=private_processors(structlog.get_config()["processors"]))
    for handler in logging.getLogger().handlers:
        handler.addFilter(TypeOnlyTracebacks())
    # Rasa adds its own warning filters before configuring structlog; this one goes in front.
    warnings.filterwarnings("ignore", message=PARSE_WARNING)


def private_configure(original: Callable[..., None]) -> Callable[..., None]:
    def configure_structlog(*args: Any, **kwargs: Any) -> None:
        original(*args, **kwargs)
        make_private()

    return configure_structlog


def install() -> None:
    """Make Rasa's own logging set-up private (called before `rasa.__main__.main`)."""
    import rasa.__main__

    rasa.__main__.configure_structlog = private_configure(rasa.__main__.configure_structlog)
