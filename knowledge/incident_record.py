"""The private incident record ("Dokumentera händelsen", issue 18 §1) as data.

Pure Python (PyYAML only): the knowledge pages render the form from it, the chat answers of
the topics in `offered_from` link to it, and Teams builds its Adaptive Card from it. Nothing
here ever sees what a person writes into the record.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from knowledge.loader import safe_load

RECORD_FILE = Path(__file__).resolve().parent / "incident_record.yml"
KINDS = ("short", "long", "choice")


class IncidentRecordError(Exception):
    """incident_record.yml is invalid."""


@dataclass(frozen=True)
class Field:
    id: str
    label: str
    kind: str
    hint: str = ""
    options: tuple[str, ...] = ()


@dataclass(frozen=True)
class IncidentRecord:
    texts: dict[str, Any]
    fields: tuple[Field, ...]
    offered_from: tuple[str, ...]

    @property
    def link(self) -> dict[str, str]:
        return {"title": self.texts["link_title"], "url": self.texts["url"]}

    def text(self, values: dict[str, str], made: str) -> str:
        """The record as plain text, as the browser script writes it (Teams uses this)."""
        lines = [self.texts["record_heading"], f"{self.texts['record_made']}: {made}", ""]
        for f in self.fields:
            value = (values.get(f.id) or "").strip()
            if value:
                lines += [f"{f.label}", value, ""]
        return "\n".join(lines).rstrip() + "\n"


def load_incident_record(path: Path | None = None) -> IncidentRecord:
    """Read and check incident_record.yml; raise IncidentRecordError naming the problem."""
    path = Path(path) if path else RECORD_FILE
    data = safe_load(path.read_text(encoding="utf-8")) or {}
    fields = []
    for raw in data.get("fields") or []:
        kind = raw.get("kind")
        if kind not in KINDS or not raw.get("id") or not raw.get("label"):
            raise IncidentRecordError(f"{path}: fältet {raw!r} saknar id, label eller en giltig kind")
        options = tuple(str(o) for o in raw.get("options") or ())
        if (kind == "choice") != bool(options):
            raise IncidentRecordError(f"{path}: fältet {raw['id']!r}: bara kind 'choice' har options")
        fields.append(Field(str(raw["id"]), str(raw["label"]), kind, str(raw.get("hint") or ""), options))
    if not fields:
        raise IncidentRecordError(f"{path}: 'fields' saknas")
    texts = {k: v for k, v in data.items() if k not in ("fields", "offered_from")}
    for key in ("title", "intro", "emergency", "link_title", "url", "buttons", "status", "download_name"):
        if key not in texts:
            raise IncidentRecordError(f"{path}: '{key}' saknas")
    return IncidentRecord(texts=texts, fields=tuple(fields), offered_from=tuple(data.get("offered_from") or ()))
