"""Train the Rasa model only when its inputs changed: python -m bot.train [--force].

Rasa's own fingerprinting would also skip unchanged training, but only after importing
TensorFlow and loading the data (tens of seconds); a content hash decides in milliseconds.
Every file in the NLU folder counts, nlu_data/reviewed.yml (the questions assigned on
/statistik/granska) included. `--nlu DIR --out DIR` trains from another copy of the NLU
data into another folder (the review loop's end-to-end test).
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
from pathlib import Path

MODEL_DIR = Path("models")
MODEL_NAME = "lotsen"
NLU_DIR = Path("nlu_data")
INPUTS = (
    "bot/config.yml",
    "bot/domain",
    "bot/rules",
    "bot/components",
    "build/spacy/sv/KIND",
    "knowledge/emergency_lexicon.yml",
    "knowledge/emergency.py",
    # The flows' domain and rules are derived from these at training time (bot/flows_importer.py).
    "knowledge/flows.yml",
    "knowledge/flows.schema.json",
    "knowledge/flows.py",
    "bot/flows_importer.py",
)


def fingerprint(nlu_dir: Path = NLU_DIR) -> str:
    digest = hashlib.sha256()
    # The NLU folder in its old place among the inputs: an unchanged tree keeps its fingerprint.
    for root in (*INPUTS[:4], nlu_dir, *INPUTS[4:]):
        path = Path(root)
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            if "__pycache__" in file.parts:
                continue
            digest.update(str(file).encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()


def train(force: bool = False, nlu_dir: Path = NLU_DIR, model_dir: Path = MODEL_DIR) -> Path:
    model = model_dir / f"{MODEL_NAME}.tar.gz"
    stamp = model_dir / f"{MODEL_NAME}.fingerprint"
    current = fingerprint(nlu_dir)
    if not force and model.exists() and stamp.exists() and stamp.read_text().strip() == current:
        print(f"Modellen är aktuell: {model}")
        return model
    cmd = [
        sys.executable,
        "-m",
        "rasa",
        "train",
        "--config",
        "bot/config.yml",
        "--domain",
        "bot/domain",
        "--data",
        str(nlu_dir),
        "bot/rules",
        "--out",
        str(model_dir),
        "--fixed-model-name",
        MODEL_NAME,
    ]
    subprocess.run(cmd, check=True)
    stamp.write_text(current + "\n")
    return model


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Träna modellen om dess indata har ändrats")
    parser.add_argument("--force", action="store_true")
    parser.add_argument("--nlu", type=Path, default=NLU_DIR)
    parser.add_argument("--out", type=Path, default=MODEL_DIR)
    args = parser.parse_args(argv)
    train(force=args.force, nlu_dir=args.nlu, model_dir=args.out)


if __name__ == "__main__":
    main(sys.argv[1:])
