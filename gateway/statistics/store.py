"""The statistics database: SQLite by default, PostgreSQL by URL (SQLAlchemy Core).

Counters are added with an upsert (INSERT … ON CONFLICT DO UPDATE SET n = n + excluded.n),
so several gateway processes or replicas can write to one database without losing counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import (
    Column,
    Date,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    delete,
    event,
    func,
    inspect,
    select,
    update,
)
from sqlalchemy import text as sql
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError

from knowledge.private_files import private_file

COUNTERS = ("questions", "answers", "fallbacks", "emergencies", "feedback_yes", "feedback_no")
# Primary-key columns cannot be NULL: a turn without a topic is stored under "".
NO_TOPIC = ""
UNKNOWN = "okänd"

metadata = MetaData()
counts_table = Table(
    "statistics_counts",
    metadata,
    Column("day", Date, primary_key=True),
    Column("topic", String(64), primary_key=True),
    Column("channel", String(32), primary_key=True),
    Column("audience", String(32), primary_key=True),
    *(Column(name, Integer, nullable=False, default=0) for name in COUNTERS),
)
unanswered_table = Table(
    "statistics_unanswered",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("day", Date, nullable=False, index=True),
    # For the retention limit: deleted when older than the configured number of days.
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),
    Column("channel", String(32), nullable=False),
    Column("audience", String(32), nullable=False),
    Column("text", Text, nullable=False),
    # For the review (/statistik/granska): why it was kept (REVIEW_REASONS), the assistant's
    # top three topics (comma-separated) and, once assigned in export-only mode, the intent.
    Column("reason", String(16), nullable=False, server_default="unsure"),
    Column("ranking", String(400), nullable=False, server_default=""),
    Column("intent", String(64), nullable=True),
)
# Columns added after the first release: a database created before them gets them on start.
_ADDED_COLUMNS = {
    "reason": "VARCHAR(16) NOT NULL DEFAULT 'unsure'",
    "ranking": "VARCHAR(400) NOT NULL DEFAULT ''",
    "intent": "VARCHAR(64)",
}
# Rejected as outside the field, below the classifier's threshold (or the engine was down),
# or answered but marked "Nej" on "Hjälpte svaret?".
REVIEW_REASONS = ("out_of_scope", "unsure", "not_helpful")


@dataclass(frozen=True)
class Key:
    day: date
    topic: str
    channel: str
    audience: str


@dataclass(frozen=True)
class CountRow:
    day: date
    topic: str
    channel: str
    audience: str
    questions: int
    answers: int
    fallbacks: int
    emergencies: int
    feedback_yes: int
    feedback_no: int


@dataclass(frozen=True)
class UnansweredQuestion:
    day: date
    created_at: datetime
    channel: str
    audience: str
    text: str
    reason: str = "unsure"
    ranking: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReviewItem:
    id: int
    created_at: datetime
    channel: str
    reason: str
    ranking: tuple[str, ...]
    text: str


class StatisticsStoreError(Exception):
    """The database could not be reached or refused the operation."""


def database_url(url: str) -> str:
    """postgresql:// means psycopg 3 here (SQLAlchemy's default driver would be psycopg2)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class StatisticsStore:
    def __init__(self, url: str) -> None:
        url = database_url(url)
        parsed = make_url(url)  # raises ArgumentError for a malformed URL: a clear start-up error
        self.dialect = parsed.get_backend_name()
        if self.dialect not in ("sqlite", "postgresql"):
            raise ValueError(f"statistikdatabasen måste vara sqlite eller postgresql, inte {self.dialect}")
        if self.dialect == "sqlite" and parsed.database and parsed.database != ":memory:":
            private_file(Path(parsed.database))
        self.engine: Engine = create_engine(url, pool_pre_ping=self.dialect == "postgresql")
        if self.dialect == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._schema_ready = False

    def close(self) -> None:
        self.engine.dispose()

    def ensure_schema(self) -> None:
        if self._schema_ready:
            return
        try:
            metadata.create_all(self.engine)
        except SQLAlchemyError:
            # Another replica may have created the tables at the same moment: check once more.
            try:
                metadata.create_all(self.engine)
            except SQLAlchemyError as exc:
                raise StatisticsStoreError(type(exc).__name__) from exc
        self._add_missing_columns()
        self._schema_ready = True

    def _add_missing_columns(self) -> None:
        try:
            with self.engine.begin() as conn:
                present = {c["name"] for c in inspect(conn).get_columns(unanswered_table.name)}
                for name, ddl in _ADDED_COLUMNS.items():
                    if name not in present:
                        conn.execute(sql(f"ALTER TABLE {unanswered_table.name} ADD COLUMN {name} {ddl}"))
        except SQLAlchemyError as exc:
            raise StatisticsStoreError(type(exc).__name__) from exc

    def _insert(self):
        return (postgresql.insert if self.dialect == "postgresql" else sqlite.insert)(counts_table)

    def add(self, counts: Mapping[Key, Mapping[str, int]], unanswered: Iterable[UnansweredQuestion] = ()) -> None:
        """Add counters and unanswered questions in one transaction."""
        unanswered = list(unanswered)
        if not counts and not unanswered:
            return
        self.ensure_schema()
        try:
            with self.engine.begin() as conn:
                for key, values in counts.items():
                    row = {
                        "day": key.day,
                        "topic": key.topic,
                        "channel": key.channel,
                        "audience": key.audience,
                        **{name: int(values.get(name, 0)) for name in COUNTERS},
                    }
                    stmt = self._insert().values(**row)
                    stmt = stmt.on_conflict_do_update(
                        index_elements=["day", "topic", "channel", "audience"],
                        set_={name: counts_table.c[name] + stmt.excluded[name] for name in COUNTERS},
                    )
                    conn.execute(stmt)
                if unanswered:
                    conn.execute(
                        unanswered_table.insert(),
                        [
                            {
                                "day": q.day,
                                "created_at": q.created_at,
                                "channel": q.channel,
                                "audience": q.audience,
                                "text": q.text,
                                "reason": q.reason,
                                "ranking": ",".join(q.ranking),
                            }
                            for q in unanswered
                        ],
                    )
        except SQLAlchemyError as exc:
            raise StatisticsStoreError(type(exc).__name__) from exc

    def rows(self, start: date, end: date, channel: str | None = None) -> list[CountRow]:
        """Every counter row from start to end (inclusive), sorted by day, topic, channel, audience."""
        self.ensure_schema()
        c = counts_table.c
        query = select(c.day, c.topic, c.channel, c.audience, *(c[n] for n in COUNTERS)).where(
            c.day >= start, c.day <= end
        )
        if channel:
            query = query.where(c.channel == channel)
        query = query.order_by(c.day, c.topic, c.channel, c.audience)
        try:
            with self.engine.connect() as conn:
                return [CountRow(*row) for row in conn.execute(query)]
        except SQLAlchemyError as exc:
            raise StatisticsStoreError(type(exc).__name__) from exc

    def channels(self) -> list[str]:
        self.ensure_schema()
        try:
            with self.engine.connect() as conn:
                return sorted(conn.execute(select(counts_table.c.channel).distinct()).scalars())
        except SQLAlchemyError as exc:
            raise StatisticsStoreError(type(exc).__name__) from exc

    def unanswered(self, start: date, end: date, channel: str | None = None) -> list[tuple[str, int]]:
        """The stored unanswered questions of the period: (text, how often), most frequent first."""
        self.ensure_schema()
        u = unanswered_table.c
        n = func.count().label("n")
        query = select(u.text, n).where(u.day >= start, u.day <= end, u.intent.is_(None))
        if channel:
            query = query.where(u.channel == channel)
        query = query.group_by(u.text).order_by(n.desc(), u.text)
        try:
            with self.engine.connect() as conn:
                return [(text, count) for text, count in conn.execute(query)]
        except SQLAlchemyError as exc:
            raise StatisticsStoreError(type(exc).__name__) from exc

    def purge_unanswered(self, before: datetime) -> int:
        """Delete unanswered questions stored before `before`; returns how many."""
        self.ensure_schema()
        try:
            with self.engine.begin() as conn:
                count = conn.execute(delete(unanswered_table).where(unanswered_table.c.created_at < before)).rowcount
            if count and self.dialect == "sqlite":
                # The deleted questions' pages are zeroed (secure_delete) in the write-ahead
                # log first: move it into the file and empty it, so that no copy lingers.
                with self.engine.connect() as conn:
                    conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            return count
        except SQLAlchemyError as exc:
            raise StatisticsStoreError(type(exc).__name__) from exc

    # --- the review (/statistik/granska) ------------------------------------------------------
    def review_items(self, limit: int = 200) -> list[ReviewItem]:
        """Questions waiting for a review, newest first."""
        self.ensure_schema()
        u = unanswered_table.c
        query = (
            select(u.id, u.created_at, u.channel, u.reason, u.ranking, u.text)
            .where(u.intent.is_(None))
            .order_by(u.created_at.desc(), u.id.desc())
            .limit(limit)
        )
        try:
            with self.engine.connect() as conn:
                return [
                    ReviewItem(id_, created, channel, reason, tuple(filter(None, ranking.split(","))), body)
                    for id_, created, channel, reason, ranking, body in conn.execute(query)
                ]
        except SQLAlchemyError as exc:
            raise StatisticsStoreError(type(exc).__name__) from exc

    def review_count(self) -> int:
        self.ensure_schema()
        u = unanswered_table.c
        try:
            with self.engine.connect() as conn:
                return conn.execute(select(func.count()).where(u.intent.is_(None))).scalar_one()
        except SQLAlchemyError as exc:
            raise StatisticsStoreError(type(exc).__name__) from exc

    def review_item(self, item_id: int) -> ReviewItem | None:
        self.ensure_schema()
        u = unanswered_table.c
        query = select(u.id, u.created_at, u.channel, u.reason, u.ranking, u.text).where(
            u.id == item_id, u.intent.is_(None)
        )
        try:
            with self.engine.connect() as conn:
                row = conn.execute(query).first()
        except SQLAlchemyError as exc:
            raise StatisticsStoreError(type(exc).__name__) from exc
        if row is None:
            return None
        id_, created, channel, reason, ranking, body = row
        return ReviewItem(id_, created, channel, reason, tuple(filter(None, ranking.split(","))), body)

    def remove(self, item_id: int) -> bool:
        """Delete one question (discarded, or assigned and written to reviewed.yml).
        Every stored copy of the same text goes with it: one decision covers them all."""
        self.ensure_schema()
        u = unanswered_table.c
        try:
            with self.engine.begin() as conn:
                body = conn.execute(select(u.text).where(u.id == item_id, u.intent.is_(None))).scalar()
                if body is None:
                    return False
                conn.execute(delete(unanswered_table).where(u.text == body, u.intent.is_(None)))
                return True
        except SQLAlchemyError as exc:
            raise StatisticsStoreError(type(exc).__name__) from exc

    def mark_assigned(self, item_id: int, intent: str) -> bool:
        """Export-only mode: keep an assigned question (until its retention ends) for the
        download of reviewed.yml, out of the review list; its other copies are deleted."""
        self.ensure_schema()
        u = unanswered_table.c
        try:
            with self.engine.begin() as conn:
                body = conn.execute(select(u.text).where(u.id == item_id, u.intent.is_(None))).scalar()
                if body is None:
                    return False
                conn.execute(delete(unanswered_table).where(u.text == body, u.intent.is_(None), u.id != item_id))
                conn.execute(update(unanswered_table).where(u.id == item_id).values(intent=intent))
                return True
        except SQLAlchemyError as exc:
            raise StatisticsStoreError(type(exc).__name__) from exc

    def assigned(self) -> list[tuple[str, str]]:
        """(intent, text) of the questions assigned in export-only mode, oldest first."""
        self.ensure_schema()
        u = unanswered_table.c
        query = select(u.intent, u.text).where(u.intent.is_not(None)).order_by(u.created_at, u.id)
        try:
            with self.engine.connect() as conn:
                return [(intent, body) for intent, body in conn.execute(query)]
        except SQLAlchemyError as exc:
            raise StatisticsStoreError(type(exc).__name__) from exc


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL: readers (the /statistik page) do not block the writer; NORMAL is safe with WAL.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    # Deleted unanswered questions are overwritten, not left in free pages of the file.
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()
