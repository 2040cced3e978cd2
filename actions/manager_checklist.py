"""The manager's checklist after an incident: safety, support, documentation, reports to
Arbetsmiljöverket and Försäkringskassan, police report support, follow-up – ticked off one by one."""
from __future__ import annotations

from actions.flows import AskQuestion, FlowFormValidation, FlowOutcome

FLOW = "manager_checklist"


class ValidateManagerChecklistForm(FlowFormValidation):
    flow_name = FLOW


class ActionAskCheckSafety(AskQuestion):
    slot = "check_safety"


class ActionAskCheckSupport(AskQuestion):
    slot = "check_support"


class ActionAskCheckDocumentation(AskQuestion):
    slot = "check_documentation"


class ActionAskCheckReports(AskQuestion):
    slot = "check_reports"


class ActionAskCheckPolice(AskQuestion):
    slot = "check_police"


class ActionAskCheckFollowup(AskQuestion):
    slot = "check_followup"


class ActionManagerChecklistOutcome(FlowOutcome):
    flow_name = FLOW
