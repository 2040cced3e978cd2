"""make kb-report: the per-topic table, and overdue reviews are flagged."""

from __future__ import annotations

from knowledge import report


def test_report_lists_every_topic_and_passes_today(capsys, kb):
    assert report.main(["2026-11-24"]) == 0
    out = capsys.readouterr().out
    assert all(topic_id in out for topic_id in kb.topics)
    assert "LIX median" in out


def test_report_flags_reviews_older_than_a_year(capsys):
    assert report.main(["2028-01-01"]) == 1
    assert "granskad för" in capsys.readouterr().out


def test_report_flags_an_article_above_the_kb_check_lix_limit(capsys, monkeypatch):
    from knowledge import check

    # One limit for kb-check and kb-report: the report reads the checker's constant.
    assert report.LIX_MAX is check.LIX_MAX
    monkeypatch.setattr(report, "LIX_MAX", 0)
    assert report.main(["2026-11-24"]) == 1
    assert "LIX > 0" in capsys.readouterr().out
