"""Shared test helpers: the repository root and the real knowledge base."""
from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def kb():
    """The repository's knowledge base, loaded and validated once."""
    from knowledge.loader import load

    return load()
