"""Periods for the statistics page and the report: a month, a year, a day or a range."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

MAX_DAYS = 3 * 366

_MONTH = re.compile(r"(\d{4})-(\d{2})")
_YEAR = re.compile(r"\d{4}")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


class PeriodError(ValueError):
    """The period could not be read; `key` names the message in strings.sv.yml (errors)."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive
    label: str  # as written, safe for file names: 2026-11, 2026, 2026-11-01..2026-11-15

    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise PeriodError("period") from exc


def parse_period(text: str) -> Period:
    text = (text or "").strip()
    if match := _MONTH.fullmatch(text):
        year, month = int(match.group(1)), int(match.group(2))
        if not 1 <= month <= 12 or year < 1:
            raise PeriodError("period")
        return Period(date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1]), text)
    if _YEAR.fullmatch(text):
        year = int(text)
        if year < 1:
            raise PeriodError("period")
        return Period(date(year, 1, 1), date(year, 12, 31), text)
    if _DAY.fullmatch(text):
        day = _day(text)
        return Period(day, day, text)
    if ".." in text:
        first, _, last = text.partition("..")
        if not (_DAY.fullmatch(first.strip()) and _DAY.fullmatch(last.strip())):
            raise PeriodError("period")
        start, end = _day(first.strip()), _day(last.strip())
        if end < start:
            raise PeriodError("period_order")
        if (end - start).days + 1 > MAX_DAYS:
            raise PeriodError("period_too_long")
        return Period(start, end, f"{start.isoformat()}..{end.isoformat()}")
    raise PeriodError("period")


def month_of(day: date) -> Period:
    return parse_period(f"{day.year:04d}-{day.month:02d}")
