"""Parity: stock Rasa (LOTSEN_STOCK_RASA=1: no patch of bot/patches/, no lean start) gives the
same answers as the patched engine. A second stack runs beside the shared one; the answer
tests of test_assistant.py run against it, and the same turns sent to both stacks must get
the same answers (docs/adr/0004-rasa-patches.md)."""

from __future__ import annotations

import sys
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port, start_or_show_logs
from tests.e2e import test_assistant

pytestmark = pytest.mark.e2e

# Turns whose answers both engines must give alike: ordinary questions, a button click, small
# talk, out of scope and the new situations (the emergency is answered by the gateway at once).
TEXTS = [
    "Vad gör jag om jag blir erbjuden en gåva?",
    "En klient sa att han vet var jag bor",
    "Min chef vill att jag handlägger min kusins ärende",
    "jag blev erbjuden pengar för att bevilja bidraget",
    "hej",
    "när kommer lönen",
    *(question for question, _, _ in test_assistant.SITUATIONS),
]


@pytest.fixture(scope="module")
def stock_stack(tmp_path_factory):
    from tools.stack import Stack

    s = Stack(
        port=free_port(),
        rasa_port=free_port(),
        actions_port=free_port(),
        app_python=sys.executable,
        log_dir=tmp_path_factory.mktemp("stock-logs"),
        data_dir=tmp_path_factory.mktemp("stock-data"),
        # Stock Rasa needs several times the CPU per turn: on a busy machine a turn would
        # run into the 3 s engine timeout and be answered from the knowledge base instead.
        # Parity is about the answers, so it gets time.
        env={
            "LOTSEN_STOCK_RASA": "1",
            "LOTSEN_RATE_LIMIT_PER_MINUTE": "0",
            "LOTSEN_ENGINE_TIMEOUT": "25",
            "LOTSEN_LATE_ANSWER_TIMEOUT": "25",
        },
    )
    start_or_show_logs(s, timeout=300)
    yield s
    s.stop()


def mapped_files(pid: int) -> str:
    return Path(f"/proc/{pid}/maps").read_text()


def test_the_switch_starts_stock_rasa(stock_stack, stack):
    # Stock Rasa loads TensorFlow (the lean start keeps it out): the switch reached the engine.
    assert "tensorflow" in mapped_files(stock_stack.processes["rasa"].pid)
    assert "tensorflow" not in mapped_files(stack.processes["rasa"].pid)


@pytest.mark.parametrize(
    "answer_test",
    [
        test_assistant.test_gift_question_answers_gavor_with_source_and_chef,
        test_assistant.test_threat_and_emergency_through_the_engine,
        test_assistant.test_new_situations_reach_the_article_that_answers_them,
        test_assistant.test_suicide_threat_over_a_decision_gets_112_first_then_the_pressure_article,
    ],
    ids=lambda test: test.__name__,
)
def test_the_answer_tests_pass_on_stock_rasa(stock_stack, kb, answer_test):
    answer_test(stock_stack, kb)


def test_button_click_continues_the_conversation_on_stock_rasa(stock_stack):
    test_assistant.test_button_click_continues_the_conversation(stock_stack)


def conversation(stack, session: str) -> list[dict]:
    """The answers to TEXTS in one conversation, then a click on the first offered button."""
    answers = []
    for text in TEXTS:
        answers.append(test_assistant.ask(stack, session, text=text))
    payload = next((b["payload"] for m in answers[0]["messages"] for b in m["buttons"]), None)
    assert payload, answers[0]
    answers.append(test_assistant.ask(stack, session, payload=payload))
    # Signed payloads and ids differ between two gateways; what the engine decided must not.
    return [{key: value for key, value in a.items() if key not in ("session_id",)} for a in answers]


def without_payloads(answers: list[dict]) -> list[dict]:
    return [
        {**a, "messages": [{**m, "buttons": [b.get("title") for b in m.get("buttons", [])]} for m in a["messages"]]}
        for a in answers
    ]


def test_stock_and_patched_rasa_answer_a_conversation_alike(stock_stack, stack):
    patched = conversation(stack, "e2e-parity-patched")
    stock = conversation(stock_stack, "e2e-parity-stock")
    assert all(a["engine"] == "rasa" for a in patched + stock)
    assert without_payloads(stock) == without_payloads(patched)
    assert httpx.get(f"{stock_stack.url}/healthz", timeout=10).json()["engine"] == "up"
