"""Write the statistics of a period as a Markdown report and a CSV file to send on.

    python -m gateway.statistics.report --period 2026-11 [--channel teams] [--out DIR]
    make report PERIOD=2026-11

Reads the same database as the gateway (LOTSEN_STATISTICS_URL or LOTSEN_DATA_DIR). The
stored unanswered questions are left out unless --with-unanswered is given: the redaction
is best effort, and a report is meant to travel.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from gateway.settings import get_settings
from gateway.statistics import views
from gateway.statistics.period import MAX_DAYS, PeriodError, parse_period
from gateway.statistics.recorder import channel_name
from gateway.statistics.store import COUNTERS, UNKNOWN, StatisticsStore, StatisticsStoreError
from gateway.statistics.summary import Labels, csv_text, load_strings, summarize
from knowledge.loader import load


def write_report(
    store: StatisticsStore,
    kb,
    period_text: str,
    out_dir: Path,
    channel: str | None = None,
    with_unanswered: bool = False,
    today: str | None = None,
    retention_days: int = 30,
) -> tuple[Path, Path]:
    """Write statistik-<period>[-<channel>].md and .csv into out_dir; returns both paths."""
    strings = load_strings()
    period = parse_period(period_text)
    labels = Labels(strings, kb)
    rows = store.rows(period.start, period.end, channel)
    summary = summarize(rows, period, channel)
    out_dir.mkdir(parents=True, exist_ok=True)
    csv_path = out_dir / views.csv_filename(period.label, channel)
    md_path = csv_path.with_suffix(".md")
    csv_path.write_text(csv_text(rows, labels), encoding="utf-8", newline="")
    markdown = (
        views.templates()
        .get_template("report.md")
        .render(
            s=strings,
            organisation=kb.organisation.name,
            summary=summary,
            labels=labels,
            counters=COUNTERS,
            tables=views.tables(summary, labels),
            csv_name=csv_path.name,
            today=today or datetime.now().date().isoformat(),
            unanswered=store.unanswered(period.start, period.end, channel) if with_unanswered else None,
            retention_days=retention_days,
        )
    )
    md_path.write_text(markdown, encoding="utf-8")
    return md_path, csv_path


def main(argv: list[str] | None = None) -> int:
    strings = load_strings()
    parser = argparse.ArgumentParser(description="Skriv statistikrapporten för en period (Markdown och CSV).")
    parser.add_argument("--period", required=True, help=strings["period_hint"])
    parser.add_argument("--channel", default="", help="bara en kanal, till exempel widget eller teams")
    parser.add_argument("--out", type=Path, default=None, help="mapp för rapporten (standard: <datakatalog>/rapporter)")
    parser.add_argument(
        "--with-unanswered",
        action="store_true",
        help="ta med sparade obesvarade frågor (utan personuppgifter, men granska före spridning)",
    )
    args = parser.parse_args(argv)
    settings = get_settings()
    channel = args.channel.strip() or None
    if channel and channel_name(channel) == UNKNOWN:
        print(strings["errors"]["channel"], file=sys.stderr)
        return 2
    try:
        parse_period(args.period)
    except PeriodError as exc:
        print(strings["errors"][exc.key].format(days=MAX_DAYS), file=sys.stderr)
        return 2
    kb = load(organisation_file=settings.organisation_file)
    store = StatisticsStore(settings.statistics_db_url)
    try:
        today = datetime.now(ZoneInfo(settings.statistics_timezone)).date().isoformat()
        md, csv = write_report(
            store,
            kb,
            args.period,
            args.out or settings.data_dir / "rapporter",
            channel,
            args.with_unanswered,
            today,
            settings.unanswered_retention_days,
        )
    except StatisticsStoreError:
        print(strings["errors"]["database"], file=sys.stderr)
        return 1
    finally:
        store.close()
    print(strings["report_written_files"].format(md=md, csv=csv))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
