"""Sum the counter rows of a period for the page and the report; write them as CSV.

The CSV holds the stored rows themselves (day × topic × channel × audience), so that every
figure on the page and in the report can be recomputed from it.
"""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import date
from pathlib import Path

import yaml

from gateway.statistics.period import Period
from gateway.statistics.store import COUNTERS, NO_TOPIC, CountRow
from knowledge.loader import KnowledgeBase

STRINGS_FILE = Path(__file__).with_name("strings.sv.yml")
CSV_DELIMITER = ";"  # what Excel expects with Swedish regional settings (comma is the decimal sign)


@functools.lru_cache(maxsize=1)
def load_strings() -> dict:
    return yaml.safe_load(STRINGS_FILE.read_text(encoding="utf-8"))


@dataclass
class Totals:
    questions: int = 0
    answers: int = 0
    fallbacks: int = 0
    emergencies: int = 0
    feedback_yes: int = 0
    feedback_no: int = 0

    def add(self, row: CountRow | Totals) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(row, f.name))

    def get(self, name: str) -> int:
        return getattr(self, name)

    @property
    def answered_share(self) -> float | None:
        return self.answers / self.questions if self.questions else None

    @property
    def helpful_share(self) -> float | None:
        rated = self.feedback_yes + self.feedback_no
        return self.feedback_yes / rated if rated else None

    @property
    def empty(self) -> bool:
        return not any(getattr(self, name) for name in COUNTERS)


@dataclass
class Summary:
    period: Period
    channel: str | None
    total: Totals = field(default_factory=Totals)
    by_day: list[tuple[date, Totals]] = field(default_factory=list)
    by_topic: list[tuple[str, Totals]] = field(default_factory=list)
    by_channel: list[tuple[str, Totals]] = field(default_factory=list)
    by_audience: list[tuple[str, Totals]] = field(default_factory=list)


def _grouped(rows: Iterable[CountRow], key) -> dict:
    groups: dict = {}
    for row in rows:
        groups.setdefault(key(row), Totals()).add(row)
    return groups


def _by_size(groups: dict) -> list[tuple[str, Totals]]:
    return sorted(groups.items(), key=lambda kv: (-kv[1].questions, -(kv[1].feedback_yes + kv[1].feedback_no), kv[0]))


def summarize(rows: list[CountRow], period: Period, channel: str | None = None) -> Summary:
    summary = Summary(period, channel)
    for row in rows:
        summary.total.add(row)
    days = _grouped(rows, lambda r: r.day)
    summary.by_day = [(day, days.get(day, Totals())) for day in period.days()]
    summary.by_topic = _by_size(_grouped(rows, lambda r: r.topic))
    summary.by_channel = _by_size(_grouped(rows, lambda r: r.channel))
    summary.by_audience = _by_size(_grouped(rows, lambda r: r.audience))
    return summary


class Labels:
    """Swedish names for topic ids, channels, audiences and counters."""

    def __init__(self, strings: dict, kb: KnowledgeBase) -> None:
        self.strings = strings
        self.kb = kb

    def topic(self, topic_id: str) -> str:
        if topic_id == NO_TOPIC:
            return self.strings["no_topic"]
        topic = self.kb.topics.get(topic_id)
        return topic.title if topic else topic_id

    def channel(self, name: str) -> str:
        return self.strings["channels"].get(name, name)

    def audience(self, name: str) -> str:
        return self.strings["audiences"].get(name, name)

    def counter(self, name: str) -> str:
        return self.strings["counters"][name]


def csv_cell(value: object) -> str:
    """A text cell that a spreadsheet cannot read as a formula (CSV injection): a leading
    = + - @ (or tab, carriage return) gets an apostrophe in front."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_text(rows: Iterable[CountRow], labels: Labels) -> str:
    """The rows as semicolon-separated UTF-8 with a byte-order mark (Excel reads å, ä, ö then)."""
    columns = labels.strings["csv_columns"]
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=CSV_DELIMITER)
    writer.writerow([columns[name] for name in ("day", "topic", "topic_title", "channel", "audience", *COUNTERS)])
    for row in rows:
        writer.writerow(
            [
                csv_cell(row.day.isoformat()),
                csv_cell(row.topic),
                csv_cell(labels.topic(row.topic)),
                csv_cell(row.channel),
                csv_cell(row.audience),
                *(getattr(row, name) for name in COUNTERS),
            ]
        )
    return out.getvalue()


def percent(share: float | None) -> str:
    """A share as Swedish percent ("87 %"), or an en dash when there is nothing to divide."""
    return "–" if share is None else f"{round(share * 100):d} %"
