"""After a threat: "Är du i fara just nu?" – yes gives the emergency answer, no the next steps."""
from __future__ import annotations

from actions.flows import AskQuestion, FlowFormValidation, FlowOutcome

FLOW = "threat_assessment"


class ValidateThreatAssessmentForm(FlowFormValidation):
    flow_name = FLOW


class ActionAskInDanger(AskQuestion):
    slot = "in_danger"


class ActionThreatAssessmentOutcome(FlowOutcome):
    flow_name = FLOW
