"""Guided conversations: what every decision flow (a Rasa form) shares.

A flow `<name>` is the intent that starts it, the form `<name>_form`, one `action_ask_<slot>`
per question, `validate_<name>_form` and `action_<name>_outcome`; each capability module
(gift_assessment, threat_assessment, …) only names its flow. Questions, answers, cues and
outcomes are data in knowledge/flows.yml.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from functools import lru_cache
from typing import Any, Dict, List, Mapping, Text

from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import REQUESTED_SLOT
from rasa_sdk.types import DomainDict

from actions import conversation
from actions.feedback import HELPFUL, INTENT as FEEDBACK_INTENT, feedback_question, feedback_topic, record
from actions.safety import SafeAction, SafeFormValidationAction
from actions.settings import knowledge_base
from knowledge import contract, render
from knowledge.flows import Flow, Flows, answers_from, answers_in_text, known_values, load_flows
from knowledge.loader import KnowledgeBase

EMERGENCY_TOPIC = "akut_fara"
# Messages that are never an answer to a question, whatever words they contain: an emergency
# must leave the form (bot/rules), and asking to stop, for a human or to change role must work.
NOT_ANSWERS = frozenset({EMERGENCY_TOPIC, "stop_flow", "handoff", "set_role", FEEDBACK_INTENT})
YES_NO = {"affirm": True, "deny": False}
# Parts of one message are joined by a single line break: Rasa's REST channel splits a text
# without buttons at every blank line, and a split after a message with links would shift the
# link indices the gateway reads (they count from the end of the group). One bubble also
# keeps a verdict, its reason and its next step together.
PARTS = "\n"


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


def answers_summary(kb: KnowledgeBase, flow: Flow, answers: Mapping[str, Any]) -> render.Message:
    lines = [f"- {q.label}: {o.label}" for q, o in known_values(flow, answers)]
    hint = flow.extra.get("change_hint")
    return render.message("\n".join([kb.phrases["answers_heading"], *lines, *([hint] if hint else [])]))


def outcome_messages(kb: KnowledgeBase, flow: Flow, answers: Mapping[str, Any]) -> tuple[list[render.Message], str, bool]:
    """The flow's outcome for these answers: (messages, topic, emergency).

    The advice first (verdict, reason, steps as topic buttons, next step), then whom to
    contact when the rule names channels, the answers given, and the sources.
    """
    if flow.extra.get("checklist"):
        return checklist_messages(kb, flow, answers), flow.topic, False
    rule = flow.outcome(answers)
    if rule.get("emergency"):
        return render.article_messages(kb, EMERGENCY_TOPIC, emergency=True), EMERGENCY_TOPIC, True
    phrases = kb.phrases
    verdict = (flow.extra.get("verdicts") or {}).get(rule.get("verdict")) or {}
    parts = []
    if verdict:
        parts.append(f"{phrases['verdict_heading']} {verdict['title']}")
    if rule.get("reason"):
        parts.append(f"{phrases['reason_heading']} {rule['reason']}")
    if rule.get("intro"):
        parts.append(rule["intro"])
    steps = rule.get("steps") or []
    links = []
    if steps:
        lines = []
        for number, step in enumerate(steps, 1):
            lines.append(f"{number}. {step['text']}")
            if step.get("channel"):
                channel = kb.channel(step["channel"])
                lines.append(f"   {channel.how_to_reach()}")
                if channel.url:
                    links.append({"title": channel.name, "url": channel.url})
        parts.append("\n".join(lines))
    next_step = rule.get("next_step") or verdict.get("next_step")
    if next_step:
        parts.append(f"{phrases['next_step_heading']} {next_step}")
    step_topics = [s["topic"] for s in steps if s.get("topic")]
    out = [render.message(PARTS.join(parts), buttons=render.topic_buttons(kb, step_topics), links=links)]
    if rule.get("channels"):
        out.append(render.channels_message(kb, rule["channels"]))
    if len(flow.questions) > 1:
        out.append(answers_summary(kb, flow, answers))
    sources = render.sources_message(kb, kb.articles[flow.topic])
    sources["buttons"] = render.topic_buttons(kb, rule.get("related") or [])
    out.append(sources)
    return out, flow.topic, False


def checklist_messages(kb: KnowledgeBase, flow: Flow, answers: Mapping[str, Any]) -> list[render.Message]:
    """A ticked-off checklist: what is done, what is left (as topic buttons), what was skipped."""
    texts = flow.extra["checklist"]
    groups: dict[str, list] = {"klart": [], "senare": [], "ej_aktuellt": []}
    for question, option in known_values(flow, answers):
        groups.setdefault(option.value, []).append(question)
    parts = [texts["intro"]]
    for value, heading in (("klart", "done_heading"), ("senare", "later_heading"), ("ej_aktuellt", "skipped_heading")):
        if groups[value]:
            parts.append("\n".join([texts[heading], *(f"- {q.label}" for q in groups[value])]))
    if not groups["senare"]:
        parts.append(texts["all_done"])
    later_topics = list(dict.fromkeys(q.topic for q in groups["senare"] if q.topic))
    sources = render.sources_message(kb, kb.articles[flow.topic])
    return [render.message(PARTS.join(parts), buttons=render.topic_buttons(kb, later_topics)), sources]


class FlowFormValidation(SafeFormValidationAction, ABC):
    """Reads typed answers for a flow's form; buttons arrive as entities and need no help.

    Usage: subclass with `flow_name = "<flow>"`; the action is `validate_<flow>_form`.
    """

    @property
    @abstractmethod
    def flow_name(self) -> str:
        """The flow's name in knowledge/flows.yml."""

    def name(self) -> Text:
        return f"validate_{self.flow_name}_form"

    async def get_extraction_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        text = conversation.latest_text(tracker)
        intent = conversation.latest_intent(tracker)
        if not text or intent in NOT_ANSWERS:
            return []
        flow = flow_data().flows[self.flow_name]
        found = answers_in_text(flow, text, tracker.get_slot(REQUESTED_SLOT), YES_NO.get(intent))
        return [SlotSet(slot, value) for slot, value in found.items()]

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        """Keep only answers the question offers; anything else is asked again."""
        questions = flow_data().flows[self.flow_name].questions
        return [SlotSet(slot, value if conversation.text_value(value) in questions[slot].options else None)
                for slot, value in tracker.slots_to_validate().items() if slot in questions]


class AskQuestion(SafeAction, ABC):
    """Asks one question of a flow with its answers as buttons (`action_ask_<slot>`).

    Usage: subclass with `slot = "<slot>"`; the form calls it when that slot is next.
    """

    @property
    @abstractmethod
    def slot(self) -> str:
        """The question's slot in knowledge/flows.yml."""

    def name(self) -> Text:
        return f"action_ask_{self.slot}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        """Ask the next question of the guided conversation."""
        flow = flow_data().for_slot(self.slot)
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

    def name(self) -> Text:
        return f"action_{self.flow_name}_outcome"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        """Give the advice the answers lead to, with the reason, next step and sources."""
        kb = knowledge_base()
        flow = flow_data().flows[self.flow_name]
        answers = answers_from(tracker.slots, flow)
        if not flow.is_complete(answers):
            conversation.send(dispatcher, tracker, [offer_message(flow)], topic=flow.topic)
            return []
        send_outcome(dispatcher, tracker, kb, outcome_messages(kb, flow, answers))
        return []


def send_outcome(dispatcher: CollectingDispatcher, tracker: Tracker, kb: KnowledgeBase,
                 outcome: tuple[list[render.Message], str, bool], intro: str | None = None) -> None:
    """An outcome, then "Hjälpte svaret?" (not after an emergency answer: 112 stays last)."""
    messages, topic, emergency = outcome
    if intro and not emergency:
        messages = [render.message(intro), *messages]
    conversation.send(dispatcher, tracker, messages, topic=topic, emergency=emergency)
    if not emergency:
        conversation.send(dispatcher, tracker, [feedback_question(kb, topic)], topic=topic)


class ActionStartFlow(SafeAction):
    def name(self) -> Text:
        return "action_start_flow"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        """Start a flow afresh: forget its old answers, keep the ones this button carried."""
        flow = flow_data().flows.get(conversation.latest_intent(tracker) or "")
        if flow is None:
            return []
        given = conversation.latest_entities(tracker)
        return [SlotSet(slot, None) for slot in flow.questions if slot not in given]


class ActionStopFlow(SafeAction):
    def name(self) -> Text:
        return "action_stop_flow"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        """Leave the questions when the person asks to, and offer the quick-help topics."""
        kb = knowledge_base()
        active = conversation.active_form(tracker)
        key = "flow_stopped" if active else "no_flow_to_stop"
        conversation.send(dispatcher, tracker, [render.message(kb.phrases[key], buttons=render.quick_help_buttons(kb))])
        return [ActiveLoop(None), SlotSet(REQUESTED_SLOT, None)] if active else []


class ActionAnswerYesNo(SafeAction):
    def name(self) -> Text:
        return "action_answer_yes_no"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
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
            for slot in entities if flow else ():
                question = flow.questions.get(slot)
                value = question and (question.affirm if yes else question.deny)
                if value and flow.is_complete({slot: value}):
                    send_outcome(dispatcher, tracker, kb, outcome_messages(kb, flow, {slot: value}))
                    return [SlotSet(slot, value)]
        for intent, entities in offered:
            if intent == FEEDBACK_INTENT and HELPFUL.get(str(entities.get("helpful"))) is yes:
                record(dispatcher, tracker, kb, feedback_topic(entities.get("feedback_topic"), kb), yes)
                return []
        conversation.send(dispatcher, tracker, [render.message(kb.phrases["yes_no_unclear"],
                                                               buttons=render.quick_help_buttons(kb))])
        return []
