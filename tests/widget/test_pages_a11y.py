"""The knowledge pages (/kunskap, /kunskap/{id}, the search result page) in headless chromium:
reflow at 320 px and 400 % zoom, the focus ring's contrast, forced colours and print (issue 20 §3).
"""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.widget.browser import NARROW

pytestmark = pytest.mark.e2e
# WCAG 1.4.10: 1280 × 1024 CSS px at 400 % zoom is 320 × 256.
ZOOM_400 = {"width": 320, "height": 256}

# Elements and runs of text whose right edge lies beyond the viewport: what scrolls sideways, or
# is cut off where an ancestor hides the overflow (a long word overflows its text, not its box).
# The widget lives in a shadow root and is not in this list.
OVERFLOWING = """() => {
  const width = document.documentElement.clientWidth;
  const beyond = r => r.width > 0 && r.right > width + 1;
  const out = [...document.body.querySelectorAll("*")].filter(e => beyond(e.getBoundingClientRect()))
    .map(e => e.tagName + "." + e.className + ": " + (e.textContent || "").trim().slice(0, 40));
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    range.selectNodeContents(node);
    if ([...range.getClientRects()].some(beyond)) { out.push("text: " + node.textContent.trim().slice(0, 40)); }
  }
  return out;
}"""


# The element that has focus, with its focus ring and the background colour it is drawn on.
FOCUS_RING = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  let bg = "rgba(0, 0, 0, 0)";
  for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
    const c = getComputedStyle(node).backgroundColor;
    if (c !== "rgba(0, 0, 0, 0)" && c !== "transparent") { bg = c; break; }
  }
  return {tag: el.tagName, text: (el.textContent || el.value || "").trim().slice(0, 30),
          outlineStyle: style.outlineStyle, outlineWidth: parseFloat(style.outlineWidth),
          outlineColor: style.outlineColor, boxShadow: style.boxShadow, background: bg};
}"""


def rgb(css: str) -> tuple[float, float, float]:
    r, g, b = (float(v) for v in re.findall(r"[\d.]+", css)[:3])
    return r, g, b


def luminance(colour: tuple[float, float, float]) -> float:
    def channel(v: float) -> float:
        v /= 255
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in colour)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[float, float, float], b: tuple[float, float, float]) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def ring_colours(ring: dict) -> list[tuple[float, float, float]]:
    """The outline and every box-shadow ring drawn around the element."""
    colours = [rgb(ring["outlineColor"])] if ring["outlineStyle"] != "none" and ring["outlineWidth"] >= 2 else []
    if ring["boxShadow"] != "none":
        colours += [rgb(c) for c in re.findall(r"rgba?\([^)]*\)", ring["boxShadow"])]
    return colours


def serious_violations(page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("viewport", [NARROW, ZOOM_400], ids=["320px", "zoom-400"])
@pytest.mark.parametrize("path", ["/", "/kunskap", "/kunskap/hot"])
def test_pages_reflow_without_sideways_scrolling(browser, stack, path, viewport):
    """WCAG 1.4.10: 320 CSS px wide, and 1280 × 1024 at 400 % zoom (320 × 256)."""
    context = browser.new_context(viewport=viewport, locale="sv-SE")
    try:
        page = context.new_page()
        assert page.goto(f"{stack.url}{path}").status == 200
        assert page.evaluate("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth")
        assert page.evaluate(OVERFLOWING) == []
    finally:
        context.close()


def test_contact_links_are_titles_and_long_addresses_wrap(browser, stack, kb):
    context = browser.new_context(viewport=NARROW, locale="sv-SE")
    try:
        page = context.new_page()
        page.goto(f"{stack.url}/kunskap/hot")
        contacts = page.get_by_role("region", name="Vem kontaktar jag?")
        links = contacts.get_by_role("link")
        texts = links.all_inner_texts()
        assert texts and not [t for t in texts if t.startswith(("http://", "https://"))]
        for channel in kb.channels_for(kb.articles["hot"]):
            if channel.url:
                expect(contacts.get_by_role("link", name=channel.name, exact=True)).to_have_attribute(
                    "href", channel.url
                )
            if channel.email:
                # The address is the link text (it is what people copy); it wraps within the page.
                mail = contacts.get_by_role("link", name=channel.email)
                expect(mail).to_have_attribute("href", f"mailto:{channel.email}")
                box = mail.bounding_box()
                assert box["x"] >= 0 and box["x"] + box["width"] <= NARROW["width"]
    finally:
        context.close()


def test_focus_ring_is_two_tone_and_3_to_1_against_every_background(page, stack):
    """WCAG 1.4.11: the ring shows on the white page, the blue header and the steps box."""
    page.goto(f"{stack.url}/kunskap/hot")
    steps_box = rgb(page.locator(".steps").evaluate("e => getComputedStyle(e).backgroundColor"))
    page.goto(f"{stack.url}/kunskap")
    rings = []
    for _ in range(5):  # skip link, brand, 112 in the header, the search field, "Sök"
        page.keyboard.press("Tab")
        rings.append(page.evaluate(FOCUS_RING))
    assert [r["tag"] for r in rings] == ["A", "A", "A", "INPUT", "BUTTON"], rings
    white = (255.0, 255.0, 255.0)
    for ring in rings:
        colours = ring_colours(ring)
        assert len(set(colours)) >= 2, ring  # two tones
        backgrounds = {rgb(ring["background"]), white, steps_box}
        for background in backgrounds:
            best = max(contrast(c, background) for c in colours)
            assert best >= 3, (ring, background, round(best, 2))


def test_search_result_page_has_count_title_and_focus(page, stack):
    page.goto(f"{stack.url}/kunskap")
    search = page.get_by_role("searchbox", name="Sök i stödmaterialet")
    search.fill("hot")
    search.press("Enter")
    page.wait_for_url("**/kunskap?q=hot")
    results = page.get_by_role("region", name=re.compile("^Sökresultat"))
    count = results.get_by_role("listitem").count()
    assert count >= 1
    expected = f"Sökresultat för ”hot”: {count} {'träff' if count == 1 else 'träffar'}"
    assert page.title().startswith(expected + " – ")
    heading = page.get_by_role("heading", level=2, name=expected)
    expect(heading).to_be_focused()
    expect(heading).to_be_in_viewport()

    page.goto(f"{stack.url}/kunskap?q=qwxzvj")
    assert page.title().startswith("Sökresultat för ”qwxzvj”: inga träffar")
    expect(page.get_by_role("heading", level=2, name=re.compile("inga träffar"))).to_be_focused()


@pytest.mark.parametrize(
    ("path", "selectors"),
    [
        ("/kunskap", [".page-header", ".emergency-banner", ".search button"]),
        ("/kunskap/hot", [".page-header", ".emergency-banner", ".steps"]),
    ],
)
def test_forced_colors_keep_the_boxes_apart(browser, stack, path, selectors):
    """Windows high contrast drops backgrounds: the emergency line, the steps box and the
    search button keep a border of the text colour on every side."""
    context = browser.new_context(forced_colors="active", locale="sv-SE")
    try:
        page = context.new_page()
        page.goto(f"{stack.url}{path}")
        assert page.evaluate("() => matchMedia('(forced-colors: active)').matches")
        for selector in selectors:
            borders = page.locator(selector).first.evaluate(
                "e => ['Top', 'Right', 'Bottom', 'Left'].map(s => [getComputedStyle(e)['border' + s + 'Style'],"
                " parseFloat(getComputedStyle(e)['border' + s + 'Width'])])"
            )
            assert all(style == "solid" and width >= 1 for style, width in borders), (selector, borders)
    finally:
        context.close()


# Each link as printed: its text, what page.css adds after it, and the address itself.
PRINTED_LINKS = """() => [...document.querySelectorAll("main a[href]")]
  .filter(a => a.offsetParent !== null)
  .map(a => ({text: a.innerText, after: getComputedStyle(a, "::after").content,
              address: a.getAttribute("href").replace(/^(mailto|tel):/, "")}))"""


@pytest.mark.parametrize("topic", ["hot", "stodmaterial"])
def test_print_keeps_step_numbers_and_prints_each_address_once(page, stack, kb, topic):
    page.emulate_media(media="print")
    page.goto(f"{stack.url}/kunskap/{topic}")
    steps = page.locator(".checklist > li")
    expect(steps).to_have_count(len(kb.articles[topic].steps))
    assert page.locator(".checklist").evaluate("e => getComputedStyle(e).listStyleType") == "decimal"
    assert set(steps.evaluate_all("els => els.map(e => getComputedStyle(e).display)")) == {"list-item"}
    # The marker is drawn in the padding: it must have room, or the numbers are cut off.
    assert page.locator(".checklist").evaluate("e => parseFloat(getComputedStyle(e).paddingLeft)") >= 16
    expect(page.get_by_role("banner").get_by_role("link", name="112")).to_be_visible()
    links = page.evaluate(PRINTED_LINKS)
    assert len(links) > 3
    twice = [link for link in links if (link["text"] + link["after"]).count(link["address"]) > 1]
    assert twice == []
    printed = [link for link in links if link["address"].startswith("http")]
    assert printed and all(link["address"] in link["after"] for link in printed)


@pytest.mark.parametrize("path", ["/kunskap/hot", "/kunskap?q=hot", "/kunskap/fortroendevalda"])
def test_axe_finds_nothing_serious_on_article_and_search_pages(page, stack, path):
    assert page.goto(f"{stack.url}{path}").status == 200
    assert serious_violations(page) == []


def test_article_page_has_the_section_for_elected_officials(page, stack):
    page.goto(f"{stack.url}/kunskap/fortroendevalda")
    expect(page.get_by_role("heading", level=2, name="För dig som förtroendevald")).to_be_visible()
