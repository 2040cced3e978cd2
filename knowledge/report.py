"""`make kb-report`: readability, size, sources and review age of every article.

Prints one row per topic and flags reviews older than 12 months, so an editor sees what to
check next. Exit status 1 when an article is above the LIX limit or a review is overdue.
"""
from __future__ import annotations

import datetime as dt
import statistics
import sys
from pathlib import Path

from knowledge.loader import KnowledgeError, load, word_count
from knowledge.readability import lix, plain_text

LIX_LIMIT = 45
LIX_MEDIAN_TARGET = 40
REVIEW_MAX_DAYS = 365


def main(argv: list[str]) -> int:
    today = dt.date.fromisoformat(argv[0]) if argv else dt.date.today()
    try:
        kb = load()
    except KnowledgeError as exc:
        print(exc, file=sys.stderr)
        return 1
    rows, values, problems = [], [], 0
    for topic_id in kb.topics:
        a = kb.articles[topic_id]
        value = lix(a.body)
        values.append(value)
        age = (today - a.reviewed).days
        flags = []
        if value > LIX_LIMIT:
            flags.append(f"LIX > {LIX_LIMIT}")
        if age > REVIEW_MAX_DAYS:
            flags.append(f"granskad för {age} dagar sedan")
        problems += bool(flags)
        rows.append((topic_id, value, word_count(plain_text(a.body)), word_count(a.summary), len(a.steps),
                     len(a.sources), a.reviewed.isoformat(), ", ".join(flags) or "ok"))
    header = ("ämne", "LIX", "ord", "ord i svar", "steg", "källor", "granskad", "status")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(str(v).ljust(w) for v, w in zip(row, widths)))
    median = statistics.median(values)
    print(f"\n{len(rows)} artiklar. LIX median {median:.1f} (mål ≤ {LIX_MEDIAN_TARGET}), "
          f"min {min(values):.1f}, max {max(values):.1f}. Att åtgärda: {problems}.")
    return 1 if problems or median > LIX_MEDIAN_TARGET else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
