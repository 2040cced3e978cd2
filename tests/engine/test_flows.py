"""Every guided flow is wired the same way: data, domain, rules and actions agree."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.forms import REQUESTED_SLOT

from actions.flows import ActionAnswerYesNo, ActionStopFlow, flow_data
from actions.settings import knowledge_base
from tests.engine.builders import Conversation, texts

ROOT = Path(__file__).resolve().parents[2]
FLOWS = sorted(flow_data().flows)


def read(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def registered() -> set[str]:
    executor = ActionExecutor()
    executor.register_package("actions")
    return set(executor.actions)


def test_the_flows_name_existing_topics_and_channels():
    assert flow_data().check(knowledge_base()) == []


@pytest.mark.parametrize("flow", FLOWS)
def test_domain_declares_the_flow_with_the_questions_in_order(flow):
    domain = read(ROOT / "bot" / "domain" / f"{flow}.yml")
    questions = flow_data().flows[flow].questions
    assert domain["intents"] == [flow]
    assert domain["forms"][f"{flow}_form"]["required_slots"] == list(questions)
    assert "akut_fara" in domain["forms"][f"{flow}_form"]["ignored_intents"]
    for slot, question in questions.items():
        assert domain["slots"][slot]["values"] == list(question.options), slot
        assert domain["slots"][slot]["influence_conversation"] is False
        assert domain["slots"][slot]["mappings"] == [{"type": "from_entity", "entity": slot}]
    expected = {f"validate_{flow}_form", f"action_{flow}_outcome", *(f"action_ask_{s}" for s in questions)}
    assert set(domain["actions"]) == expected


@pytest.mark.parametrize("flow", FLOWS)
def test_every_action_the_domain_names_is_served(flow, registered):
    domain = read(ROOT / "bot" / "domain" / f"{flow}.yml")
    assert set(domain["actions"]) <= registered


def test_every_custom_action_in_the_domain_is_served(registered):
    names = set()
    for path in (ROOT / "bot" / "domain").glob("*.yml"):
        names |= {a for a in read(path).get("actions") or [] if not a.startswith("utter_")}
    assert names - registered == set()


@pytest.mark.parametrize("flow", FLOWS)
def test_rules_start_the_flow_give_the_outcome_and_leave_it_on_an_emergency(flow):
    rules = read(ROOT / "bot" / "rules" / f"{flow}.yml")["rules"]
    steps = [[next(iter(s.items())) for s in r["steps"]] for r in rules]
    assert [("intent", flow), ("action", "action_start_flow"), ("action", f"{flow}_form"),
            ("active_loop", f"{flow}_form")] in steps
    assert any(s[0] == ("action", f"{flow}_form") and s[-1] == ("action", f"action_{flow}_outcome") for s in steps)
    emergency = [r for r in rules if r.get("condition") == [{"active_loop": f"{flow}_form"}]]
    assert [next(iter(s.items())) for s in emergency[0]["steps"]] == [
        ("intent", "akut_fara"), ("action", "action_answer_topic"), ("action", "action_deactivate_loop"),
        ("active_loop", None)]


def test_stop_leaves_the_active_form_and_offers_quick_help():
    kb = knowledge_base()
    c = Conversation(slots={"requested_slot": "gift_kind"}).say("stop_flow", "avbryt")
    c.active_loop = "gift_assessment_form"
    messages, events = c.run(ActionStopFlow())
    assert events == [ActiveLoop(None), SlotSet(REQUESTED_SLOT, None)]
    assert texts(messages) == [kb.phrases["flow_stopped"]]


def test_stop_without_a_form_changes_nothing():
    kb = knowledge_base()
    messages, events = Conversation().say("stop_flow", "avbryt").run(ActionStopFlow())
    assert events == [] and texts(messages) == [kb.phrases["no_flow_to_stop"]]


def test_a_yes_that_does_not_fit_the_forms_question_asks_to_choose():
    kb = knowledge_base()
    c = Conversation(slots={"requested_slot": "gift_giver"}).say("affirm", "ja")
    c.active_loop = "gift_assessment_form"
    messages, events = c.run(ActionAnswerYesNo())
    assert events == [] and texts(messages) == [kb.phrases["choose_an_option"]]
