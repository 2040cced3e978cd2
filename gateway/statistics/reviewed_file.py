"""nlu_data/reviewed.yml: the questions the editorial team assigned on /statistik/granska.

Rasa NLU YAML with one block per intent (a topic id or out_of_scope), so that the next
`make model` / `make run` trains on them (bot/train.py hashes every file in nlu_data/).
Pure Python and PyYAML; written whole to a temporary file and renamed, so that a training
run never reads half a file.
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import yaml

FILE_NAME = "reviewed.yml"
OUT_OF_SCOPE = "out_of_scope"
RASA_VERSION = "3.1"
HEADER = (
    "# Questions people asked that the assistant did not understand, assigned to a topic (or to\n"
    "# out_of_scope) by the editorial team on /statistik/granska. Written by the gateway\n"
    "# (gateway/statistics/reviewed_file.py); edit or delete lines like any other training data.\n"
)
_SPACE = re.compile(r"\s+")
# Rasa reads "[text](entity)", "[text]{...}" and "[text][...]" as entity annotations; a
# redacted "[namn]" followed by a bracket must stay plain text.
_MARKUP = re.compile(r"\](?=[(\[{])")


class ReviewConflict(Exception):
    """The text is already training data for another intent: Rasa would refuse the data."""

    def __init__(self, intent: str) -> None:
        super().__init__(intent)
        self.intent = intent


def training_line(text: str) -> str:
    """One line of training data: printable, on one line, no entity markup."""
    text = "".join(c if unicodedata.category(c)[0] != "C" else " " for c in text)
    return _MARKUP.sub("] ", _SPACE.sub(" ", text).strip())


def _key(text: str) -> str:
    return training_line(text).casefold()


def read_examples(path: Path) -> dict[str, list[str]]:
    """Examples per intent of one Rasa NLU YAML file, in file order; {} when it is missing."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        return {}
    out: dict[str, list[str]] = {}
    for block in data.get("nlu") or []:
        if isinstance(block, dict) and "intent" in block and isinstance(block.get("examples"), str):
            lines = [
                line.strip()[2:].strip() for line in block["examples"].splitlines() if line.strip().startswith("- ")
            ]
            out.setdefault(str(block["intent"]), []).extend(lines)
    return out


def render(examples: dict[str, list[str]]) -> str:
    """The file's text: one block per intent, every example once."""
    parts = [HEADER, f'version: "{RASA_VERSION}"\n', "nlu:\n"]
    for intent, lines in examples.items():
        unique = list(dict.fromkeys(training_line(t) for t in lines if training_line(t)))
        if not unique:
            continue
        parts.append(f"- intent: {intent}\n  examples: |\n")
        parts.extend(f"    - {line}\n" for line in unique)
    return "".join(parts)


def merge(examples: dict[str, list[str]], more: list[tuple[str, str]]) -> dict[str, list[str]]:
    """examples plus (intent, text) pairs, without a line that is already there."""
    out = {intent: list(lines) for intent, lines in examples.items()}
    seen = {_key(t) for lines in out.values() for t in lines}
    for intent, text in more:
        if _key(text) not in seen and training_line(text):
            seen.add(_key(text))
            out.setdefault(intent, []).append(training_line(text))
    return out


@dataclass
class ReviewedFile:
    """The reviewed.yml of one NLU data folder; `export_only` never writes it."""

    path: Path
    export_only: bool = False

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    @property
    def nlu_dir(self) -> Path:
        return self.path.parent

    def writable(self) -> bool:
        if self.export_only:
            return False
        if self.path.exists():
            return os.access(self.path, os.W_OK) and os.access(self.nlu_dir, os.W_OK)
        return self.nlu_dir.is_dir() and os.access(self.nlu_dir, os.W_OK)

    def known_intent(self, text: str) -> str | None:
        """The intent this text already has anywhere in the NLU data (this file included)."""
        key = _key(text)
        for path in sorted(self.nlu_dir.glob("*.yml")):
            for intent, lines in read_examples(path).items():
                if any(_key(line) == key for line in lines):
                    return intent
        return None

    def check(self, intent: str, text: str) -> bool:
        """False when the text already is training data for this intent (nothing to add);
        ReviewConflict when it is training data for another one."""
        known = self.known_intent(text)
        if known is not None and known != intent:
            raise ReviewConflict(known)
        return known is None

    def append(self, intent: str, text: str) -> bool:
        """Add the text under the intent; False when it was already there. Raises OSError
        when the file cannot be written and ReviewConflict (see check)."""
        with self._lock:
            if not self.check(intent, text):
                return False
            content = render(merge(read_examples(self.path), [(intent, text)]))
            self.nlu_dir.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".reviewed-", suffix=".tmp", dir=self.nlu_dir)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as out:
                    out.write(content)
                os.chmod(tmp, 0o644)
                os.replace(tmp, self.path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
            return True

    def download(self, assigned: list[tuple[str, str]]) -> str:
        """The file as it would be with the questions assigned in export-only mode."""
        try:
            current = read_examples(self.path)
        except (OSError, yaml.YAMLError):
            current = {}
        return render(merge(current, assigned))
