"""The process review for verksamhetsutvecklare ("Granska en process", issue 18 §4) as data.

Pure Python (PyYAML only): the gateway renders /kunskap/granska from it; the browser script
web_widget/process_review.js does the prioritising, so the answers stay in the browser. The
questions, answers and levels are the chat flow's (`process_review` in knowledge/flows.yml), so
the page and the chat ask the same; the page's own texts are in process_review.yml.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from knowledge.flows import Flow, load_flows
from knowledge.loader import safe_load

# The chat flow whose questions the page asks, and its question naming the process.
FLOW = "process_review"
PROCESS_SLOT = "review_process"
QUESTION_NUMBER = re.compile(r"^Fråga \d+ av \d+: ")
REVIEW_FILE = Path(__file__).resolve().parent / "process_review.yml"


class ProcessReviewError(Exception):
    """process_review.yml is invalid."""


@dataclass(frozen=True)
class ProcessReview:
    data: dict[str, Any]
    flow: Flow

    @property
    def questions(self) -> list[dict[str, Any]]:
        return self.data["questions"]

    def ranked(self, answers: Mapping[str, str]) -> list[dict[str, Any]]:
        """Risks with a level, most serious first (likelihood × weight; ties keep the order)."""
        return self.flow.ranked(answers)

    def prefilled(self, query: Mapping[str, str]) -> dict[str, str]:
        """The chosen options in the page's query (the chat's link), by question id."""
        return self.flow.answers_from_query(query)


def load_process_review(path: Path | None = None, flow: Flow | None = None) -> ProcessReview:
    """The page's texts from process_review.yml, the questions from the chat flow."""
    path = Path(path) if path else REVIEW_FILE
    data = safe_load(path.read_text(encoding="utf-8")) or {}
    for key in ("title", "intro", "privacy_note", "privacy_note_chat", "columns", "buttons", "status", "sources"):
        if not data.get(key):
            raise ProcessReviewError(f"{path}: '{key}' saknas")
    flow = flow or load_flows().flows[FLOW]
    ranking = flow.extra["ranking"]
    weighted = [q for q in flow.questions.values() if q.weight]
    first = weighted[0].options
    data["process_label"] = QUESTION_NUMBER.sub("", flow.questions[PROCESS_SLOT].text)
    data["processes"] = [{"id": o.value, "title": o.title} for o in flow.questions[PROCESS_SLOT].options.values()]
    data["process_id"] = PROCESS_SLOT
    data["answers"] = {key: {"title": first[key].title, "likelihood": n} for key, n in ranking["likelihood"].items()}
    data["levels"] = ranking["levels"]
    data["questions"] = [
        {
            "id": q.slot,
            "text": QUESTION_NUMBER.sub("", q.text),
            "risk": q.risk,
            "measure": q.measure,
            "weight": q.weight,
        }
        for q in weighted
    ]
    return ProcessReview(data, flow)
