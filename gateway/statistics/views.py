"""Build what the page and the report show from a period's rows: tables and SVG charts."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from gateway.statistics import charts
from gateway.statistics.summary import Labels, Summary, Totals, percent

TEMPLATES = Path(__file__).resolve().parent / "templates"
# Longer periods are charted per month: a bar per day would be a hair's breadth.
MAX_DAILY_BARS = 62
FLOW = ("questions", "answers", "fallbacks", "emergencies")
FEEDBACK = ("feedback_yes", "feedback_no")


# Every character that starts Markdown (CommonMark, GitHub) inside a line: links and images,
# HTML and entities, emphasis, code, table cells, autolinks (the ":" of a URL). A stored question
# is shown as the words it is. Parentheses need no escape once "]" has one.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]#!|<>~&:])")
_WHITESPACE = re.compile(r"\s+")


def markdown_text(text: object) -> str:
    """Text for one Markdown table cell or line: one line, every special character escaped."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", _WHITESPACE.sub(" ", str(text)).strip())


@functools.lru_cache(maxsize=1)
def templates() -> Environment:
    """Jinja templates; HTML autoescaped, the Markdown report not (it escapes its own cells)."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["percent"] = percent
    env.filters["md"] = markdown_text
    return env


@functools.lru_cache(maxsize=1)
def stylesheet() -> str:
    return (TEMPLATES / "statistik.css").read_text(encoding="utf-8")


@dataclass
class Table:
    heading: str
    first_column: str
    rows: list[tuple[str, Totals]]


def time_series(summary: Summary) -> list[tuple[str, Totals]]:
    if len(summary.by_day) <= MAX_DAILY_BARS:
        return [(day.isoformat(), totals) for day, totals in summary.by_day]
    months: dict[str, Totals] = {}
    for day, totals in summary.by_day:
        months.setdefault(day.strftime("%Y-%m"), Totals()).add(totals)
    return list(months.items())


def _series(labels: Labels, names, rows: list[tuple[str, Totals]]) -> list[charts.Series]:
    return [charts.Series(n, labels.counter(n), [t.get(n) for _, t in rows]) for n in names]


def tables(summary: Summary, labels: Labels) -> list[Table]:
    s = labels.strings
    return [
        Table(s["by_topic_heading"], s["topic_column"], [(labels.topic(k), t) for k, t in summary.by_topic]),
        Table(
            s["by_audience_heading"], s["audience_column"], [(labels.audience(k), t) for k, t in summary.by_audience]
        ),
        Table(s["by_channel_heading"], s["channel_column"], [(labels.channel(k), t) for k, t in summary.by_channel]),
        Table(s["by_day_heading"], s["day_column"], [(k, t) for k, t in time_series(summary) if not t.empty]),
    ]


def chart_list(summary: Summary, labels: Labels) -> list[tuple[str, Markup]]:
    """(heading, svg) for each chart of the page."""
    s = labels.strings
    days = time_series(summary)
    short = [k[8:] if len(k) == 10 else k for k, _ in days] if len(days) <= 31 else [k for k, _ in days]
    result = [(s["by_day_heading"], charts.columns(s["by_day_heading"], short, _series(labels, FLOW[:3], days)))]
    for heading, groups, name in (
        (s["by_topic_heading"], summary.by_topic, labels.topic),
        (s["by_audience_heading"], summary.by_audience, labels.audience),
        (s["by_channel_heading"], summary.by_channel, labels.channel),
    ):
        asked = [(k, t) for k, t in groups if t.questions]
        if asked:
            result.append(
                (
                    heading,
                    charts.bars(
                        heading,
                        [name(k) for k, _ in asked],
                        _series(labels, ("answers", "fallbacks"), asked)
                        + [
                            charts.Series(
                                "questions",
                                _other_label(labels),
                                [t.questions - t.answers - t.fallbacks for _, t in asked],
                            )
                        ],
                    ),
                )
            )
    rated = [(k, t) for k, t in summary.by_topic if t.feedback_yes + t.feedback_no]
    if rated:
        result.append(
            (
                s["feedback_heading"],
                charts.bars(
                    s["feedback_heading"], [labels.topic(k) for k, _ in rated], _series(labels, FEEDBACK, rated)
                ),
            )
        )
    return result


def _other_label(labels: Labels) -> str:
    return labels.strings["other_questions"]


def csv_filename(period_label: str, channel: str | None) -> str:
    return f"statistik-{period_label.replace('..', '_')}{'-' + channel if channel else ''}.csv"
