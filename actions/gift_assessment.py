"""Is this gift acceptable? Who offers, what it is, and whether a case or procurement is ongoing.

The verdict (tacka nej; ta inte emot personligen – rådgör med chefen; kan vara acceptabelt om
ringa värde och till flera) follows the rules in knowledge/flows.yml. There is no kronor limit.
"""
from __future__ import annotations

from actions.flows import AskQuestion, FlowFormValidation, FlowOutcome

FLOW = "gift_assessment"


class ValidateGiftAssessmentForm(FlowFormValidation):
    flow_name = FLOW


class ActionAskGiftGiver(AskQuestion):
    slot = "gift_giver"


class ActionAskGiftKind(AskQuestion):
    slot = "gift_kind"


class ActionAskGiftCase(AskQuestion):
    slot = "gift_case"


class ActionGiftAssessmentOutcome(FlowOutcome):
    flow_name = FLOW
