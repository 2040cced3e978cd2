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

It also keeps TensorFlow (and the modules of Rasa's that need it at import) out of the
process unless something really uses them (lean_imports): Rasa imports TensorFlow for its
neural components and their training helpers even when, as here, no component of the
pipeline is one; that was about 400 MB of every Rasa process and a third of its start.
`LOTSEN_ENGINE_LEAN=0` turns this off (the benchmark's alternative).

It also removes what people wrote from the two error records Rasa's REST channel logs it in
(see DropUserText), and refuses to start when the tracker store named in the endpoints file cannot be loaded:
Rasa itself would warn and keep conversations in memory only, silently losing them at the
next restart and ignoring the redaction and retention rules.
"""
from __future__ import annotations

import copy
import importlib.abc
import importlib.util
import json
import logging
import os
import sys
from typing import Any, Callable, Dict, Iterable, Optional, Sequence, Text

import ujson  # a C module that Rasa itself depends on: cheap to import, used on every action call

from bot import log_privacy


# --- lean imports ---------------------------------------------------------------------------
# Modules created empty and run only when something first reads an attribute of them
# (importlib.util.LazyLoader). Found with `python -X importtime` on a loaded model: Rasa's
# processor → actions → Policy → tracker featurizers → entity extractor → train_utils, which
# imports the Keras callbacks and data generator (classes derived from TensorFlow's at module
# level, so they import all of TensorFlow, Keras, JAX and h5py) and sklearn.model_selection;
# RulePolicy imports rasa.core.test for one function, which imports matplotlib. None of them is
# used to answer with our pipeline (tests/engine/test_serve.py checks after real turns). A
# pipeline that does use them (DIET, TED) still works: the first attribute read loads the
# module for real.
LAZY_MODULES = (
    "tensorflow",
    "rasa.utils.train_utils",
    "rasa.utils.tensorflow.callback",
    "rasa.utils.tensorflow.data_generator",
    "rasa.core.test",
    "rasa.nlu.test",
    "rasa.utils.plotting",
    "matplotlib",
)
LEAN_SWITCH = "LOTSEN_ENGINE_LEAN"


class LazyModuleFinder(importlib.abc.MetaPathFinder):
    """Finds the named modules with the other finders and wraps their loaders in LazyLoader."""

    def __init__(self, names: Iterable[str]) -> None:
        self.names = frozenset(names)

    def find_spec(self, fullname: str, path: Optional[Sequence[str]], target: Any = None) -> Any:
        if fullname not in self.names:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                break
        else:
            return None
        if spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        spec.loader = importlib.util.LazyLoader(spec.loader)
        return spec


def import_thinc_without_tensorflow() -> None:
    """thinc (spaCy's machine-learning library) imports TensorFlow when it is installed, only to
    offer its TensorFlow wrappers and look for a GPU; spaCy's pipeline here uses neither. While
    thinc.compat runs, `import tensorflow` fails (a None entry in sys.modules means "not
    installed"), so thinc takes the path it takes without TensorFlow; afterwards anything else
    may import TensorFlow as before."""
    if "thinc.compat" in sys.modules:
        return
    missing = object()
    saved = sys.modules.get("tensorflow", missing)
    sys.modules["tensorflow"] = None  # type: ignore[assignment]
    try:
        import thinc.compat  # noqa: F401
    finally:
        if saved is missing:
            sys.modules.pop("tensorflow", None)
        else:
            sys.modules["tensorflow"] = saved  # type: ignore[assignment]


def lean_wanted(environ: Optional[Dict[str, str]] = None) -> bool:
    """On unless LOTSEN_ENGINE_LEAN is 0/false/no/off."""
    value = (os.environ if environ is None else environ).get(LEAN_SWITCH, "1").strip().lower()
    return value not in ("0", "false", "no", "off")


def install_lean_imports(names: Iterable[str] = LAZY_MODULES) -> LazyModuleFinder:
    """Must run before Rasa is imported: a module already imported stays as it is."""
    finder = next((f for f in sys.meta_path if isinstance(f, LazyModuleFinder)), None)
    if finder is None:
        finder = LazyModuleFinder(names)
        sys.meta_path.insert(0, finder)
    import_thinc_without_tensorflow()
    return finder


def really_loaded(name: str) -> bool:
    """True when the module has run (not merely been created lazily)."""
    module = sys.modules.get(name)
    return module is not None and not isinstance(module, importlib.util._LazyModule)  # type: ignore[attr-defined]


class DeferredSchema:
    """A loaded model's training graph, resolved only when something asks for more than its
    serialised form. Rasa resolves every node class of both graphs when it loads a model; the
    training graph's validator imports DIET, TED and the CRF extractor, and with them all of
    TensorFlow, although answering runs the prediction graph only."""

    def __init__(self, serialized: Dict[Text, Any]) -> None:
        self._serialized = copy.deepcopy(serialized)  # GraphSchema.from_dict edits its argument
        self._schema: Any = None

    def as_dict(self) -> Dict[Text, Any]:
        return copy.deepcopy(self._serialized)

    def __getattr__(self, name: str) -> Any:
        if self._schema is None:
            from rasa.engine.graph import GraphSchema

            self._schema = GraphSchema.from_dict(copy.deepcopy(self._serialized))
        return getattr(self._schema, name)


def defer_training_schema() -> None:
    """ModelMetadata.from_dict with the training graph left unresolved (DeferredSchema)."""
    from rasa.engine.storage.storage import ModelMetadata

    original = ModelMetadata.from_dict.__func__  # type: ignore[attr-defined]

    def from_dict(cls: type, serialized: Dict[Text, Any]) -> Any:
        metadata = original(cls, {**serialized, "train_schema": {"nodes": {}}})
        metadata.train_schema = DeferredSchema(serialized["train_schema"])
        return metadata

    ModelMetadata.from_dict = classmethod(from_dict)  # type: ignore[method-assign]


def compact_table(table: Any) -> Any:
    """The same lookups as a spaCy Table in a fraction of the memory, or the table itself.

    spaCy keeps a lookup table (the Swedish lemma table: 660 000 words) as an OrderedDict of
    Python ints to Python strings, about 190 MB in every engine process. Here the keys are one
    sorted uint64 array and the values indices into the distinct values (about 15 MB); a
    lookup is a binary search. Answers are unchanged: tests/engine/test_serve.py compares
    every key with the original table.
    """
    import numpy as np
    from spacy.lookups import Table
    from spacy.strings import get_string_id

    # Built with C-level iteration only (dict views, map, numpy): a loop in Python over the
    # 660 000 entries took 8 s of the engine's start on a busy machine.
    count = len(table)
    try:
        values = list(dict.fromkeys(dict.values(table)))  # the distinct values, in first-seen order
    except TypeError:  # a value that cannot be a dict key: leave the table as it is
        return table
    position_of = {value: i for i, value in enumerate(values)}
    index = np.fromiter(map(position_of.__getitem__, dict.values(table)), dtype=np.int32, count=count)
    keys = np.fromiter(dict.keys(table), dtype=np.uint64, count=count)
    order = np.argsort(keys, kind="stable")
    keys, index = keys[order], index[order]
    del position_of, order

    class CompactTable(Table):
        # Only what spaCy's lookup lemmatizer and the Table API read; the table is never
        # written while the engine answers.
        def _find(self, key: Any) -> int:
            wanted = np.uint64(get_string_id(key))
            position = int(keys.searchsorted(wanted))
            return position if position < len(keys) and keys[position] == wanted else -1

        def get(self, key: Any, default: Any = None) -> Any:
            position = self._find(key)
            return values[index[position]] if position >= 0 else default

        def __getitem__(self, key: Any) -> Any:
            position = self._find(key)
            if position < 0:
                raise KeyError(key)
            return values[index[position]]

        def __contains__(self, key: Any) -> bool:  # type: ignore[override]
            return self._find(key) >= 0

        def __len__(self) -> int:
            return len(keys)

    return CompactTable(name=table.name, data={})


def compact_spacy_lookups() -> None:
    """SpacyNLP.load_model with every lookup table of the loaded pipeline made compact."""
    import ctypes
    import gc

    from rasa.nlu.utils.spacy_utils import SpacyNLP

    original = SpacyNLP.load_model

    def load_model(spacy_model_name: Text) -> Any:
        loaded = original(spacy_model_name)
        for _, component in loaded.model.pipeline:
            lookups = getattr(component, "lookups", None)
            for name in list(getattr(lookups, "tables", [])):
                lookups._tables[name] = compact_table(lookups.get_table(name))
        gc.collect()
        try:  # hand the freed table's memory back to the system now, not at some later time
            ctypes.CDLL("libc.so.6").malloc_trim(0)
        except (OSError, AttributeError):
            pass
        return loaded

    SpacyNLP.load_model = staticmethod(load_model)  # type: ignore[method-assign]


def apply_lean_loading() -> None:
    """The model-loading half of the lean start (after install_lean_imports)."""
    defer_training_schema()
    compact_spacy_lookups()


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
    lean = lean_wanted()
    if lean:
        install_lean_imports()
    if argv and argv[0] == "run" and (problem := check_tracker_store(argv)):
        print(problem, file=sys.stderr)
        return 2
    apply_speed_fixes()
    if lean:
        apply_lean_loading()
    install_log_filters()
    log_privacy.install()
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *argv]
    rasa_main()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
