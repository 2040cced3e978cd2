"""After a bribe attempt: decline, document, tell the chef, contact the police (NKG)."""
from __future__ import annotations

from actions.flows import AskQuestion, FlowFormValidation, FlowOutcome

FLOW = "bribe"


class ValidateBribeForm(FlowFormValidation):
    flow_name = FLOW


class ActionAskBribeStatus(AskQuestion):
    slot = "bribe_status"


class ActionBribeOutcome(FlowOutcome):
    flow_name = FLOW
