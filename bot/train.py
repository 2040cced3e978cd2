"""Train the Rasa model only when its inputs changed: python -m bot.train [--force].

Rasa's own fingerprinting would also skip unchanged training, but only after importing
TensorFlow and loading the data (tens of seconds); a content hash decides in milliseconds.
"""
from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

MODEL_DIR = Path("models")
MODEL_NAME = "lotsen"
INPUTS = ("bot/config.yml", "bot/domain", "bot/rules", "bot/components", "nlu_data", "build/spacy/sv/KIND", "knowledge/emergency_lexicon.yml", "knowledge/emergency.py")


def fingerprint() -> str:
    digest = hashlib.sha256()
    for root in INPUTS:
        path = Path(root)
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            if "__pycache__" in file.parts:
                continue
            digest.update(str(file).encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()


def train(force: bool = False) -> Path:
    model = MODEL_DIR / f"{MODEL_NAME}.tar.gz"
    stamp = MODEL_DIR / f"{MODEL_NAME}.fingerprint"
    current = fingerprint()
    if not force and model.exists() and stamp.exists() and stamp.read_text().strip() == current:
        print(f"Modellen är aktuell: {model}")
        return model
    cmd = [
        sys.executable, "-m", "rasa", "train",
        "--config", "bot/config.yml", "--domain", "bot/domain",
        "--data", "nlu_data", "bot/rules",
        "--out", str(MODEL_DIR), "--fixed-model-name", MODEL_NAME,
    ]
    subprocess.run(cmd, check=True)
    stamp.write_text(current + "\n")
    return model


if __name__ == "__main__":
    train(force="--force" in sys.argv[1:])
