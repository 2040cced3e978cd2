"""Start Rasa: `python -m bot.serve run …` is `rasa run …` with the project's patches.

The patches to Rasa's own behaviour live in bot/patches/, one module per patch with what it
replaces, the Rasa version it was written against and its measured gain (docs/adr/
0004-rasa-patches.md). They are applied when the command runs, never at import:

- LOTSEN_STOCK_RASA=1: stock Rasa, no patch and no lean start (the parity e2e test runs the
  answer tests this way; also the first thing to try when a Rasa upgrade misbehaves).
- otherwise every patch, and the lean start (bot/patches/lean_start.py) unless
  LOTSEN_ENGINE_LEAN=0 (the benchmark's alternative: Rasa's own loading, TensorFlow and all).

In both modes the engine's log never gets what people wrote (bot/log_privacy.py), and the start
is refused when the tracker store named in the endpoints file cannot be loaded: Rasa itself
would warn and keep conversations in memory only, silently losing them at the next restart and
ignoring the redaction and retention rules.
"""

from __future__ import annotations

import os
import sys

from bot import log_privacy, patches

LEAN_SWITCH = "LOTSEN_ENGINE_LEAN"


def lean_wanted(environ: dict[str, str] | None = None) -> bool:
    """On unless LOTSEN_ENGINE_LEAN is 0/false/no/off, or stock Rasa is wanted."""
    environ = os.environ if environ is None else environ
    if patches.stock_wanted(environ):
        return False
    value = environ.get(LEAN_SWITCH, "1").strip().lower()
    return value not in ("0", "false", "no", "off")


def check_tracker_store(argv: list[str]) -> str | None:
    """The error text if the endpoints file names a tracker store class that does not import."""
    import importlib

    import yaml

    path = argv[argv.index("--endpoints") + 1] if "--endpoints" in argv else "endpoints.yml"
    try:
        with open(path, encoding="utf-8") as f:
            store_type = ((yaml.safe_load(f) or {}).get("tracker_store") or {}).get("type", "")
    except OSError as e:
        return f"Kan inte läsa {path}: {e}"
    if "." not in str(store_type):
        return None  # one of Rasa's own stores ("sql", "redis" …)
    module_name, class_name = str(store_type).rsplit(".", 1)
    try:
        getattr(importlib.import_module(module_name), class_name)
    except Exception as e:  # noqa: BLE001 (any import failure must stop the start)
        return f"Samtalslagringen {store_type} i {path} kan inte laddas: {type(e).__name__}: {e}"
    return None


def main(argv: list[str]) -> int:
    stock = patches.stock_wanted()
    lean = lean_wanted()
    if lean:
        from bot.patches import lean_start

        lean_start.install_lean_imports()  # before Rasa is first imported
    if argv and argv[0] == "run" and (problem := check_tracker_store(argv)):
        print(problem, file=sys.stderr)
        return 2
    if not stock:
        patches.apply_all(lean=lean)
    log_privacy.install()
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *argv]
    rasa_main()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
