"""Start Rasa: `python -m bot.serve run …` is `rasa run …` with speed fixes for Rasa 3.6.

Measured with py-spy under the load benchmark (docs/deploy.md, "Throughput"):

- The model's graphs run in topological order without dask (bot/graph_runner.py).
- Every call to the action server opened a new aiohttp session and TCP connection (Rasa's
  EndpointConfig.request); one kept-alive session per endpoint is reused instead, and it
  writes the request body with ujson (dumps_json).
- RulePolicy matches the conversation against its rules with each rule parsed once and
  stops as soon as no rule is longer than the history checked (bot/rule_lookup.py).
- Every reply from the action server is checked with `jsonschema.validate(result, spec)`,
  which first re-validates the *schema itself* against the JSON-Schema meta-schema: 34 ms per
  custom action on this machine, 0.5 ms with a validator compiled once. It was 42 % of Rasa's
  time per message. The check of the reply is the same; only the schema's own check runs once.

Both are applied when the command runs, never at import.

It also removes what people wrote from the two error records Rasa's REST channel logs it in
(see DropUserText), and refuses to start when the tracker store named in the endpoints file cannot be loaded:
Rasa itself would warn and keep conversations in memory only, silently losing them at the
next restart and ignoring the redaction and retention rules.
"""
from __future__ import annotations

import json
import logging
import sys
from typing import Any, Callable, Dict, Text

import ujson  # a C module that Rasa itself depends on: cheap to import, used on every action call

from bot import log_privacy


def compiled_action_result_check(spec: Dict[Text, Any], docs_url: str) -> Callable[[Any, Dict[Text, Any]], bool]:
    """A drop-in for RemoteAction._validate_action_result with the validator built once."""
    from jsonschema import ValidationError
    from jsonschema.validators import validator_for

    validator_class = validator_for(spec)
    validator_class.check_schema(spec)
    validator = validator_class(spec)

    def validate_action_result(_action: Any, result: Dict[Text, Any]) -> bool:
        try:
            validator.validate(result)
        except ValidationError as e:
            # Same message as Rasa's own check.
            e.message += (
                ". Failed to validate Action server response from API, make sure your response "
                f"from the Action endpoint is valid. For more information about the format visit "
                f"{docs_url}/custom-actions"
            )
            raise
        return True

    return validate_action_result


class _KeptSession:
    """`async with` yields the shared session and leaves it open for the next request."""

    def __init__(self, session: Any) -> None:
        self._session = session

    async def __aenter__(self) -> Any:
        return self._session

    async def __aexit__(self, *exc: Any) -> bool:
        return False


def dumps_json(value: Any) -> str:
    """JSON for the action server's request body: ujson (a Rasa dependency) is about three
    times faster than json on the tracker Rasa sends with every custom action; anything ujson
    refuses (a numpy number, NaN) goes through json as Rasa itself would send it."""
    try:
        return ujson.dumps(value, ensure_ascii=False, escape_forward_slashes=False, allow_nan=False)
    except (TypeError, ValueError, OverflowError):
        return json.dumps(value)


def kept_alive_sessions() -> Callable[[Any], _KeptSession]:
    """A drop-in for EndpointConfig.session that reuses one aiohttp session per endpoint."""
    import asyncio

    import aiohttp
    from rasa.core.constants import DEFAULT_REQUEST_TIMEOUT

    sessions: Dict[Any, Any] = {}

    def session(config: Any) -> _KeptSession:
        key = (id(asyncio.get_running_loop()), config.url, repr(config.headers), repr(config.basic_auth))
        current = sessions.get(key)
        if current is None or current.closed:
            auth = aiohttp.BasicAuth(config.basic_auth["username"], config.basic_auth["password"]) \
                if config.basic_auth else None
            # Idle connections go after 2 s, before the action server (Sanic, 5 s) closes them.
            current = sessions[key] = aiohttp.ClientSession(
                headers=config.headers, auth=auth, timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
                connector=aiohttp.TCPConnector(keepalive_timeout=2), json_serialize=dumps_json)
        return _KeptSession(current)

    return session


def apply_speed_fixes() -> None:
    import rasa.core.processor
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.constants import DOCS_BASE_URL
    from rasa.utils.endpoints import EndpointConfig

    from bot import rule_lookup
    from bot.graph_runner import SequentialGraphRunner

    # The processor loads the model with this class; training is not affected.
    rasa.core.processor.DaskGraphRunner = SequentialGraphRunner
    rule_lookup.install()

    EndpointConfig.session = kept_alive_sessions()
    spec = RemoteAction.action_response_format_spec()
    RemoteAction._validate_action_result = compiled_action_result_check(spec, DOCS_BASE_URL)


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


# Rasa's REST channel logs the person's message at ERROR level when a turn times out or fails
# ("rest.message.received.timeout"/".failure", text=…): with the gateway's 3 s engine timeout,
# under load, that put what people wrote into the engine's log. Nothing they write may be
# logged (README, Privacy), so the text is removed from these records.
TEXT_LOGGERS = ("rasa.core.channels.rest", "rasa.core.channels.channel")
REMOVED = "[borttaget]"


class DropUserText(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.msg
        if isinstance(message, dict) and "text" in message:
            record.msg = {**message, "text": REMOVED}
        elif isinstance(message, str) and '"text"' in message:
            try:
                data = json.loads(message)
                record.msg = json.dumps({**data, "text": REMOVED}) if isinstance(data, dict) else REMOVED
            except ValueError:
                record.msg = REMOVED
            record.args = ()
        return True


def install_log_filters() -> None:
    for name in TEXT_LOGGERS:
        logging.getLogger(name).addFilter(DropUserText())


def main(argv: list[str]) -> int:
    if argv and argv[0] == "run" and (problem := check_tracker_store(argv)):
        print(problem, file=sys.stderr)
        return 2
    apply_speed_fixes()
    install_log_filters()
    log_privacy.install()
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *argv]
    rasa_main()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
