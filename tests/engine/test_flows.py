"""Every guided flow is wired the same way: data, domain, rules and actions agree."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.forms import REQUESTED_SLOT

from actions.flows import ActionAnswerYesNo, ActionStopFlow, flow_action_classes, flow_data
from actions.settings import knowledge_base
from bot.flows_importer import FlowsImporter
from tests.engine.builders import Conversation, texts

ROOT = Path(__file__).resolve().parents[2]
FLOWS = sorted(flow_data().flows)


@pytest.fixture(scope="module")
def registered() -> set[str]:
    flow_action_classes()  # as `python -m actions` does before rasa_sdk registers
    executor = ActionExecutor()
    executor.register_package("actions")
    return set(executor.actions)


def test_the_flows_name_existing_topics_and_channels():
    assert flow_data().check(knowledge_base()) == []


@pytest.fixture(scope="module")
def importer() -> FlowsImporter:
    """The training data as `rasa train` reads it (bot/config.yml names this importer)."""
    return FlowsImporter(
        str(ROOT / "bot" / "config.yml"),
        str(ROOT / "bot" / "domain"),
        [str(ROOT / "nlu_data"), str(ROOT / "bot" / "rules")],
    )


@pytest.mark.parametrize("flow", FLOWS)
def test_domain_declares_the_flow_with_the_questions_in_order(flow, importer):
    domain = importer.get_domain()
    questions = flow_data().flows[flow].questions
    assert flow in domain.intents
    form = domain.forms[f"{flow}_form"]
    assert form["required_slots"] == list(questions)
    assert "akut_fara" in form["ignored_intents"]
    slots = {slot.name: slot for slot in domain.slots}
    for slot, question in questions.items():
        assert [v for v in slots[slot].values if v != "__other__"] == list(question.options), slot
        assert slots[slot].influence_conversation is False
        assert slots[slot].mappings == [{"type": "from_entity", "entity": slot}]
        assert slot in domain.entities
    expected = {f"validate_{flow}_form", f"action_{flow}_outcome", *(f"action_ask_{s}" for s in questions)}
    assert expected <= set(domain.user_actions)


def test_no_domain_or_rule_file_repeats_what_flows_yml_derives():
    """A flow is only data: a hand-written domain or rule file for it would be trained twice."""
    for folder in ("domain", "rules"):
        assert sorted(p.stem for p in (ROOT / "bot" / folder).glob("*.yml") if p.stem in FLOWS) == []


def test_every_action_the_domain_names_is_served(importer, registered):
    names = {a for a in importer.get_domain().user_actions if not a.startswith("utter_")}
    assert names - registered == set()


@pytest.mark.parametrize("flow", FLOWS)
def test_rules_start_the_flow_give_the_outcome_and_leave_it_on_an_emergency(flow, importer):
    rules = flow_data().flows[flow].rasa_rules()
    steps = [[next(iter(s.items())) for s in r["steps"]] for r in rules]
    assert [
        ("intent", flow),
        ("action", "action_start_flow"),
        ("action", f"{flow}_form"),
        ("active_loop", f"{flow}_form"),
    ] in steps
    assert any(s[0] == ("action", f"{flow}_form") and s[-1] == ("action", f"action_{flow}_outcome") for s in steps)
    emergency = [r for r in rules if r.get("condition") == [{"active_loop": f"{flow}_form"}]]
    assert [next(iter(s.items())) for s in emergency[0]["steps"]] == [
        ("intent", "akut_fara"),
        ("action", "action_answer_topic"),
        ("action", "action_deactivate_loop"),
        ("active_loop", None),
    ]
    trained = {step.block_name for step in importer.get_stories().story_steps}
    assert {rule["rule"] for rule in rules} <= trained


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
