"""Count every chat turn, in memory, and write the counts to the store every few seconds.

Counting never slows down or breaks an answer: `record_turn` only adds to a dictionary, the
flush runs the database work in a thread, and a failed flush keeps the counts for the next
one. At most one flush interval of counts is lost if the process dies.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections import Counter, OrderedDict
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from gateway.statistics.store import (
    NO_TOPIC,
    REVIEW_REASONS,
    UNKNOWN,
    CountRow,
    Key,
    StatisticsStore,
    UnansweredQuestion,
)
from knowledge.loader import AUDIENCES
from knowledge.redact import redact

log = logging.getLogger("lotsen.gateway")

_CHANNEL = re.compile(r"[a-z][a-z0-9_-]{0,31}")
# Counts of this many day × topic × channel × audience keys are kept while the database is down.
MAX_PENDING_KEYS = 50_000
MAX_PENDING_UNANSWERED = 5_000
MAX_UNANSWERED_CHARS = 1000
PURGE_INTERVAL = 3600.0
# For a "Nej" on "Hjälpte svaret?": each session's latest question, redacted, in memory only.
MAX_REMEMBERED_SESSIONS = 20_000
REMEMBER_SECONDS = 24 * 3600.0
TOP_TOPICS = 3


def turn_counts(result: dict) -> tuple[str, Counter]:
    """(topic, counters) of one answered turn, as answer_turn returns it.

    An answer to "Hjälpte svaret?" counts only as feedback, under the topic it was about.
    Any other turn is a question; it is answered when it got an article (a topic), and a
    fallback when the assistant offered topics instead of an answer (nlu_fallback, or the
    gateway's degraded mode without a topic).
    """
    feedback = result.get("feedback")
    if isinstance(feedback, dict) and isinstance(feedback.get("helpful"), bool):
        name = "feedback_yes" if feedback["helpful"] else "feedback_no"
        return feedback.get("topic") or NO_TOPIC, Counter({name: 1})
    topic = result.get("topic") or NO_TOPIC
    counts = Counter(questions=1)
    if topic:
        counts["answers"] = 1
    elif result.get("suggestions"):
        counts["fallbacks"] = 1
    if result.get("emergency"):
        counts["emergencies"] = 1
    return topic, counts


def review_reason(result: dict, counts: Counter) -> str | None:
    """Why this question should be reviewed (store.REVIEW_REASONS), or None.

    The engine says so itself ("review": {"reason": ...} from answers.engine_review); a turn
    that offered topics instead of an answer (degraded mode included) is "unsure".
    """
    review = result.get("review")
    reason = review.get("reason") if isinstance(review, dict) else None
    if reason in REVIEW_REASONS:
        return reason
    return "unsure" if counts["fallbacks"] else None


def top_topics(result: dict) -> tuple[str, ...]:
    """The assistant's three likeliest topics for the turn: the engine's ranking, else the
    answer's topic and the suggestions it offered."""
    review = result.get("review")
    ranking = review.get("ranking") if isinstance(review, dict) else None
    if not ranking:
        ranking = [t for t in [result.get("topic"), *(result.get("suggestions") or [])] if t]
    return tuple(dict.fromkeys(str(t) for t in ranking))[:TOP_TOPICS]


def channel_name(channel: str | None) -> str:
    return channel if isinstance(channel, str) and _CHANNEL.fullmatch(channel) else UNKNOWN


def audience_name(audience: str | None) -> str:
    return audience if audience in AUDIENCES else UNKNOWN


class StatisticsRecorder:
    def __init__(
        self,
        store: StatisticsStore,
        tz: ZoneInfo,
        store_unanswered: bool = False,
        retention_days: int = 30,
        flush_interval: float = 5.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.tz = tz
        self.store_unanswered = store_unanswered
        self.retention_days = retention_days
        self.flush_interval = flush_interval
        self._clock = clock
        self._pending: dict[Key, Counter] = {}
        self._unanswered: list[UnansweredQuestion] = []
        self._lock = asyncio.Lock()
        self._task: asyncio.Task | None = None
        self._next_purge = 0.0
        # session id → (monotonic time, redacted question, its top three, already kept)
        self._last_question: OrderedDict[str, tuple[float, str, tuple[str, ...], bool]] = OrderedDict()

    def today(self) -> date:
        return datetime.fromtimestamp(self._clock(), self.tz).date()

    def record_turn(
        self, result: dict, channel: str = "api", text: str | None = None, session: str | None = None
    ) -> None:
        """Count one turn (no I/O). The text is kept, redacted, only for questions to review
        (rejected, unsure, or the question before a "Nej") and only when that is switched on.
        Never raises: the answer matters more than its count."""
        try:
            self._record(result, channel, text, session)
        except Exception as exc:  # noqa: BLE001 – counting must never fail the turn; the type only
            log.error("en fråga kunde inte räknas (%s)", type(exc).__name__)

    def _record(self, result: dict, channel: str, text: str | None, session: str | None = None) -> None:
        topic, counts = turn_counts(result)
        now = self._clock()
        day = datetime.fromtimestamp(now, self.tz).date()
        channel, audience = channel_name(channel), audience_name(result.get("audience"))
        key = Key(day, topic, channel, audience)
        if key in self._pending or len(self._pending) < MAX_PENDING_KEYS:
            self._pending.setdefault(key, Counter()).update(counts)
        if not self.store_unanswered:
            return
        reason, ranking, question = review_reason(result, counts), top_topics(result), None
        if result.get("feedback"):
            # "Nej" (clicked or typed): the question is the one that answer replied to, unless
            # it is kept already. Either answer settles it: the question is forgotten.
            remembered = self._recall(session)
            if remembered is not None and counts["feedback_no"]:
                reason, question, ranking = "not_helpful", remembered[0], remembered[1]
        elif text and text.strip():
            question = redact(text.strip())[:MAX_UNANSWERED_CHARS]
            self._remember(session, question, ranking, kept=reason is not None)
        elif session:
            # A button click: the next answer replies to it, not to the typed question before.
            self._last_question.pop(session, None)
        if reason and question and len(self._unanswered) < MAX_PENDING_UNANSWERED:
            self._unanswered.append(
                UnansweredQuestion(
                    day=day,
                    created_at=datetime.fromtimestamp(now, timezone.utc),
                    channel=channel,
                    audience=audience,
                    text=question,
                    reason=reason,
                    ranking=ranking,
                )
            )

    def _remember(self, session: str | None, question: str, ranking: tuple[str, ...], kept: bool) -> None:
        if not session:
            return
        self._last_question.pop(session, None)
        self._last_question[session] = (time.monotonic(), question, ranking, kept)
        while len(self._last_question) > MAX_REMEMBERED_SESSIONS:
            self._last_question.popitem(last=False)

    def _recall(self, session: str | None) -> tuple[str, tuple[str, ...]] | None:
        """The session's latest question and its top three, once, if not kept already."""
        entry = self._last_question.pop(session, None) if session else None
        if entry is None:
            return None
        stamp, question, ranking, kept = entry
        if kept or time.monotonic() - stamp > REMEMBER_SECONDS:
            return None
        return question, ranking

    def _take(self) -> tuple[dict[Key, Counter], list[UnansweredQuestion]]:
        pending, unanswered = self._pending, self._unanswered
        self._pending, self._unanswered = {}, []
        return pending, unanswered

    def _put_back(self, pending: dict[Key, Counter], unanswered: list[UnansweredQuestion]) -> None:
        for key, counts in pending.items():
            if key in self._pending or len(self._pending) < MAX_PENDING_KEYS:
                self._pending.setdefault(key, Counter()).update(counts)
        room = MAX_PENDING_UNANSWERED - len(self._unanswered)
        self._unanswered[:0] = unanswered[: max(room, 0)]

    def _write(self, pending, unanswered, purge_before: datetime | None) -> None:
        self.store.add(pending, unanswered)
        if purge_before is not None:
            self.store.purge_unanswered(purge_before)

    async def flush(self) -> bool:
        """Write what was counted since the last flush; False (and counts kept) on failure."""
        async with self._lock:
            pending, unanswered = self._take()
            purge_before = None
            if time.monotonic() >= self._next_purge:
                purge_before = datetime.fromtimestamp(self._clock(), timezone.utc) - timedelta(days=self.retention_days)
            try:
                await asyncio.to_thread(self._write, pending, unanswered, purge_before)
            except Exception as exc:  # noqa: BLE001 – counting must never take the chat down
                self._put_back(pending, unanswered)
                log.error("statistiken kunde inte sparas (%s); försöker igen", type(exc).__name__)
                return False
            if purge_before is not None:
                self._next_purge = time.monotonic() + PURGE_INTERVAL
            return True

    async def rows(self, start: date, end: date, channel: str | None = None) -> list[CountRow]:
        await self.flush()
        return await asyncio.to_thread(self.store.rows, start, end, channel)

    async def channels(self) -> list[str]:
        return await asyncio.to_thread(self.store.channels)

    async def unanswered(self, start: date, end: date, channel: str | None = None) -> list[tuple[str, int]]:
        return await asyncio.to_thread(self.store.unanswered, start, end, channel)

    async def review_items(self) -> list:
        """Questions waiting for a review, newest first (what was just asked included)."""
        await self.flush()
        return await asyncio.to_thread(self.store.review_items)

    async def review_count(self) -> int:
        return await asyncio.to_thread(self.store.review_count)

    async def review_item(self, item_id: int):
        return await asyncio.to_thread(self.store.review_item, item_id)

    async def remove(self, item_id: int) -> bool:
        return await asyncio.to_thread(self.store.remove, item_id)

    async def mark_assigned(self, item_id: int, intent: str) -> bool:
        return await asyncio.to_thread(self.store.mark_assigned, item_id, intent)

    async def assigned(self) -> list[tuple[str, str]]:
        return await asyncio.to_thread(self.store.assigned)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.flush_interval)
            await self.flush()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        """Stop the periodic flush and write what is left."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.flush()
        self.store.close()


def build_recorder(settings) -> StatisticsRecorder:
    """The recorder for the gateway's settings (gateway.settings.Settings)."""
    return StatisticsRecorder(
        StatisticsStore(settings.statistics_db_url),
        ZoneInfo(settings.statistics_timezone),
        store_unanswered=settings.store_unanswered,
        retention_days=settings.unanswered_retention_days,
    )
