"""The process review for verksamhetsutvecklare ("Granska en process", issue 18 §4) as data.

Pure Python (PyYAML only): the gateway renders /kunskap/granska from it; the browser script
web_widget/process_review.js does the prioritising, so the answers stay in the browser. The
same ranking is here too, for the tests and any other client.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from knowledge.loader import safe_load

REVIEW_FILE = Path(__file__).resolve().parent / "process_review.yml"


class ProcessReviewError(Exception):
    """process_review.yml is invalid."""


@dataclass(frozen=True)
class ProcessReview:
    data: dict[str, Any]

    @property
    def questions(self) -> list[dict[str, Any]]:
        return self.data["questions"]

    def level(self, score: int) -> str | None:
        return next((lv["title"] for lv in self.data["levels"] if score >= lv["min"]), None)

    def ranked(self, answers: Mapping[str, str]) -> list[dict[str, Any]]:
        """Risks with a level, most serious first (likelihood × weight; ties keep the order)."""
        rows = []
        for q in self.questions:
            answer = self.data["answers"].get(answers.get(q["id"], ""))
            score = answer["likelihood"] * q["weight"] if answer else 0
            if score and self.level(score):
                rows.append(
                    {
                        "id": q["id"],
                        "score": score,
                        "level": self.level(score),
                        "risk": q["risk"],
                        "measure": q["measure"],
                    }
                )
        return sorted(rows, key=lambda r: -r["score"])


def load_process_review(path: Path | None = None) -> ProcessReview:
    path = Path(path) if path else REVIEW_FILE
    data = safe_load(path.read_text(encoding="utf-8")) or {}
    for key in ("title", "intro", "questions", "answers", "levels", "columns", "buttons", "status", "sources"):
        if not data.get(key):
            raise ProcessReviewError(f"{path}: '{key}' saknas")
    for q in data["questions"]:
        missing = [k for k in ("id", "text", "risk", "measure", "weight") if not q.get(k)]
        if missing:
            raise ProcessReviewError(f"{path}: frågan {q.get('id')!r} saknar {', '.join(missing)}")
    return ProcessReview(data)
