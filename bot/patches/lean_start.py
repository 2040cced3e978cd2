"""Patch: the lean engine start – TensorFlow and Rasa's training-only modules out of the process.

Replaces: how Rasa 3.6.21 imports its modules (a meta-path finder that makes some of them
lazy), rasa.engine.storage.storage.ModelMetadata.from_dict (the training graph left
unresolved) and rasa.nlu.utils.spacy_utils.SpacyNLP.load_model (spaCy's lookup tables kept
compact). Written against Rasa 3.6.21 with spaCy 3.x. Measured gain: every Rasa process about
930 → 345 MB, all of `make run` 2.2 → 1.0 GB, at the same CPU per turn (py-spy: the compact
table's lookups 0.3 % of a loaded process's samples, the lazy modules none; docs/deploy.md,
"Memory"). `LOTSEN_ENGINE_LEAN=0`
(or LOTSEN_STOCK_RASA=1) leaves it out. Drop when Rasa stops importing TensorFlow for a
pipeline without neural components (Rasa 3.6 does, through its featurizers' training helpers).

install_lean_imports() must run before Rasa is first imported; apply() afterwards.

Rasa imports TensorFlow for its neural components and their training helpers even when, as
here, no component of the pipeline is one; that was about 400 MB of every Rasa process and a
third of its start.
"""

from __future__ import annotations

import copy
import importlib.abc
import importlib.util
import sys
from collections.abc import Iterable, Sequence
from typing import Any

RASA_VERSION = "3.6.21"

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


class LazyModuleFinder(importlib.abc.MetaPathFinder):
    """Finds the named modules with the other finders and wraps their loaders in LazyLoader."""

    def __init__(self, names: Iterable[str]) -> None:
        self.names = frozenset(names)

    def find_spec(self, fullname: str, path: Sequence[str] | None, target: Any = None) -> Any:
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

    def __init__(self, serialized: dict[str, Any]) -> None:
        self._serialized = copy.deepcopy(serialized)  # GraphSchema.from_dict edits its argument
        self._schema: Any = None

    def as_dict(self) -> dict[str, Any]:
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

    def from_dict(cls: type, serialized: dict[str, Any]) -> Any:
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

    def load_model(spacy_model_name: str) -> Any:
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


def apply() -> None:
    """The model-loading half of the lean start (after install_lean_imports)."""
    defer_training_schema()
    compact_spacy_lookups()
