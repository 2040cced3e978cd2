"""Patch: an action's events are deep-copied for Rasa's debug log line only when that line is
written.

Replaces: rasa.core.processor.MessageProcessor._log_action_on_tracker. Written against Rasa
3.6.21, which evaluates `structlogger.debug(..., rasa_events=copy.deepcopy(events))` for every
action it runs, also when the log level drops the line: the copy is made and thrown away. Our
custom actions answer with six to eight bot messages whose custom part holds kinds, titles and
items (issue 20), so the copy grew with them: 2.6 ms per answer on the shared machine
(microbenchmark, a whole article's events), the largest single share of the +5 to +16 % of Rasa
CPU per turn measured against the morning's code (docs/deploy.md, "Throughput"). Measured gain:
see docs/deploy.md, "No loss of throughput". The tracker is updated exactly as before; the
debug line, when on, carries the same copy.
Drop when Rasa builds its debug log arguments only when debug logging is on (not so up to 3.6.21).
"""

from __future__ import annotations

import copy
import logging
from typing import Any

RASA_VERSION = "3.6.21"


def debug_logged() -> bool:
    """Whether Rasa's structlog loggers write debug lines. Rasa configures a filtering bound
    logger (rasa.utils.log_utils.configure_structlog) whose methods below its level are one
    shared no-op; before that configuration structlog's default logs everything."""
    import structlog

    wrapper = structlog.get_config()["wrapper_class"]
    dropped = structlog.make_filtering_bound_logger(logging.CRITICAL).debug
    return getattr(wrapper, "debug", None) is not dropped


def log_action_on_tracker(self: Any, tracker: Any, action: Any, events: list | None, prediction: Any) -> None:
    """Rasa 3.6.21's MessageProcessor._log_action_on_tracker, the deep copies made only for a
    debug line that is written."""
    from rasa.core.processor import structlogger
    from rasa.shared.core.events import ActionExecutionRejected

    # Ensures that the code still works even if an action returns None instead of [].
    if events is None:
        events = []
    debug = debug_logged()

    action_was_rejected_manually = any(isinstance(event, ActionExecutionRejected) for event in events)
    if not action_was_rejected_manually:
        if debug:
            structlogger.debug(
                "processor.actions.policy_prediction", prediction_events=copy.deepcopy(prediction.events)
            )
        tracker.update_with_events(prediction.events, self.domain)

        # log the action and its produced events
        tracker.update(action.event_for_successful_execution(prediction))

    if debug:
        structlogger.debug("processor.actions.log", action_name=action.name(), rasa_events=copy.deepcopy(events))
    tracker.update_with_events(events, self.domain)


def apply() -> None:
    from rasa.core.processor import MessageProcessor

    MessageProcessor._log_action_on_tracker = log_action_on_tracker  # type: ignore[method-assign]
