"""`make kb-report`: readability, size, first-answer length, sources and review age of every article.

Prints one row per topic and flags reviews older than 12 months, so an editor sees what to
check next. "1:a medd." is the first message (lead + steps), "1:a svar" everything sent for
one question; both are counted as a person reads them (see knowledge.check). Exit status 1
when an article is above the LIX limit, a first message is too long or a review is overdue.
"""

from __future__ import annotations

import datetime as dt
import statistics
import sys

from knowledge.check import (
    FIRST_ANSWER_TARGET_WORDS,
    FIRST_MESSAGE_MAX_WORDS,
    LIX_MAX,
    first_answer_words,
    first_message_words,
)
from knowledge.loader import KnowledgeError, load, word_count
from knowledge.readability import lix, plain_text

LIX_MEDIAN_TARGET = 40
REVIEW_MAX_DAYS = 365


def main(argv: list[str]) -> int:
    today = dt.date.fromisoformat(argv[0]) if argv else dt.date.today()
    try:
        kb = load()
    except KnowledgeError as exc:
        print(exc, file=sys.stderr)
        return 1
    rows, values, answers, problems = [], [], [], 0
    for topic_id in kb.topics:
        a = kb.articles[topic_id]
        value = lix(a.body)
        values.append(value)
        first, answer = first_message_words(kb, topic_id), first_answer_words(kb, topic_id)
        answers.append(answer)
        age = (today - a.reviewed).days
        flags = []
        if value > LIX_MAX:
            flags.append(f"LIX > {LIX_MAX}")
        if first > FIRST_MESSAGE_MAX_WORDS:
            flags.append(f"1:a medd. > {FIRST_MESSAGE_MAX_WORDS} ord")
        if age > REVIEW_MAX_DAYS:
            flags.append(f"granskad för {age} dagar sedan")
        problems += bool(flags)
        rows.append(
            (
                topic_id,
                value,
                word_count(plain_text(a.body)),
                first,
                answer,
                len(a.steps),
                len(a.sources),
                a.reviewed.isoformat(),
                ", ".join(flags) or "ok",
            )
        )
    header = ("ämne", "LIX", "ord", "1:a medd.", "1:a svar", "steg", "källor", "granskad", "status")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)))
    median = statistics.median(values)
    over = sum(n > FIRST_ANSWER_TARGET_WORDS for n in answers)
    print(
        f"\n{len(rows)} artiklar. LIX median {median:.1f} (mål ≤ {LIX_MEDIAN_TARGET}), "
        f"min {min(values):.1f}, max {max(values):.1f}. Att åtgärda: {problems}."
    )
    print(
        f"Första svaret: median {statistics.median(answers):.0f} ord, max {max(answers)} "
        f"(mål ≤ {FIRST_ANSWER_TARGET_WORDS}; {over} ämnen över)."
    )
    return 1 if problems or median > LIX_MEDIAN_TARGET else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
