"""The report (python -m gateway.statistics.report): Markdown and CSV match what was counted."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from gateway.main import create_app
from gateway.statistics.store import COUNTERS
from tests.unit.test_statistics import FakeEngine, chat, csv_table, run_script, settings

# Each test runs the report as its own process (python -m …): seconds each, so make test only.
pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
LABELS = {
    "Frågor": "questions",
    "Besvarade": "answers",
    "Ej besvarade": "fallbacks",
    "Akut fara": "emergencies",
    "Hjälpte: ja": "feedback_yes",
    "Hjälpte: nej": "feedback_no",
}


@pytest.fixture(scope="module")
def counted(tmp_path_factory):
    """A data directory holding the statistics of the scripted conversations."""
    data = tmp_path_factory.mktemp("report-data")
    engine = FakeEngine()
    app = create_app(settings(data, store_unanswered=True), engine_transport=httpx.MockTransport(engine))
    with TestClient(app) as client:
        expected = run_script(client, engine)
        chat(client, "session-gus-007", text="Ring mig på 070-123 45 67, jag heter Sven Svensson")
        expected[("", "api", "okänd")] += Counter(questions=1, fallbacks=1)
        month = client.app.state.lotsen.statistics.today().strftime("%Y-%m")
    # Leaving the client ran the gateway's shutdown, which writes the last counts.
    return data, expected, month


def report(data: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "LOTSEN_DATA_DIR": str(data)}
    env.pop("LOTSEN_STATISTICS_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "gateway.statistics.report", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def markdown_tables(text: str) -> dict[str, dict[str, dict[str, int]]]:
    """{section heading: {first cell: {counter: value}}} for every table with counter columns."""
    tables: dict = {}
    for section in re.split(r"^## ", text, flags=re.M)[1:]:
        heading, _, body = section.partition("\n")
        lines = [line for line in body.splitlines() if line.startswith("|")]
        if len(lines) < 2:
            continue
        header = [c.strip() for c in lines[0].strip("|").split("|")]
        if header[0] == "":  # the two-column totals table
            tables[heading] = {
                "": {
                    LABELS[c[0]]: int(c[1])
                    for c in ([x.strip() for x in line.strip("|").split("|")] for line in lines[2:])
                    if c[0] in LABELS
                }
            }
            continue
        names = [LABELS.get(h) for h in header[1:]]
        rows = {}
        for line in lines[2:]:
            cells = [c.strip() for c in line.strip("|").split("|")]
            rows[cells[0]] = {n: int(v) for n, v in zip(names, cells[1:], strict=True) if n}
        tables[heading] = rows
    return tables


def test_report_writes_markdown_and_csv_that_match_the_counts(counted, tmp_path):
    data, expected, month = counted
    result = report(data, "--period", month, "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    md, csv_file = tmp_path / f"statistik-{month}.md", tmp_path / f"statistik-{month}.csv"
    assert f"Skrev {md}" in result.stdout
    assert csv_table(csv_file.read_text(encoding="utf-8")) == expected

    tables = markdown_tables(md.read_text(encoding="utf-8"))
    totals = sum(expected.values(), Counter())
    assert tables["Sammanfattning"][""] == {n: totals[n] for n in COUNTERS}
    by_topic = tables["Per ämne"]
    assert by_topic["Gåvor, bjudningar och representation"] == {
        **dict.fromkeys(COUNTERS, 0),
        "questions": 1,
        "answers": 1,
        "feedback_yes": 1,
    }
    assert by_topic["(utan ämne)"]["fallbacks"] == 4 and by_topic["(utan ämne)"]["questions"] == 5
    assert sum(row["questions"] for row in by_topic.values()) == totals["questions"]
    by_channel = tables["Per kanal"]
    assert by_channel["Microsoft Teams"]["questions"] == 2 and by_channel["Chatt-API"]["questions"] == 8
    assert tables["Per målgrupp"]["Chef"] == {
        **dict.fromkeys(COUNTERS, 0),
        "questions": 1,
        "answers": 1,
        "feedback_no": 1,
    }
    # The stored unanswered questions stay out of a report unless asked for.
    assert "inte kunde besvara" not in md.read_text(encoding="utf-8")


def test_report_for_one_channel(counted, tmp_path):
    data, expected, month = counted
    assert report(data, "--period", month, "--channel", "teams", "--out", str(tmp_path)).returncode == 0
    rows = csv_table((tmp_path / f"statistik-{month}-teams.csv").read_text(encoding="utf-8"))
    assert rows == {k: v for k, v in expected.items() if k[1] == "teams"}


def test_report_with_unanswered_questions_has_them_redacted(counted, tmp_path):
    data, _, month = counted
    assert report(data, "--period", month, "--with-unanswered", "--out", str(tmp_path)).returncode == 0
    text = (tmp_path / f"statistik-{month}.md").read_text(encoding="utf-8")
    # Brackets escaped (views.markdown_text): the labels render as text, never as links.
    assert "| Ring mig på \\[telefonnummer\\], jag heter \\[namn\\] | 1 |" in text
    assert "070-123" not in text and "Svensson" not in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--period", "2026-13"], "Perioden känns inte igen"),
        (["--period", "2026-12-01..2026-11-01"], "slut ligger före"),
        (["--period", "2026-11", "--channel", "Teams!"], "Kanalen känns inte igen"),
    ],
)
def test_bad_arguments_get_a_swedish_message_and_no_files(counted, tmp_path, args, message):
    data, _, _ = counted
    result = report(data, *args, "--out", str(tmp_path / "out"))
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "text",
    [
        "[klicka här](https://evil.example)",
        "![bild](https://evil.example/x.png)",
        "<img src=x onerror=alert(1)>",
        "# rubrik",
        "| ny cell |",
        "rad ett\nrad två",
        "`kod` och *fet* och _kursiv_",
        "https://evil.example/autolänk",
    ],
)
def test_user_text_in_the_markdown_report_is_only_text(text):
    from markdown_it import MarkdownIt

    from gateway.statistics.views import markdown_text

    cell = markdown_text(text)
    assert "\n" not in cell
    html = MarkdownIt("commonmark").enable("table").render(f"| fråga |\n|---|\n| {cell} |\n")
    for forbidden in ("<a ", "<img", "<h1", "<code", "<em", "<strong"):
        assert forbidden not in html, (text, html)
    assert html.count("<td>") == 1


@pytest.mark.parametrize("value", ['=HYPERLINK("https://evil.example")', "+46 1", "-2+3", "@SUM(A1)", "\t=1"])
def test_csv_cells_cannot_start_a_formula(value):
    from gateway.statistics.summary import csv_cell

    assert csv_cell(value).startswith("'") and csv_cell(value)[1:] == value
    assert csv_cell("gavor") == "gavor"
