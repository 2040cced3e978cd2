"""Suspicion about a colleague: do not investigate yourself; where to turn, incl. whistleblowing."""
from __future__ import annotations

from actions.flows import AskQuestion, FlowFormValidation, FlowOutcome

FLOW = "colleague_suspicion"


class ValidateColleagueSuspicionForm(FlowFormValidation):
    flow_name = FLOW


class ActionAskSuspicionRoute(AskQuestion):
    slot = "suspicion_route"


class ActionColleagueSuspicionOutcome(FlowOutcome):
    flow_name = FLOW
