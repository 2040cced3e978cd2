"""bot.serve: a tracker store that cannot be loaded stops the start instead of Rasa's silent
fallback to memory; the switches for the lean start and stock Rasa."""

from __future__ import annotations

from bot import serve


def test_a_tracker_store_that_cannot_load_stops_the_start(tmp_path):
    good, bad = tmp_path / "good.yml", tmp_path / "bad.yml"
    good.write_text("tracker_store:\n  type: bot.tracker_store.RedactingSQLTrackerStore\n")
    bad.write_text("tracker_store:\n  type: bot.no_such_module.Store\n")
    assert serve.check_tracker_store(["run", "--endpoints", str(good)]) is None
    problem = serve.check_tracker_store(["run", "--endpoints", str(bad)])
    assert problem and "bot.no_such_module.Store" in problem
    assert serve.main(["run", "--endpoints", str(bad)]) == 2


def test_lean_switch_reads_lotsen_engine_lean():
    assert serve.lean_wanted({}) is True
    assert serve.lean_wanted({"LOTSEN_ENGINE_LEAN": "1"}) is True
    for off in ("0", "false", "no", "off", " OFF "):
        assert serve.lean_wanted({"LOTSEN_ENGINE_LEAN": off}) is False
    assert serve.lean_wanted({"LOTSEN_STOCK_RASA": "1"}) is False  # stock Rasa: no lean start either
