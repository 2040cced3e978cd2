"""Validate the knowledge base from the command line: `python -m knowledge.check [ORG_FILE]`."""
from __future__ import annotations

import sys
from pathlib import Path

from knowledge.loader import KnowledgeError, load
from knowledge.readability import lix

LIX_MAX = 45


def main(argv: list[str]) -> int:
    org = Path(argv[0]) if argv else None
    try:
        kb = load(organisation_file=org)
    except KnowledgeError as exc:
        print(exc, file=sys.stderr)
        return 1
    too_hard = [(a.id, lix(a.body)) for a in kb.articles.values() if lix(a.body) > LIX_MAX]
    for aid, value in too_hard:
        print(f"knowledge/articles/{aid}.md: LIX {value} > {LIX_MAX}", file=sys.stderr)
    if too_hard:
        return 1
    print(f"OK: {len(kb.articles)} artiklar, organisation {kb.organisation.name!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
