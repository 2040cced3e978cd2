"""The action server's settings and knowledge base, read once per process on first use."""

from __future__ import annotations

import os
import sys
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from knowledge.emergency import EmergencyDetector
from knowledge.loader import KnowledgeBase, load

if TYPE_CHECKING:
    from knowledge.search import KnowledgeSearch

ORGANISATION_ENV = "LOTSEN_ORGANISATION_FILE"
# Tests only: an action raises when the turn's text contains this marker (actions/safety.py).
CRASH_MARKER_ENV = "LOTSEN_TEST_CRASH_MARKER"
# Tests only: an action waits this long first when the turn's text contains this marker, so a
# client that gives up on the engine does so at a known point (tests/e2e/test_privacy.py).
SLOW_MARKER_ENV = "LOTSEN_TEST_SLOW_MARKER"
SLOW_SECONDS = 5.0


@lru_cache(maxsize=1)
def knowledge_base() -> KnowledgeBase:
    org = os.environ.get(ORGANISATION_ENV)
    return load(organisation_file=Path(org) if org else None)


@lru_cache(maxsize=1)
def knowledge_search() -> KnowledgeSearch:
    """The knowledge search over this process's knowledge base, built on first use (the first
    unsure question or answer in doubt: about a second for the lemma table and the indexes)."""
    # bm25s imports jax for its top-k when it can (Rasa brings it): 190 MB and a second in
    # this process for a function the search never calls (it reads get_scores only). A None
    # entry makes that import fail, as if jax were not installed (the gateway's case).
    modules: Any = sys.modules  # typed as holding modules only; None is the documented block
    modules.setdefault("jax", None)
    # Imported here: bm25s and numpy stay out of the action server's start until needed.
    from knowledge.search import KnowledgeSearch

    return KnowledgeSearch.build(knowledge_base())


@lru_cache(maxsize=1)
def emergency_detector() -> EmergencyDetector:
    return EmergencyDetector.from_file()


@lru_cache(maxsize=1)
def crash_marker() -> str:
    return os.environ.get(CRASH_MARKER_ENV, "")


@lru_cache(maxsize=1)
def slow_marker() -> str:
    return os.environ.get(SLOW_MARKER_ENV, "")
