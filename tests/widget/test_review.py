"""The review loop end to end: a question the assistant rejects is kept, a reviewer assigns it a
topic on /statistik/granska with the keyboard only (real Chromium), the model is retrained on
nlu_data/reviewed.yml, the engine restarts, and the same question then gets that topic.

Its own stack (the shared one must keep the repository's model): the NLU data is a temporary
copy, which the gateway writes reviewed.yml into and bot.train trains from, into a temporary
model folder. Here among the widget tests for their session-wide Chromium: Playwright's sync
API cannot start a second one while that one runs. Training is the cost of this test: 114 s of its 241 s on a busy two-core machine.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time

import httpx
import pytest
import yaml
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.conftest import ROOT, free_port, start_or_show_logs
from tests.widget.browser import DESKTOP

pytestmark = pytest.mark.e2e

USER, PASSWORD = "redaktion", "granska-lösenord-0123"
# Nothing the training data says: rejected today, and the words are only in this question.
QUESTION = "Vad gör vi med zorbliga flimmerbrev från kvarteret Glimbo?"
TOPIC = "hot"


def ask(url: str, session: str, text: str) -> dict:
    r = httpx.post(f"{url}/api/chat", json={"session_id": session, "text": text}, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()


def serious_violations(page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def press_until(page, key: str, done, limit: int = 80) -> None:
    for _ in range(limit):
        if done():
            return
        page.keyboard.press(key)
    assert done(), f"{key} × {limit} did not get there"


@pytest.fixture(scope="module")
def review_stack(tmp_path_factory):
    from tools.stack import Stack

    work = tmp_path_factory.mktemp("review")
    nlu = work / "nlu_data"
    shutil.copytree(ROOT / "nlu_data", nlu)
    stack = Stack(
        port=free_port(),
        rasa_port=free_port(),
        actions_port=free_port(),
        app_python=sys.executable,
        log_dir=work / "logs",
        data_dir=work / "data",
        env={
            "LOTSEN_STORE_UNANSWERED": "true",
            "LOTSEN_STATISTICS_USER": USER,
            "LOTSEN_STATISTICS_PASSWORD": PASSWORD,
            "LOTSEN_REVIEW_FILE": str(nlu / "reviewed.yml"),
            "LOTSEN_RATE_LIMIT_PER_MINUTE": "0",
        },
    )
    start_or_show_logs(stack, timeout=240)
    stack.nlu, stack.models = nlu, work / "models"
    yield stack
    stack.stop()


def test_a_rejected_question_is_assigned_with_the_keyboard_and_learned(review_stack, browser, kb):
    stack = review_stack
    before = ask(stack.url, "e2e-review-before-1", QUESTION)
    assert before["topic"] is None and before["engine"] == "rasa", before

    context = browser.new_context(
        viewport=DESKTOP, locale="sv-SE", http_credentials={"username": USER, "password": PASSWORD}
    )
    try:
        page = context.new_page()
        response = page.goto(f"{stack.url}/statistik/granska")
        assert response.status == 200 and response.headers["cache-control"] == "no-store"
        heading = page.locator(".review-list h2").first
        expect(heading).to_have_text(QUESTION)
        assert serious_violations(page) == []

        # Keyboard only: Tab to the first question's topic list, arrow to the topic, Tab to
        # its button, Enter.
        select = page.locator(".review-list select").first
        select_id = select.get_attribute("id")
        press_until(page, "Tab", lambda: page.evaluate("document.activeElement.id") == select_id)
        press_until(page, "ArrowDown", lambda: select.input_value() == TOPIC)
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.value") == "assign"
        with page.expect_navigation():
            page.keyboard.press("Enter")
        expect(page.get_by_role("status")).to_contain_text(kb.topics[TOPIC].title)
        expect(page.locator(".review-list h2", has_text=QUESTION)).to_have_count(0)
        assert serious_violations(page) == []
    finally:
        context.close()

    reviewed = yaml.safe_load((stack.nlu / "reviewed.yml").read_text(encoding="utf-8"))
    assert reviewed["nlu"] == [{"intent": TOPIC, "examples": f"- {QUESTION}\n"}]

    engine = stack.engine_venv / "bin"
    started = time.monotonic()
    subprocess.run(
        [str(engine / "python"), "-m", "bot.train", "--nlu", str(stack.nlu), "--out", str(stack.models)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    print(f"retrained in {time.monotonic() - started:.0f} s")
    # Rasa's validator must accept the written file as make test-engine runs it; meanwhile
    # the engine restarts on the new model.
    validate = subprocess.Popen(
        [
            str(engine / "rasa"),
            "data",
            "validate",
            "--fail-on-warnings",
            "--config",
            "bot/config.yml",
            "--domain",
            "bot/domain",
            "--data",
            str(stack.nlu),
            "bot/rules",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    stack.model = stack.models / "lotsen.tar.gz"
    stack.restart("rasa", timeout=240)
    output, _ = validate.communicate(timeout=240)
    assert validate.returncode == 0, output.decode(errors="replace")[-3000:]

    after = ask(stack.url, "e2e-review-after-01", QUESTION)
    assert after["topic"] == TOPIC, after
