"""The manager's checklist: six points ticked off; what is left comes back as topic buttons."""

from __future__ import annotations

from actions.flows import flow_action, flow_data
from tests.engine.builders import Conversation, payloads, texts

ITEMS = ["check_safety", "check_support", "check_documentation", "check_reports", "check_police", "check_followup"]


def test_the_checklist_covers_safety_support_documentation_reports_police_and_follow_up():
    flow = flow_data().flows["manager_checklist"]
    assert list(flow.questions) == ITEMS
    assert "112" in flow.questions["check_safety"].text
    assert "Arbetsmiljöverket" in flow.questions["check_reports"].text
    assert "Försäkringskassan" in flow.questions["check_reports"].text


def test_each_point_is_ticked_off_with_buttons():
    messages, _ = Conversation().say("manager_checklist").run(flow_action("action_ask_check_reports"))
    assert texts(messages)[0].startswith("Steg 4 av 6")
    assert payloads(messages) == [
        f'/manager_checklist{{"check_reports": "{v}"}}' for v in ("klart", "senare", "ej_aktuellt")
    ]


def test_a_typed_done_ticks_the_point_asked():
    import asyncio

    c = Conversation(slots={"requested_slot": "check_support"}).say("affirm", "ja, gjort")
    c.active_loop = "manager_checklist_form"
    events = asyncio.run(flow_action("validate_manager_checklist_form").get_extraction_events(None, c.tracker(), {}))
    assert [(e["name"], e["value"]) for e in events] == [("check_support", "klart")]


def test_the_summary_returns_what_is_left_as_buttons_to_read_more():
    answers = dict.fromkeys(ITEMS, "klart") | {"check_reports": "senare", "check_police": "ej_aktuellt"}
    messages, _ = (
        Conversation(slots=answers).say("manager_checklist").run(flow_action("action_manager_checklist_outcome"))
    )
    flow = flow_data().flows["manager_checklist"]
    summary = texts(messages)[0]
    texts_cfg = flow.extra["checklist"]
    assert texts_cfg["later_heading"] in summary and texts_cfg["all_done"] not in summary
    assert payloads(messages)[0] == "/arbetsskada"
    assert "- Säkerhet" in summary.split(texts_cfg["later_heading"])[0]


def test_all_done_says_so():
    messages, _ = (
        Conversation(slots=dict.fromkeys(ITEMS, "klart"))
        .say("manager_checklist")
        .run(flow_action("action_manager_checklist_outcome"))
    )
    assert flow_data().flows["manager_checklist"].extra["checklist"]["all_done"] in texts(messages)[0]
