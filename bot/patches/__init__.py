"""Every change to Rasa's own behaviour, fenced: one module per patch (docs/adr/0004-rasa-patches.md).

Each module names the Rasa version it was written against (RASA_VERSION), says what it replaces
and what it gained when measured, and has one `apply()`; nothing happens at import. They are
applied by bot/serve.py when the engine is started through it; training and `rasa test` run
Rasa unchanged. `LOTSEN_STOCK_RASA=1` starts stock Rasa: no patch, no lean start (the parity
e2e test, tests/e2e/test_stock_rasa.py, runs the answer tests that way).

Upgrading Rasa: run `tests/engine/test_patches*.py` first; they compare each patch with the
Rasa code it replaces and fail when that code has moved or changed. A patch whose RASA_VERSION
is not the installed version is still applied, with a warning at start.
"""

from __future__ import annotations

import logging
import os
from types import ModuleType

STOCK_SWITCH = "LOTSEN_STOCK_RASA"

# In the order they are applied; lean_start's import half runs earlier (bot/serve.py), since it
# must come before Rasa is first imported.
NAMES: tuple[str, ...] = (
    "graph_runner",
    "rule_lookup",
    "action_result_check",
    "action_log_copies",
    "action_sessions",
    "tracker_cache",
    "lean_start",
)

log = logging.getLogger(__name__)


def stock_wanted(environ: dict[str, str] | None = None) -> bool:
    """On only when LOTSEN_STOCK_RASA is 1/true/yes/on."""
    value = (os.environ if environ is None else environ).get(STOCK_SWITCH, "").strip().lower()
    return value in ("1", "true", "yes", "on")


def modules() -> tuple[ModuleType, ...]:
    import importlib

    return tuple(importlib.import_module(f"{__name__}.{name}") for name in NAMES)


def apply_all(lean: bool = True) -> tuple[str, ...]:
    """Apply every patch (lean_start's loading half only when `lean`); returns their names."""
    from importlib.metadata import version

    installed = version("rasa")
    applied = []
    for module in modules():
        name = module.__name__.rsplit(".", 1)[1]
        if name == "lean_start" and not lean:
            continue
        if module.RASA_VERSION != installed:
            log.warning(
                "bot.patches.%s was written for Rasa %s, installed is %s: run its tests",
                name,
                module.RASA_VERSION,
                installed,
            )
        module.apply()
        applied.append(name)
    return tuple(applied)
