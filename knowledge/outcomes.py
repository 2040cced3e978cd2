"""The outcome of a guided flow, rendered in one place: verdict, reason, steps, next step.

Pure Python like the rest of knowledge/: every text comes from knowledge/flows.yml (the
flow's rules, verdicts, checklist texts) and knowledge/phrases.yml (the headings); this module
only puts them in order. The engine's actions (actions/flows.py, actions/followups.py) send
what it returns.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from knowledge import render
from knowledge.flows import EMERGENCY_INTENT as EMERGENCY_TOPIC  # a topic's intent is its id
from knowledge.flows import Flow, known_values
from knowledge.loader import KnowledgeBase

# Parts of one message are joined by a single line break: Rasa's REST channel splits a text
# without buttons at every blank line, and a split after a message with links would shift the
# link indices the gateway reads (they count from the end of the group). One bubble also
# keeps a verdict, its reason and its next step together.
PARTS = "\n"


def answers_summary(kb: KnowledgeBase, flow: Flow, answers: Mapping[str, Any]) -> render.Message:
    lines = [f"- {q.label}: {o.label}" for q, o in known_values(flow, answers)]
    hint = flow.extra.get("change_hint")
    return render.message("\n".join([kb.phrases["answers_heading"], *lines, *([hint] if hint else [])]))


def outcome_messages(
    kb: KnowledgeBase, flow: Flow, answers: Mapping[str, Any]
) -> tuple[list[render.Message], str, bool]:
    """The flow's outcome for these answers: (messages, topic, emergency).

    The advice first (verdict, reason, steps as topic buttons, next step), then whom to
    contact when the rule names channels, the answers given, and the sources.
    """
    if flow.extra.get("checklist"):
        return checklist_messages(kb, flow, answers), flow.topic, False
    if flow.extra.get("ranking"):
        return ranking_messages(kb, flow, answers), flow.topic, False
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
    print_link = flow.print_link(answers)
    if print_link:
        links.append(print_link)
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


def ranking_messages(kb: KnowledgeBase, flow: Flow, answers: Mapping[str, Any]) -> list[render.Message]:
    """A ranked flow's outcome: the risks most serious first, each with its measure; then the
    link to the printable page (prefilled with the answers), the answers given and the sources."""
    texts = flow.extra["ranking"]
    rows = flow.ranked(answers)
    lines = [texts["heading"]] if rows else [texts["none"]]
    for number, row in enumerate(rows, 1):
        lines.append(f"{number}. {row['level']}: {row['risk']}")
        lines.append(f"   {texts['measure_label']} {row['measure']}")
    if rows and texts.get("next_step"):
        lines.append(f"{kb.phrases['next_step_heading']} {texts['next_step']}")
    print_link = flow.print_link(answers)
    out = [render.message(PARTS.join(lines), links=[print_link] if print_link else [])]
    out.append(answers_summary(kb, flow, answers))
    out.append(render.sources_message(kb, kb.articles[flow.topic]))
    return out
