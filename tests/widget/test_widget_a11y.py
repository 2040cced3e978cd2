"""What a screen reader hears, focus after navigation, short screens and forced colors (issue 20 §2, §3),
and a busy widget that says so (issue 19 §5); headless chromium against the real stack."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.conftest import SLOW_MARKER
from tests.widget.browser import GIFT_QUESTION, ask, open_widget, strings
from tests.widget.test_widget import TIMEOUT, focused

pytestmark = pytest.mark.e2e
S = strings()
# WCAG 1.4.10: 1280 × 1024 at 400 % zoom is 320 × 256 CSS px.
ZOOM_400 = {"width": 320, "height": 256}

# Every text added to the hidden live log and the status line, recorded as it changes.
WATCH_LIVE = """() => {
  const root = document.querySelector("#paverkanslotsen").shadowRoot;
  const status = root.querySelector(".plw-status");
  window.__statusSeen = [];
  new MutationObserver(() => window.__statusSeen.push(status.textContent))
    .observe(status, {childList: true, characterData: true, subtree: true});
}"""


def live_log(page):
    return page.get_by_role("log", name=S["announceLabel"])


def announced(page) -> list[str]:
    """The live log's entries as the accessibility tree has them (what a screen reader is given)."""
    snapshot = live_log(page).aria_snapshot()
    return [
        line.split(":", 1)[1].strip().strip('"')
        for line in snapshot.splitlines()
        if line.strip().startswith("- paragraph")
    ]


def test_the_live_log_announces_the_first_part_and_how_many_parts_follow(page, stack, kb):
    page.goto(f"{stack.url}/")
    open_widget(page)
    page.evaluate(WATCH_LIVE)
    # The visible conversation is not itself live: it would read the whole answer out.
    conversation = page.get_by_role("region", name=S["messagesLabel"])
    expect(conversation).to_be_visible()
    assert conversation.get_attribute("aria-live") in (None, "off")
    assert announced(page) == []
    with page.expect_response("**/api/chat") as reply:
        ask(page, GIFT_QUESTION)
    messages = reply.value.json()["messages"]
    expect(page.locator(".plw-log")).to_contain_text(kb.articles["gavor"].summary, timeout=TIMEOUT)
    entries = announced(page)
    assert len(entries) == 1, entries
    rest = len(messages) - 1
    assert rest >= 1
    more = S["onePartMore"] if rest == 1 else S["partsMore"].replace("{n}", str(rest))
    first = messages[0]["text"] or messages[0]["items"][0]["text"]
    assert entries[0].startswith(f"{S['bot']}: {first.split()[0]}") and entries[0].endswith(more), entries
    # Only the first part: nothing of the later parts (sources, contacts) is read out.
    for later in messages[1:]:
        assert later["text"] not in entries[0]
    # The typing indicator was announced once for this turn, and is gone.
    typing = [seen for seen in page.evaluate("() => window.__statusSeen") if seen.startswith(S["typing"])]
    assert len(typing) == 1, typing
    expect(page.locator(".plw-status")).to_have_text("")
    # Each turn is an article with a heading that says who speaks.
    articles = page.locator(".plw-log").get_by_role("article")
    expect(articles).to_have_count(3)  # welcome, the question, the answer
    expect(articles.nth(1).get_by_role("heading", level=3)).to_have_text(S["you"])
    expect(articles.nth(2).get_by_role("heading", level=3)).to_have_text(S["bot"])


def test_a_busy_widget_says_so_and_keeps_the_text(page, stack, kb):
    page.goto(f"{stack.url}/")
    open_widget(page)
    box = page.get_by_role("textbox", name=S["inputLabel"])
    # The slow marker makes the engine's action wait: the first turn is still on its way.
    box.fill(f"{SLOW_MARKER}: vad gäller för gåvor?")
    box.press("Enter")
    expect(page.locator(".plw-status")).to_contain_text(S["typing"])
    box.fill(GIFT_QUESTION)
    box.press("Enter")
    expect(page.locator(".plw-status")).to_have_text(S["busy"])
    assert box.input_value() == GIFT_QUESTION  # not lost, not sent twice
    expect(page.locator(".plw-user")).to_have_count(1)
    page.locator(".plw-bot").nth(1).wait_for(timeout=TIMEOUT)
    box.press("Enter")  # now it goes
    expect(page.locator(".plw-user")).to_have_count(2)
    expect(page.locator(".plw-log")).to_contain_text(kb.articles["gavor"].summary, timeout=TIMEOUT)


def test_an_answer_asked_by_button_gets_focus_at_its_start(page, stack, kb):
    page.goto(f"{stack.url}/")
    open_widget(page)
    page.get_by_role("button", name=S["quickHelpLabel"]).click()
    choice = next(c for c in S["quickHelp"] if c["payload"] == "/gavor")
    page.locator("#plw-quick").get_by_role("button", name=choice["title"]).click()
    expect(page.locator(".plw-log")).to_contain_text(kb.articles["gavor"].summary, timeout=TIMEOUT)
    expect(page.locator(".plw-bot").last.locator(".plw-who")).to_be_focused()
    expect(page.locator(".plw-bot").last).to_be_in_viewport()


def test_after_navigation_the_open_panel_has_focus_at_the_last_answer(page, stack, kb):
    page.goto(f"{stack.url}/")
    open_widget(page)
    ask(page, GIFT_QUESTION)
    expect(page.locator(".plw-log")).to_contain_text(kb.articles["gavor"].summary, timeout=TIMEOUT)
    page.goto(f"{stack.url}/kunskap")
    expect(page.locator(".plw-panel")).to_be_visible()
    now = focused(page)
    assert now["inPanel"] and now["tag"] == "H3" and now["text"] == S["bot"], now
    expect(page.locator(".plw-bot").last.locator(".plw-who")).to_be_focused()
    expect(page.locator(".plw-bot").last).to_be_in_viewport()
    page.keyboard.press("Tab")  # on from the answer's start, still inside the dialog
    assert focused(page)["inPanel"]
    page.keyboard.press("Escape")
    expect(page.locator(".plw-panel")).to_be_hidden()
    assert focused(page)["text"] == S["launcher"]


def test_at_400_percent_zoom_the_dock_is_slim_and_the_panel_leaves_room_for_the_answer(browser, stack, kb):
    context = browser.new_context(viewport=ZOOM_400, device_scale_factor=4, locale="sv-SE")
    try:
        page = context.new_page()
        page.goto(f"{stack.url}/")
        dock = page.locator(".plw-dock").bounding_box()
        print(f"closed dock at 320 × 256: {dock['height']:.0f} px high")
        assert dock["height"] <= 56, dock
        # The page's end can be scrolled out from under the fixed dock.
        page.evaluate("() => window.scrollTo(0, document.documentElement.scrollHeight)")
        last = page.locator("main > *").last.bounding_box()
        assert last["y"] + last["height"] <= dock["y"] + 1, (last, dock)

        open_widget(page)
        ask(page, GIFT_QUESTION)
        expect(page.locator(".plw-log")).to_contain_text(kb.articles["gavor"].summary, timeout=TIMEOUT)
        assert page.evaluate("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth")
        bar = page.locator(".plw-emergency").bounding_box()
        form = page.locator(".plw-form").bounding_box()
        room = form["y"] - (bar["y"] + bar["height"])
        print(f"open panel at 320 × 256: {room:.0f} px for the answer between the 112 line and the text box")
        assert room >= 120
        # The title scrolls away (not sticky); the 112 line and the text box stay.
        header = page.locator(".plw-header").evaluate("h => getComputedStyle(h).position")
        assert header != "sticky"
        page.locator(".plw-panel").evaluate("p => p.scrollTo(0, p.scrollHeight)")
        expect(page.locator(".plw-header")).not_to_be_in_viewport()
        expect(page.get_by_role("link", name=S["emergency"])).to_be_in_viewport(ratio=1)
        expect(page.get_by_role("textbox", name=S["inputLabel"])).to_be_in_viewport(ratio=1)

        # Keyboard: each control of the answer, when focused, is between the 112 line and the text box.
        page.get_by_role("textbox", name=S["inputLabel"]).focus()
        seen = 0
        for _ in range(40):
            page.keyboard.press("Shift+Tab")
            now = focused(page)
            if not now["inPanel"] or now["cls"] in ("plw-close",):
                break
            if now["tag"] in ("A", "BUTTON") and "plw-log" in page.evaluate(
                "() => { let e = document.activeElement; while (e.shadowRoot && e.shadowRoot.activeElement)"
                " e = e.shadowRoot.activeElement; return e.closest('.plw-log') ? 'plw-log' : ''; }"
            ):
                box = page.evaluate(
                    "() => { let e = document.activeElement; while (e.shadowRoot && e.shadowRoot.activeElement)"
                    " e = e.shadowRoot.activeElement; const r = e.getBoundingClientRect(); return {top: r.top, bottom: r.bottom}; }"
                )
                bar = page.locator(".plw-emergency").bounding_box()
                form = page.locator(".plw-form").bounding_box()
                assert box["top"] >= bar["y"] + bar["height"] - 1, (now, box, bar)
                assert box["bottom"] <= form["y"] + 1, (now, box, form)
                seen += 1
        assert seen >= 2
    finally:
        context.close()


def test_the_focus_ring_of_the_conversation_is_drawn_inside_it(page, stack):
    page.goto(f"{stack.url}/")
    open_widget(page)
    log = page.locator(".plw-log")
    page.get_by_role("button", name=S["close"]).focus()
    page.keyboard.press("Tab")  # the 112 line
    page.keyboard.press("Tab")  # the conversation, by keyboard: its ring shows (:focus-visible)
    expect(log).to_be_focused()
    ring = log.evaluate(
        "l => { const s = getComputedStyle(l); return {width: parseFloat(s.outlineWidth),"
        " offset: parseFloat(s.outlineOffset), style: s.outlineStyle}; }"
    )
    assert ring["style"] != "none" and ring["width"] >= 2
    assert ring["width"] + ring["offset"] <= 0, ring  # inside the scroller: nothing to clip it


def test_in_forced_colors_user_and_assistant_differ_by_label_and_border(browser, stack, kb):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, forced_colors="active", locale="sv-SE")
    try:
        page = context.new_page()
        page.goto(f"{stack.url}/")
        open_widget(page)
        ask(page, GIFT_QUESTION)
        expect(page.locator(".plw-log")).to_contain_text(kb.articles["gavor"].summary, timeout=TIMEOUT)
        looks = {}
        for who in ("plw-user", "plw-bot"):
            box = page.locator(f".{who}").last
            label = box.locator(".plw-who")
            expect(label).to_be_visible()
            assert label.bounding_box()["width"] > 10  # a label people see, not only a screen reader
            looks[who] = box.evaluate(
                "b => { const s = getComputedStyle(b); return [s.borderTopStyle, parseFloat(s.borderTopWidth)]; }"
            )
            assert looks[who][1] >= 1 and looks[who][0] != "none", looks
        assert looks["plw-user"][0] != looks["plw-bot"][0], looks
        expect(page.locator(".plw-user .plw-who").last).to_have_text(S["you"])
        expect(page.locator(".plw-bot .plw-who").last).to_have_text(S["bot"])
    finally:
        context.close()
