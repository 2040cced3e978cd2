"""The issue 18 tools in the widget, keyboard only, in real Chromium against the real stack:
the record link under a threat answer, a dilemma answered, the risk level to its level; and
axe on the printable pages."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from knowledge import render
from knowledge.dilemmas import load_dilemmas
from knowledge.flows import load_flows
from tests.widget.browser import strings
from tests.widget.test_incident_record import serious_violations
from tests.widget.test_widget import TIMEOUT, animations_done, focused

pytestmark = pytest.mark.e2e
S = strings()
THREAT = "En klient skrev i ett mejl att han vet var jag bor"
# The risk level's printable summary as the chat links it (a "medel" path).
HOTNIVA = "/kunskap/hotniva?risk_acute=nej&risk_concrete=dolt&risk_repeated=forsta&risk_private=nej&risk_capacity=nej"


def open_by_keyboard(page, stack) -> None:
    page.goto(f"{stack.url}/")
    for _ in range(40):
        page.keyboard.press("Tab")
        if focused(page)["text"] == S["launcher"]:
            break
    page.keyboard.press("Enter")
    assert focused(page)["id"] == "plw-input"


def type_question(page, text: str) -> None:
    """Type and send; wait until the answer has arrived."""
    before = page.locator(".plw-bot").count()
    page.keyboard.type(text)
    page.keyboard.press("Enter")
    page.locator(".plw-bot").nth(before).wait_for(timeout=TIMEOUT)


def press_button(page, title: str, expected: str) -> None:
    """Tab (inside the panel) to the newest button called `title` and press Enter: from the
    text box backwards, as the newest message is the last before it."""
    for _ in range(120):
        if focused(page).get("id") == "plw-input":
            break
        page.keyboard.press("Tab")
    for _ in range(120):
        page.keyboard.press("Shift+Tab")
        if focused(page)["text"] == title:
            break
    assert focused(page)["text"] == title
    page.keyboard.press("Enter")
    expect(page.locator(".plw-log")).to_contain_text(expected, timeout=TIMEOUT)


def warm_engine(stack, text: str) -> None:
    """A cold engine may be slower than the gateway waits, which then answers from the
    knowledge base (search suggestions, no article): ask once through the API first."""
    import httpx

    for _ in range(5):
        r = httpx.post(f"{stack.url}/api/chat", json={"text": text}, timeout=30)
        if r.status_code == 200 and r.json()["engine"] == "rasa":
            return


def test_a_threat_answer_links_to_the_record_and_a_dilemma_is_practised(page, stack):
    record = render.incident_record()
    warm_engine(stack, THREAT)
    open_by_keyboard(page, stack)
    type_question(page, THREAT)
    link = page.locator(".plw-log a", has_text=record.texts["link_title"]).last
    expect(link).to_be_visible(timeout=TIMEOUT)
    assert link.get_attribute("href").endswith(record.texts["url"])

    page.locator("#plw-input").focus()
    d = load_dilemmas()
    case = d.cases[0]
    type_question(page, "Jag vill öva på ett dilemma")
    expect(page.locator(".plw-log")).to_contain_text(case.title, timeout=TIMEOUT)
    right = case.right_choices[0]
    press_button(page, right.text, right.why)
    animations_done(page)
    assert serious_violations(page) == []


def test_the_risk_level_to_its_level_by_keyboard(page, stack):
    flow = load_flows().flows["risk_level"]
    open_by_keyboard(page, stack)
    type_question(page, "Som chef undrar jag hur allvarligt hotet mot min medarbetare är")
    q = flow.questions
    if not page.locator(".plw-log", has_text=q["risk_acute"].text).count():
        press_button(page, flow.offer_buttons[0].title, q["risk_acute"].text)
    expect(page.locator(".plw-log")).to_contain_text(q["risk_acute"].text, timeout=TIMEOUT)
    steps = [
        ("risk_acute", "nej", "risk_concrete"),
        ("risk_concrete", "dolt", "risk_repeated"),
        ("risk_repeated", "forsta", "risk_private"),
        ("risk_private", "nej", "risk_capacity"),
    ]
    for slot, value, following in steps:
        press_button(page, q[slot].options[value].title, q[following].text)
    press_button(page, q["risk_capacity"].options["nej"].title, flow.extra["verdicts"]["medel"]["title"])


def test_the_process_review_in_the_chat_by_keyboard(page, stack):
    flow = load_flows().flows["process_review"]
    q = flow.questions
    open_by_keyboard(page, stack)
    type_question(page, "Jag vill granska en process")
    if not page.locator(".plw-log", has_text=q["review_process"].text).count():
        press_button(page, flow.offer_buttons[0].title, q["review_process"].text)
    expect(page.locator(".plw-log")).to_contain_text(q["review_process"].text, timeout=TIMEOUT)
    slots = list(q)
    chosen = {"review_process": "utbetalning", **dict.fromkeys(slots[1:], "nej"), "review_single_decider": "ja"}
    for slot, following in zip(slots, slots[1:], strict=False):
        press_button(page, q[slot].options[chosen[slot]].title, q[following].text)
    press_button(page, q[slots[-1]].options["nej"].title, flow.extra["ranking"]["heading"])
    expect(page.locator(".plw-log")).to_contain_text(q["review_single_decider"].risk, timeout=TIMEOUT)
    link = page.locator(".plw-log a", has_text=flow.extra["print_page"]["title"]).last
    assert "review_single_decider=ja" in (link.get_attribute("href") or "")
    animations_done(page)
    assert serious_violations(page) == []


@pytest.mark.parametrize("path", ["/kunskap/dokumentera", "/kunskap/ova", "/kunskap/granska", HOTNIVA])
def test_axe_finds_nothing_serious_on_the_printable_pages(page, stack, path):
    assert page.goto(f"{stack.url}{path}").status == 200
    assert serious_violations(page) == []


def test_the_process_review_by_keyboard_ranks_and_downloads_markdown_and_csv(browser, stack):
    from pathlib import Path

    from knowledge.process_review import load_process_review

    review = load_process_review()
    context = browser.new_context(locale="sv-SE", accept_downloads=True)
    try:
        page = context.new_page()
        page.goto(f"{stack.url}/kunskap/granska")
        first, second = review.questions[0], review.questions[4]
        for _ in range(60):  # into the first question's answers: "Ja" first
            page.keyboard.press("Tab")
            if page.evaluate("() => document.activeElement.name") == f"review-{first['id']}":
                break
        page.keyboard.press("Space")
        for _ in range(10):  # on to the fifth question, answered "Delvis"
            page.keyboard.press("Tab")
            if page.evaluate("() => document.activeElement.name") == f"review-{second['id']}":
                break
        page.keyboard.press("ArrowRight")
        assert page.locator(f"input[name=review-{second['id']}]:checked").get_attribute("value") == "delvis"
        for _ in range(40):
            page.keyboard.press("Tab")
            if page.evaluate("() => document.activeElement.textContent") == review.data["buttons"]["build"]:
                break
        page.keyboard.press("Enter")
        rows = page.locator(".review-result tbody tr")
        expect(rows).to_have_count(2)
        assert review.data["questions"][0]["risk"] in rows.nth(0).inner_text()
        for kind, extension in (("markdown", "md"), ("csv", "csv")):
            with page.expect_download() as info:
                page.locator(f"[data-action={kind}]").focus()
                page.keyboard.press("Enter")
            text = Path(info.value.path()).read_text(encoding="utf-8-sig")
            assert info.value.suggested_filename.endswith(f".{extension}")
            assert text.index(first["risk"]) < text.index(second["risk"])
        assert serious_violations(page) == []
    finally:
        context.close()
