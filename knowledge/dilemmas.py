"""Dilemma practice ("Öva på ett dilemma", issue 18 §3) as data: cases, choices, why, rule.

Pure Python (PyYAML only): the engine's action asks the cases in the chat, the gateway prints
them on /kunskap/ova. The Swedish text lives in knowledge/dilemmas.yml.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from knowledge.loader import FileCache, safe_load

DILEMMAS_FILE = Path(__file__).resolve().parent / "dilemmas.yml"


class DilemmasError(Exception):
    """dilemmas.yml is invalid; the message lists every problem."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("Dilemmana är ogiltiga:\n" + "\n".join(f"- {p}" for p in problems))


@dataclass(frozen=True)
class Choice:
    id: str
    text: str
    right: bool
    why: str


@dataclass(frozen=True)
class Case:
    id: str
    topic: str
    title: str
    text: str
    choices: tuple[Choice, ...]
    rule: str
    questions: tuple[str, ...]

    def choice(self, choice_id: str | None) -> Choice | None:
        return next((c for c in self.choices if c.id == choice_id), None)

    @property
    def right_choices(self) -> tuple[Choice, ...]:
        return tuple(c for c in self.choices if c.right)


@dataclass(frozen=True)
class Dilemmas:
    texts: dict[str, str]
    sources: tuple[dict[str, Any], ...]
    cases: tuple[Case, ...]

    def case(self, case_id: str | None) -> Case | None:
        return next((c for c in self.cases if c.id == case_id), None)

    def after(self, case_id: str | None) -> Case:
        """The case that follows `case_id` (the first one after the last, or when unknown)."""
        ids = [c.id for c in self.cases]
        index = ids.index(case_id) + 1 if case_id in ids else 0
        return self.cases[index % len(self.cases)]

    def check(self, topic_ids) -> list[str]:
        return [f"dilemmas.{c.id}: ämnet {c.topic!r} finns inte" for c in self.cases if c.topic not in topic_ids]


_LOADED = FileCache()


def load_dilemmas(path: Path | None = None) -> Dilemmas:
    """Read and validate dilemmas.yml, once per process while it is unchanged (loader.FileCache);
    raise DilemmasError naming every problem."""
    path = Path(path) if path else DILEMMAS_FILE
    return _LOADED.get((path,), lambda: _read_dilemmas(path))


def _read_dilemmas(path: Path) -> Dilemmas:
    data = safe_load(path.read_text(encoding="utf-8")) or {}
    problems: list[str] = []
    cases = []
    for raw in data.get("cases") or []:
        where = f"dilemmas.{raw.get('id')}"
        choices = tuple(
            Choice(str(c["id"]), str(c["text"]), bool(c.get("right")), str(c["why"])) for c in raw.get("choices") or []
        )
        if not 2 <= len(choices) <= 4:
            problems.append(f"{where}: 2–4 val behövs")
        if not any(c.right for c in choices):
            problems.append(f"{where}: inget val är rätt")
        if len({c.id for c in choices}) != len(choices):
            problems.append(f"{where}: två val har samma id")
        for key in ("id", "topic", "title", "case", "rule"):
            if not isinstance(raw.get(key), str) or not raw[key].strip():
                problems.append(f"{where}: '{key}' saknas")
        if not raw.get("questions"):
            problems.append(f"{where}: 'questions' saknas")
        cases.append(
            Case(
                str(raw.get("id")),
                str(raw.get("topic")),
                str(raw.get("title")),
                str(raw.get("case", "")).strip(),
                choices,
                str(raw.get("rule")),
                tuple(str(q) for q in raw.get("questions") or ()),
            )
        )
    if len({c.id for c in cases}) != len(cases):
        problems.append("dilemmas: två fall har samma id")
    if len(cases) < 12:
        problems.append("dilemmas: minst 12 fall behövs")
    if problems:
        raise DilemmasError(problems)
    return Dilemmas(texts=dict(data.get("texts") or {}), sources=tuple(data.get("sources") or ()), cases=tuple(cases))
