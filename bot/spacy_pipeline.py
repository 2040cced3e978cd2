"""Build the Swedish spaCy pipeline the NLU uses and save it to build/spacy/sv.

`sv_core_news_sm` cannot be downloaded on our machines; when it is installed it is used,
otherwise a blank `sv` pipeline with the lookup lemmatizer from spacy-lookups-data.
Run: python -m bot.spacy_pipeline [TARGET]
"""

from __future__ import annotations

import sys
from pathlib import Path

DEFAULT_TARGET = Path("build/spacy/sv")


def build(target: Path = DEFAULT_TARGET) -> str:
    import spacy

    try:
        nlp = spacy.load("sv_core_news_sm")
        kind = "sv_core_news_sm"
    except OSError:
        nlp = spacy.blank("sv")
        nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
        nlp.initialize()
        kind = "blank sv + lookup lemmatizer"
    target.parent.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(target)
    (target / "KIND").write_text(kind + "\n", encoding="utf-8")
    return kind


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_TARGET
    print(f"spaCy-pipeline: {build(target)} -> {target}")
