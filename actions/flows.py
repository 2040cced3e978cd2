"""Guided conversations: the actions of every decision flow (a Rasa form).

A flow `<name>` is the intent that starts it, the form `<name>_form`, one `action_ask_<slot>`
per question, `validate_<name>_form` and `action_<name>_outcome`. Questions, answers, cues and
outcomes are data in knowledge/flows.yml; the action classes are made from it when the action
server starts (`flow_action_classes`, called by `python -m actions`), so a new flow needs no
Python module (docs/adr/0004).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from functools import lru_cache
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import REQUESTED_SLOT
from rasa_sdk.types import DomainDict

from actions import conversation
from actions.feedback import HELPFUL, feedback_question, feedback_topic, record
from actions.feedback import INTENT as FEEDBACK_INTENT
from actions.safety import SafeAction, SafeFormValidationAction
from actions.settings import knowledge_base
from knowledge import contract, render
from knowledge.flows import EMERGENCY_INTENT, Flow, Flows, answers_from, answers_in_text, load_flows
from knowledge.loader import KnowledgeBase
from knowledge.outcomes import outcome_messages

# Messages that are never an answer to a question, whatever words they contain: an emergency
# must leave the form (bot/rules), and asking to stop, for a human or to change role must work.
NOT_ANSWERS = frozenset({EMERGENCY_INTENT, "stop_flow", "handoff", "set_role", FEEDBACK_INTENT})
YES_NO = {"affirm": True, "deny": False}


@lru_cache(maxsize=1)
def flow_data() -> Flows:
    """knowledge/flows.yml, read and validated once per process on first use."""
    return load_flows()


def offer_message(flow: Flow) -> render.Message:
    """The invitation to a flow shown under its topic's answer, e.g. "Bedöm min gåva"."""
    buttons = [{"title": b.title, "payload": flow.payload(b.answers)} for b in flow.offer_buttons]
    return render.message(flow.offer_text, buttons=buttons, kind=contract.KIND_QUESTION)


def offer_is_a_question(flow: Flow) -> bool:
    """An offer whose buttons already answer a question ("Är du i fara just nu? Ja/Nej")."""
    return any(b.answers for b in flow.offer_buttons)


def question_message(flow: Flow, slot: str) -> render.Message:
    question = flow.questions[slot]
    buttons = [{"title": o.title, "payload": flow.payload({slot: o.value})} for o in question.options.values()]
    return render.message(question.text, buttons=buttons, kind=contract.KIND_QUESTION)


class FlowFormValidation(SafeFormValidationAction, ABC):
    """Reads typed answers for a flow's form; buttons arrive as entities and need no help.

    Usage: subclass with `flow_name = "<flow>"`; the action is `validate_<flow>_form`.
    """

    @property
    @abstractmethod
    def flow_name(self) -> str:
        """The flow's name in knowledge/flows.yml."""

    def name(self) -> str:
        return f"validate_{self.flow_name}_form"

    async def get_extraction_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        text = conversation.latest_text(tracker)
        intent = conversation.latest_intent(tracker)
        if not text or intent in NOT_ANSWERS:
            return []
        flow = flow_data().flows[self.flow_name]
        found = answers_in_text(flow, text, tracker.get_slot(REQUESTED_SLOT), YES_NO.get(intent or ""))
        return [SlotSet(slot, value) for slot, value in found.items()]

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        """Keep only answers the question offers; anything else is asked again. An answer the
        flow's `finish_when` names (e.g. acute danger) ends the questions at once: the form
        finishes only when every slot is filled, so the rest get their first option; the flow's
        rules put that answer first, so it decides."""
        flow = flow_data().flows[self.flow_name]
        questions = flow.questions
        events = [
            SlotSet(slot, value if conversation.text_value(value) in questions[slot].options else None)
            for slot, value in tracker.slots_to_validate().items()
            if slot in questions
        ]
        finish_when = flow.extra.get("finish_when") or {}
        given = {e["name"]: e["value"] for e in events if e.get("value") is not None}
        if not any(given.get(slot) in values for slot, values in finish_when.items()):
            return events
        rest = [
            SlotSet(slot, next(iter(q.options)))
            for slot, q in questions.items()
            if slot not in given and tracker.get_slot(slot) is None
        ]
        return events + rest


class AskQuestion(SafeAction, ABC):
    """Asks one question of a flow with its answers as buttons (`action_ask_<slot>`).

    Usage: subclass with `slot = "<slot>"`; the form calls it when that slot is next.
    """

    @property
    @abstractmethod
    def slot(self) -> str:
        """The question's slot in knowledge/flows.yml."""

    def name(self) -> str:
        return f"action_ask_{self.slot}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Ask the next question of the guided conversation."""
        flow = flow_data().for_slot(self.slot)
        if flow is None:  # every ask action is made from a flow's question (flow_action_classes)
            raise LookupError(f"no flow asks {self.slot}")
        conversation.send(dispatcher, tracker, [question_message(flow, self.slot)], topic=flow.topic)
        return []


class FlowOutcome(SafeAction, ABC):
    """Gives a flow's outcome when its form is complete (`action_<flow>_outcome`).

    The answers stay in their slots, so that "och om det är en leverantör?" can change one
    of them and get a new outcome; starting the flow again clears them (action_start_flow).
    """

    @property
    @abstractmethod
    def flow_name(self) -> str:
        """The flow's name in knowledge/flows.yml."""

    def name(self) -> str:
        return f"action_{self.flow_name}_outcome"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Give the advice the answers lead to, with the reason, next step and sources."""
        kb = knowledge_base()
        flow = flow_data().flows[self.flow_name]
        answers = answers_from(tracker.slots, flow)
        if not flow.is_complete(answers):
            conversation.send(dispatcher, tracker, [offer_message(flow)], topic=flow.topic)
            return []
        send_outcome(dispatcher, tracker, kb, outcome_messages(kb, flow, answers))
        return []


@lru_cache(maxsize=1)
def flow_action_classes() -> tuple[type[Action], ...]:
    """One concrete class per flow action named in the derived domain, made once per process.

    rasa_sdk registers every concrete subclass of Action it finds after importing the actions
    package, and instantiates it without arguments; so each flow action is a small subclass
    naming its flow or slot. The cache keeps them alive (a class only referenced by
    `__subclasses__` could be garbage collected before rasa_sdk looks).
    """
    made: list[type[Action]] = []
    for flow in flow_data().flows.values():
        camel = "".join(part.title() for part in flow.name.split("_"))
        made.append(
            type(f"Validate{camel}Form", (FlowFormValidation,), {"flow_name": flow.name, "__module__": __name__})
        )
        for slot in flow.questions:
            ask = "".join(part.title() for part in slot.split("_"))
            made.append(type(f"ActionAsk{ask}", (AskQuestion,), {"slot": slot, "__module__": __name__}))
        made.append(type(f"Action{camel}Outcome", (FlowOutcome,), {"flow_name": flow.name, "__module__": __name__}))
    return tuple(made)


def flow_action(name: str) -> Action:
    """The flow action called `name` (e.g. "action_gift_assessment_outcome"), ready to run."""
    actions = {action.name(): action for action in (cls() for cls in flow_action_classes())}
    return actions[name]


def send_outcome(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    kb: KnowledgeBase,
    outcome: tuple[list[render.Message], str, bool],
    intro: str | None = None,
) -> None:
    """An outcome, then "Hjälpte svaret?" (not after an emergency answer: 112 stays last)."""
    messages, topic, emergency = outcome
    if intro and not emergency:
        messages = [render.message(intro), *messages]
    conversation.send(dispatcher, tracker, messages, topic=topic, emergency=emergency)
    if not emergency:
        conversation.send(dispatcher, tracker, [feedback_question(kb, topic)], topic=topic)


class ActionStartFlow(SafeAction):
    def name(self) -> str:
        return "action_start_flow"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Start a flow afresh: forget its old answers, keep the ones this button carried."""
        flow = flow_data().flows.get(conversation.latest_intent(tracker) or "")
        if flow is None:
            return []
        given = conversation.latest_entities(tracker)
        return [SlotSet(slot, None) for slot in flow.questions if slot not in given]


class ActionStopFlow(SafeAction):
    def name(self) -> str:
        return "action_stop_flow"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Leave the questions when the person asks to, and offer the quick-help topics."""
        kb = knowledge_base()
        active = conversation.active_form(tracker)
        key = "flow_stopped" if active else "no_flow_to_stop"
        conversation.send(dispatcher, tracker, [render.message(kb.phrases[key], buttons=render.quick_help_buttons(kb))])
        return [ActiveLoop(None), SlotSet(REQUESTED_SLOT, None)] if active else []


class ActionAnswerYesNo(SafeAction):
    def name(self) -> str:
        return "action_answer_yes_no"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """A typed "ja"/"nej": answer the yes/no question the bot just asked with buttons.

        "Är du i fara just nu?" goes first: a "ja" there must give 112 whatever else was asked.
        """
        kb = knowledge_base()
        if conversation.active_form(tracker):
            conversation.send(dispatcher, tracker, [render.message(kb.phrases["choose_an_option"])])
            return []
        yes = conversation.latest_intent(tracker) == "affirm"
        offered = [conversation.parse_payload(p) for p in conversation.payloads_of_last_turn(tracker)]
        flows = flow_data()
        for intent, entities in offered:
            flow = flows.flows.get(intent or "")
            if flow is None:
                continue
            for slot in entities:
                question = flow.questions.get(slot)
                value = question and (question.affirm if yes else question.deny)
                if value and flow.is_complete({slot: value}):
                    send_outcome(dispatcher, tracker, kb, outcome_messages(kb, flow, {slot: value}))
                    return [SlotSet(slot, value)]
        for intent, entities in offered:
            if intent == FEEDBACK_INTENT and HELPFUL.get(str(entities.get("helpful"))) is yes:
                record(dispatcher, tracker, kb, feedback_topic(entities.get("feedback_topic"), kb), yes)
                return []
        conversation.send(
            dispatcher, tracker, [render.message(kb.phrases["yes_no_unclear"], buttons=render.quick_help_buttons(kb))]
        )
        return []
