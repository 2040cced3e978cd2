"""How serious is the threat? A manager's first risk level – låg, medel, hög, mycket hög – with
the actions each level calls for (issue 18 §2). Questions, levels and actions are data in
knowledge/flows.yml (flow `risk_level`); only the acute shortcut below is code."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.flows import AskQuestion, FlowFormValidation, FlowOutcome, flow_data

FLOW = "risk_level"
ACUTE = ("risk_acute", "ja")


class ValidateRiskLevelForm(FlowFormValidation):
    flow_name = FLOW

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        """A "ja" to acute danger ends the questions at once: the outcome is the 112 answer.

        The form finishes only when every slot is filled, so the questions not asked get
        their first option; the first rule of the flow (acute → emergency) decides anyway.
        """
        events = await super().get_validation_events(dispatcher, tracker, domain)
        acute = any(e.get("name") == ACUTE[0] and e.get("value") == ACUTE[1] for e in events)
        if not acute:
            return events
        questions = flow_data().flows[FLOW].questions
        set_now = {e.get("name") for e in events}
        rest = [SlotSet(slot, next(iter(q.options))) for slot, q in questions.items()
                if slot not in set_now and tracker.get_slot(slot) is None]
        return events + rest


class ActionAskRiskAcute(AskQuestion):
    slot = "risk_acute"


class ActionAskRiskConcrete(AskQuestion):
    slot = "risk_concrete"


class ActionAskRiskRepeated(AskQuestion):
    slot = "risk_repeated"


class ActionAskRiskPrivate(AskQuestion):
    slot = "risk_private"


class ActionAskRiskCapacity(AskQuestion):
    slot = "risk_capacity"


class ActionRiskLevelOutcome(FlowOutcome):
    flow_name = FLOW
