"""Structured answers on a phone (issue 20 §1): an emergency card first, lead and steps at once,
contacts, sources and feedback behind one control each; the first answer fits one screen."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from playwright.sync_api import expect

from tests.widget.browser import GIFT_QUESTION, PHONE, ask, open_widget, strings
from tests.widget.test_widget import TIMEOUT, serious_violations

pytestmark = pytest.mark.e2e
S = strings()
NLU = Path(__file__).resolve().parents[2] / "nlu_data"
DANGER_QUESTION = "en man står i receptionen och skriker att han ska döda mig"


def topic_questions(kb) -> list[tuple[str, str]]:
    """Every topic with an article, each with its first NLU example. All of them, not the ones
    with most examples: which ten those were changed whenever training lines were added."""
    examples: dict[str, list[str]] = {}
    for path in sorted(NLU.glob("*.yml")):
        for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu", []):
            intent = block.get("intent")
            if intent in kb.articles:
                lines = [
                    line[2:].strip() for line in str(block.get("examples", "")).splitlines() if line.startswith("- ")
                ]
                examples.setdefault(intent, []).extend(lines)
    return [(topic, lines[0]) for topic, lines in sorted(examples.items())]


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE, locale="sv-SE", reduced_motion="reduce")
    yield context.new_page()
    context.close()


def test_a_danger_message_gets_the_emergency_card_and_nothing_else(phone, stack, kb):
    phone.goto(f"{stack.url}/")
    open_widget(phone)
    ask(phone, DANGER_QUESTION)
    answer = phone.locator(".plw-bot").last
    card = answer.locator(".plw-card")
    expect(card).to_be_visible()
    call = card.get_by_role("link", name=S["callEmergency"])
    assert call.get_attribute("href") == "tel:112"
    box, inner = call.bounding_box(), answer.locator(".plw-card").bounding_box()
    assert box["height"] >= 44 and box["width"] >= inner["width"] - 1, (box, inner)
    expect(card.locator("ol > li")).to_have_count(min(3, card.locator("ol > li").count()))
    assert card.locator("ol > li").count() <= 3
    # Nothing else of the answer (nor the engine's late answer) until the person asks for it.
    choices = answer.get_by_role("group", name=S["emergencyChoices"])
    expect(choices.get_by_role("button")).to_have_text([S["showMore"], S["safeNow"]])
    visible = answer.locator(".plw-part, .plw-disclosure").evaluate_all(
        "parts => parts.filter(p => p.getClientRects().length > 0).length"
    )
    assert visible == 0
    height = answer.bounding_box()["height"]
    print(f"emergency card at 375 × 667: {height:.0f} px")
    assert height <= PHONE["height"]
    choices.get_by_role("button", name=S["safeNow"]).click()
    expect(answer.locator(".plw-rest")).to_be_visible()
    expect(answer.locator(".plw-rest")).to_be_focused()
    expect(choices).to_be_hidden()
    # Whom to contact, as links that call or write: 112 among them.
    answer.get_by_role("button", name=S["contactsTitle"]).click()
    hrefs = answer.locator(".plw-contacts a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert "tel:112" in hrefs and all(h.startswith(("tel:", "mailto:", "https:")) for h in hrefs), hrefs


def test_the_gift_answer_is_lead_and_steps_with_the_rest_behind_controls(phone, stack, kb):
    phone.goto(f"{stack.url}/")
    open_widget(phone)
    ask(phone, GIFT_QUESTION)
    answer = phone.locator(".plw-bot").last
    expect(answer).to_contain_text(kb.articles["gavor"].summary, timeout=TIMEOUT)
    expect(answer.locator("ol.plw-steps > li").first).to_be_visible()
    for key in ("contactsTitle", "sourcesTitle"):
        toggle = answer.get_by_role("button", name=S[key])
        expect(toggle).to_have_attribute("aria-expanded", "false")
        part = answer.locator(f"#{toggle.get_attribute('aria-controls')}")
        expect(part).to_be_hidden()
        toggle.click()
        expect(toggle).to_have_attribute("aria-expanded", "true")
        expect(part).to_be_visible()
        links = part.locator("ul > li a")
        assert links.count() >= 1
        for text in links.all_inner_texts():
            assert "://" not in text and not text.startswith("www."), text  # titles, never raw URLs
    contacts = answer.locator(
        f"#{answer.get_by_role('button', name=S['contactsTitle']).get_attribute('aria-controls')}"
    )
    hrefs = contacts.locator("a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert hrefs and all(h.startswith(("tel:", "mailto:", "https:")) for h in hrefs), hrefs
    assert any(h.startswith(("tel:", "mailto:")) for h in hrefs), hrefs
    # One contact line links one target once: an e-mail-only contact's name is not a second
    # link to the address shown beside it.
    per_line = contacts.locator("li").evaluate_all(
        "lines => lines.map(li => [...li.querySelectorAll('a')].map(a => a.getAttribute('href')))"
    )
    assert any(any(h.startswith("mailto:") for h in line) for line in per_line), per_line
    assert all(len(line) == len(set(line)) for line in per_line), per_line
    # Every group of answer buttons has a name.
    for group in answer.locator(".plw-buttons").all():
        if group.is_visible():
            assert group.get_attribute("role") == "group"
            assert group.get_attribute("aria-label") or group.get_attribute("aria-labelledby")
    assert serious_violations(phone) == []


def test_the_first_answer_fits_one_phone_screen_for_every_topic(phone, stack, kb):
    heights = {}
    questions = topic_questions(kb)
    for topic, question in questions:
        phone.goto(f"{stack.url}/")
        phone.evaluate("() => sessionStorage.clear()")  # a new conversation for each topic
        phone.goto(f"{stack.url}/")
        open_widget(phone)
        before = phone.locator(".plw-bot").count()
        ask(phone, question)
        # The first answer to the question: after an emergency card, the engine's own answer
        # may already have arrived hidden behind the card (the last .plw-bot, no box).
        answer = phone.locator(".plw-bot").nth(before)
        expect(answer).to_be_visible(timeout=TIMEOUT)
        heights[topic] = answer.bounding_box()["height"]
    print(f"\nfirst answer at {PHONE['width']} × {PHONE['height']} (px, ≤ {PHONE['height']}):")
    for topic, height in heights.items():
        print(f"  {topic:28} {height:5.0f}  {height / PHONE['height']:.2f} screens")
    assert len(heights) == len(questions) >= len(kb.articles) - 1
    assert {t: h for t, h in heights.items() if h > PHONE["height"]} == {}
