"""The widget in headless chromium against the real stack (trained model, Rasa, actions, gateway)."""

from __future__ import annotations

import json

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.widget.browser import DESKTOP, GIFT_QUESTION, NARROW, ZOOM_200, ask, open_widget, strings

pytestmark = pytest.mark.e2e
S = strings()
TIMEOUT = 30_000  # ms; a wait, not a timing assertion: the first answer may come from a cold engine

# The element that really has focus, looked up through the widget's shadow root.
DEEP_FOCUS = """() => {
  let el = document.activeElement;
  while (el && el.shadowRoot && el.shadowRoot.activeElement) { el = el.shadowRoot.activeElement; }
  if (!el || el === document.body) { return {tag: "BODY", inPanel: false, text: "", cls: ""}; }
  return {tag: el.tagName, id: el.id, cls: el.className, text: (el.textContent || "").trim(),
          inPanel: !!(el.closest && el.closest(".plw-panel"))};
}"""


def focused(page) -> dict:
    return page.evaluate(DEEP_FOCUS)


def stored(page, stack) -> dict:
    raw = page.evaluate("key => sessionStorage.getItem(key)", f"paverkanslotsen:{stack.url}")
    return json.loads(raw) if raw else {}


def bot_texts(page) -> list[str]:
    return page.locator(".plw-bot").all_inner_texts()


def serious_violations(page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


# Every text the status line shows, recorded as it changes (the typing indicator is brief).
WATCH_STATUS = """() => {
  const status = document.querySelector("#paverkanslotsen").shadowRoot.querySelector(".plw-status");
  window.__statusSeen = [];
  new MutationObserver(() => window.__statusSeen.push(status.textContent))
    .observe(status, {childList: true, characterData: true, subtree: true});
}"""


def test_gift_question_gets_the_answer_and_a_source_link(page, stack, kb):
    page.goto(f"{stack.url}/")
    # Closed, the widget still shows the 112 line beside its button.
    expect(page.get_by_role("link", name=S["emergency"])).to_be_visible()
    open_widget(page)
    # New answers are announced through the live log (tests/widget/test_widget_a11y.py).
    expect(page.get_by_role("log", name=S["announceLabel"])).to_be_attached()
    page.evaluate(WATCH_STATUS)
    expect(page.get_by_role("dialog", name=S["title"])).to_be_visible()
    emergency = page.get_by_role("link", name=S["emergency"])
    expect(emergency).to_be_visible()
    assert emergency.get_attribute("href") == "tel:112"
    ask(page, GIFT_QUESTION)
    article = kb.articles["gavor"]
    expect(page.locator(".plw-log")).to_contain_text(article.summary, timeout=TIMEOUT)
    assert any(seen.startswith(S["typing"]) for seen in page.evaluate("() => window.__statusSeen"))
    expect(page.locator(".plw-status")).to_have_text("")
    hrefs = page.locator(".plw-log a[href^='https://']").evaluate_all("links => links.map(a => a.href)")
    assert {s.url for s in article.sources} & set(hrefs), hrefs
    source = page.locator(f".plw-log a[href='{article.sources[0].url}']").first
    assert source.get_attribute("target") == "_blank" and "noopener" in source.get_attribute("rel")
    # The first lines say what to do now: the answer's start is in view, not its sources.
    expect(page.locator(".plw-bot", has_text=article.summary)).to_be_in_viewport()


def test_whole_flow_by_keyboard_only(page, stack, kb):
    page.goto(f"{stack.url}/")
    for _ in range(40):  # Tab from the top of the page to the launcher
        page.keyboard.press("Tab")
        if focused(page)["text"] == S["launcher"]:
            break
    assert focused(page)["text"] == S["launcher"]
    page.keyboard.press("Enter")
    assert focused(page)["id"] == "plw-input"

    page.keyboard.type("första raden")
    page.keyboard.press("Shift+Enter")
    assert "\n" in page.locator("#plw-input").input_value()
    page.keyboard.press("Control+A")
    page.keyboard.press("Backspace")
    page.keyboard.type(GIFT_QUESTION)
    page.keyboard.press("Enter")
    expect(page.locator(".plw-log")).to_contain_text(kb.articles["gavor"].summary, timeout=TIMEOUT)
    assert page.locator("#plw-input").input_value() == ""

    # Focus stays in the open panel: from the last element Tab goes to the first and back.
    page.keyboard.press("Tab")
    assert focused(page)["text"] == S["send"]
    page.keyboard.press("Tab")
    assert focused(page)["text"] == S["close"]
    page.keyboard.press("Shift+Tab")
    assert focused(page)["text"] == S["send"]
    for _ in range(80):  # one whole round, every stop inside the panel
        page.keyboard.press("Tab")
        assert focused(page)["inPanel"], focused(page)
        if focused(page)["text"] == S["send"]:
            break
    assert focused(page)["text"] == S["send"]

    # A button the answer offered, reached and pressed by keyboard: the related topics sit with
    # the sources, behind their control, which opens with Enter.
    for _ in range(60):
        page.keyboard.press("Tab")
        if focused(page)["text"] == S["sourcesTitle"]:
            break
    assert focused(page)["text"] == S["sourcesTitle"]
    page.keyboard.press("Enter")
    related = kb.articles["jav"].title
    for _ in range(60):
        page.keyboard.press("Tab")
        if focused(page)["text"] == related:
            break
    assert focused(page)["text"] == related
    page.keyboard.press("Enter")
    expect(page.locator(".plw-log")).to_contain_text(kb.articles["jav"].summary, timeout=TIMEOUT)

    page.keyboard.press("Escape")
    expect(page.locator(".plw-panel")).to_be_hidden()
    assert focused(page)["text"] == S["launcher"]


def test_html_in_a_message_stays_text(page, stack):
    payload = '<img src=x onerror="window.__xss=1;alert(1)">'
    page.goto(f"{stack.url}/")
    open_widget(page)
    ask(page, payload)
    expect(page.locator(".plw-user .plw-text").last).to_have_text(payload)
    # Stored conversations are rendered the same careful way: seed one with hostile content.
    hostile = {
        "v": 1,
        "session_id": None,
        "open": True,
        "items": [
            {
                "from": "bot",
                "text": payload + " <script>alert(2)</script>",
                "links": [{"title": "klicka", "url": "javascript:alert(3)"}],
                "buttons": [{"title": "<b>fet</b>", "payload": "/gavor"}],
            },
        ],
    }
    page.evaluate("([k, v]) => sessionStorage.setItem(k, v)", [f"paverkanslotsen:{stack.url}", json.dumps(hostile)])
    page.reload()
    expect(page.locator(".plw-bot", has_text="<script>alert(2)</script>")).to_be_visible()
    page.wait_for_timeout(500)  # give a broken image's onerror time to fire, were there one
    assert page.dialogs == []
    assert page.evaluate("() => window.__xss") is None
    assert page.locator(".plw-log img, .plw-log script, .plw-log b").count() == 0
    assert page.locator(".plw-log a[href^='javascript']").count() == 0
    expect(page.get_by_role("button", name="<b>fet</b>")).to_be_visible()


def test_embedded_on_another_origin_with_one_script_tag(page, intranet):
    page.goto(f"{intranet.url}/intranat.html")
    host = page.locator("#paverkanslotsen")
    assert host.get_attribute("lang") == "sv" and page.locator("html").get_attribute("lang") == "en"
    # The host page styles `button` and hides `.plw-panel`: the shadow root keeps both out.
    launcher = page.get_by_role("button", name=S["launcher"])
    assert launcher.evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(11, 79, 138)"
    assert launcher.bounding_box()["x"] < DESKTOP["width"] / 2  # data-position="left"
    open_widget(page)
    expect(page.get_by_role("dialog", name="Stöd vid påverkan")).to_be_visible()  # data-title
    with page.expect_response("**/api/chat") as reply:
        ask(page, GIFT_QUESTION)
    assert reply.value.status == 200
    assert reply.value.headers["access-control-allow-origin"] == intranet.url
    expect(page.locator(".plw-log")).not_to_contain_text(S["networkError"])
    assert page.locator(".plw-log a[href^='https://']").count() > 0


def test_an_origin_not_allowed_gets_no_answer(page, foreign_site):
    page.goto(f"{foreign_site.url}/intranat.html")
    open_widget(page)
    ask(page, GIFT_QUESTION)
    expect(page.locator(".plw-error")).to_contain_text(S["networkError"])
    expect(page.get_by_role("button", name=S["retry"])).to_be_visible()


def test_network_error_says_so_in_swedish_and_retry_sends_again(page, context, stack, kb):
    page.goto(f"{stack.url}/")
    open_widget(page)
    context.set_offline(True)
    ask(page, GIFT_QUESTION)
    expect(page.locator(".plw-error")).to_contain_text(S["networkError"])
    context.set_offline(False)
    page.get_by_role("button", name=S["retry"]).click()
    expect(page.locator(".plw-log")).to_contain_text(kb.articles["gavor"].summary, timeout=TIMEOUT)
    expect(page.locator(".plw-error")).to_have_count(0)
    assert page.locator(".plw-user").count() == 1  # the question was sent again, not repeated


def test_with_the_engine_stopped_quick_help_and_the_emergency_answer_still_work(page, stack, kb):
    page.goto(f"{stack.url}/")
    open_widget(page)
    stack.stop_one("rasa")
    try:
        page.get_by_role("button", name=S["quickHelpLabel"]).click()
        first = S["quickHelp"][0]
        assert first["payload"] == "/akut_fara"
        before = page.locator(".plw-bot").count()
        page.locator("#plw-quick").get_by_role("button", name=first["title"]).click()
        page.locator(".plw-bot").nth(before).wait_for(timeout=TIMEOUT)
        expect(page.locator(".plw-log")).to_contain_text(kb.articles["akut_fara"].summary)

        before = page.locator(".plw-bot").count()
        ask(page, "någon hotar mig med kniv just nu")
        expect(page.locator(".plw-bot").nth(before)).to_contain_text(kb.phrases["emergency_line"])
        expect(page.get_by_role("link", name=S["emergency"])).to_be_in_viewport()
    finally:
        stack.restart("rasa")


def test_emergency_answer_shows_at_once_with_the_engine_frozen_and_its_answer_follows(page, stack, kb):
    import os
    import signal

    page.goto(f"{stack.url}/")
    open_widget(page)
    before = page.locator(".plw-bot").count()
    for name in stack.engine_names:  # hung, as the gateway sees it
        os.killpg(stack.processes[name].pid, signal.SIGSTOP)
    try:
        ask(page, "Jag blev hotad med kniv igår, hur gör jag en polisanmälan?")
        expect(page.locator(".plw-bot").nth(before)).to_contain_text(kb.phrases["emergency_line"])
        expect(page.locator(".plw-status")).to_have_text(S["lateAnswer"])
        expect(page.locator(".plw-log")).not_to_contain_text(kb.articles["polisanmalan"].summary)
        # The person may go on writing while the engine's answer is on its way.
        expect(page.get_by_role("textbox", name=S["inputLabel"])).to_be_editable()
    finally:
        for name in stack.engine_names:
            os.killpg(stack.processes[name].pid, signal.SIGCONT)
    expect(page.locator(".plw-log")).to_contain_text(kb.articles["polisanmalan"].summary, timeout=TIMEOUT)
    expect(page.locator(".plw-status")).to_have_text("")
    # The 112 answer stays first, the late answer below it; both are kept for reloads.
    texts = bot_texts(page)
    assert next(i for i, t in enumerate(texts) if kb.phrases["emergency_line"] in t) < next(
        i for i, t in enumerate(texts) if kb.articles["polisanmalan"].summary in t
    )
    assert any(
        kb.articles["polisanmalan"].summary in json.dumps(item, ensure_ascii=False)
        for item in stored(page, stack)["items"]
        if item["from"] == "bot"
    )


def test_conversation_survives_reloads_and_clearing_forgets_it(page, stack, kb):
    page.goto(f"{stack.url}/")
    open_widget(page)
    ask(page, GIFT_QUESTION)
    expect(page.locator(".plw-log")).to_contain_text(kb.articles["gavor"].summary, timeout=TIMEOUT)
    shown = bot_texts(page)
    session = stored(page, stack)["session_id"]
    assert session

    page.reload()
    expect(page.locator(".plw-panel")).to_be_visible()
    assert bot_texts(page) == shown
    expect(page.locator(".plw-user .plw-text")).to_have_text([GIFT_QUESTION])
    # Restored open, the dialog takes focus (it covers the page): at the start of the last answer.
    assert focused(page)["tag"] == "H3" and focused(page)["text"] == S["bot"]
    expect(page.locator(".plw-bot").last).to_be_in_viewport()

    with page.expect_response("**/api/session/clear") as cleared:
        page.get_by_role("button", name=S["clear"]).click()
    assert cleared.value.status == 204
    assert cleared.value.request.post_data_json == {"session_id": session}
    expect(page.locator(".plw-user")).to_have_count(0)
    expect(page.locator(".plw-status")).to_have_text(S["cleared"])
    assert focused(page)["id"] == "plw-input"
    assert stored(page, stack)["items"] == [] and stored(page, stack)["session_id"] is None
    page.reload()
    expect(page.locator(".plw-user")).to_have_count(0)
    ask(page, GIFT_QUESTION)
    expect(page.locator(".plw-log")).to_contain_text(kb.articles["gavor"].summary, timeout=TIMEOUT)
    assert stored(page, stack)["session_id"] not in (None, session)


@pytest.mark.parametrize(("viewport", "scale"), [(NARROW, 1), (ZOOM_200, 2)], ids=["320px", "zoom-200"])
def test_no_horizontal_scrolling_at_320px_and_200_percent_zoom(browser, stack, kb, viewport, scale):
    context = browser.new_context(viewport=viewport, device_scale_factor=scale, locale="sv-SE")
    try:
        page = context.new_page()
        page.goto(f"{stack.url}/")
        expect(page.get_by_role("button", name=S["launcher"])).to_be_in_viewport(ratio=1)
        expect(page.get_by_role("link", name=S["emergency"])).to_be_in_viewport(ratio=1)
        open_widget(page)
        ask(page, GIFT_QUESTION)
        expect(page.locator(".plw-log")).to_contain_text(kb.articles["gavor"].summary, timeout=TIMEOUT)
        assert page.evaluate("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth")
        overflowing = page.locator(".plw-panel, .plw-panel *").evaluate_all(
            "els => els.filter(e => !e.classList.contains('plw-sr') && e.scrollWidth > e.clientWidth + 1"
            " && getComputedStyle(e).overflowX !== 'visible')"
            ".map(e => e.className)"
        )
        assert overflowing == []
        box = page.locator(".plw-panel").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]
        for part in (
            page.get_by_role("link", name=S["emergency"]),
            page.locator("#plw-input"),
            page.get_by_role("button", name=S["send"]),
        ):
            expect(part).to_be_in_viewport(ratio=1)
    finally:
        context.close()


@pytest.mark.parametrize(("motion", "animation"), [("reduce", "none"), ("no-preference", "plw-in")])
def test_prefers_reduced_motion_turns_animation_off(browser, stack, motion, animation):
    context = browser.new_context(viewport=DESKTOP, reduced_motion=motion)
    try:
        page = context.new_page()
        page.goto(f"{stack.url}/")
        open_widget(page)
        assert page.locator(".plw-panel").evaluate("p => getComputedStyle(p).animationName") == animation
    finally:
        context.close()


def animations_done(page) -> None:
    """axe measures contrast as rendered: wait until the panel's fade-in has finished, or a
    half-transparent panel reads as low contrast on a slow machine."""
    page.locator(".plw-panel").evaluate(
        "p => Promise.all(p.getAnimations({subtree: true})"
        ".filter(a => a.effect && a.effect.getTiming().iterations !== Infinity)"
        ".map(a => a.finished))"
    )


def test_axe_finds_nothing_serious_on_the_demo_page_with_the_panel_open(page, stack, kb):
    page.goto(f"{stack.url}/")
    open_widget(page)
    ask(page, GIFT_QUESTION)
    expect(page.locator(".plw-log")).to_contain_text(kb.articles["gavor"].summary, timeout=TIMEOUT)
    animations_done(page)
    assert serious_violations(page) == []


@pytest.mark.parametrize("path", ["/kunskap", "/kunskap/gavor"])
def test_axe_finds_nothing_serious_on_the_knowledge_pages(page, stack, path):
    response = page.goto(f"{stack.url}{path}")
    assert response.status == 200
    assert serious_violations(page) == []
    open_widget(page)
    animations_done(page)
    assert serious_violations(page) == []
