"""Öva på ett dilemma (issue 18 §3): a case with its choices as buttons; after a choice, why it
is or is not right, the rule, the article and questions for the group, then the next case.

Every button carries the case (and the choice) it belongs to, so the action keeps no state
of its own. The cases are data in knowledge/dilemmas.yml. The turn's topic is the case's
topic, so the statistics count practised cases per topic and nothing about the choice.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import conversation
from actions.safety import SafeAction
from actions.settings import knowledge_base
from knowledge import render
from knowledge.dilemmas import Case, Choice, Dilemmas, load_dilemmas
from knowledge.flows import start_payload
from knowledge.loader import KnowledgeBase

INTENT = "dilemma_practice"
CASE, CHOICE = "dilemma_case", "dilemma_choice"
STOP_PAYLOAD = "/stop_flow"


@lru_cache(maxsize=1)
def dilemmas() -> Dilemmas:
    """knowledge/dilemmas.yml, read and validated once per process on first use."""
    return load_dilemmas()


def case_messages(d: Dilemmas, case: Case) -> list[render.Message]:
    buttons = [{"title": c.text, "payload": start_payload(INTENT, {CASE: case.id, CHOICE: c.id})} for c in case.choices]
    return [render.message(f"{d.texts['chat_intro']}\n{case.title}: {case.text}", buttons=buttons)]


def answer_messages(kb: KnowledgeBase, d: Dilemmas, case: Case, choice: Choice) -> list[render.Message]:
    texts = d.texts
    parts = [f"{texts['right'] if choice.right else texts['wrong']} {choice.why}"]
    if not choice.right:
        better = case.right_choices[0]
        parts.append(f"{texts['better_choice']} {better.text}. {better.why}")
    parts.append(f"{texts['rule_heading']} {case.rule}")
    article = kb.articles[case.topic]
    links = [{"title": article.title, "url": f"/kunskap/{case.topic}"}]
    questions = "\n".join([texts["questions_heading"], *(f"- {q}" for q in case.questions)])
    following = d.after(case.id)
    buttons = [
        {"title": texts["next_button"], "payload": start_payload(INTENT, {CASE: following.id})},
        {"title": texts["stop_button"], "payload": STOP_PAYLOAD},
    ]
    return [
        render.message("\n".join(parts), buttons=render.topic_buttons(kb, [case.topic]), links=links),
        render.message(questions, buttons=buttons),
    ]


class ActionDilemmaPractice(SafeAction):
    def name(self) -> str:
        return "action_dilemma_practice"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Show a case, or what the chosen answer means and the next case's button."""
        d = dilemmas()
        entities = conversation.latest_entities(tracker)
        case = d.case(entities.get(CASE)) or d.after(None)
        choice = case.choice(entities.get(CHOICE))
        messages = answer_messages(knowledge_base(), d, case, choice) if choice else case_messages(d, case)
        conversation.send(dispatcher, tracker, messages, topic=case.topic)
        return []
