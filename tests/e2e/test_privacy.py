"""Personal data sent through the chat leaves no trace in the conversation store or the logs;
"Rensa samtalet" removes the conversation from the engine's store."""
from __future__ import annotations

import sqlite3

import httpx
import pytest

from tests.unit.test_redact import PNR10

pytestmark = pytest.mark.e2e

SECRETS = {
    "personnummer": f"{PNR10[:6]}-{PNR10[6:]}",
    "telefon": "070-123 45 67",
    "e-post": "karin.exempel@kommunen.se",
    "adress": "Hotvägen 14",
    "namn": "Zlatan Jovanovic",
}
MESSAGE = (f"Klienten som heter {SECRETS['namn']} ({SECRETS['personnummer']}) ringer mig på "
           f"{SECRETS['telefon']}, mejlar {SECRETS['e-post']} och säger att han vet att jag bor på "
           f"{SECRETS['adress']}. Vad gör jag?")


def ask(stack, session: str, **body) -> dict:
    r = httpx.post(f"{stack.url}/api/chat", json={"session_id": session, **body}, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()


def stored_events(stack, session: str) -> list[str]:
    with sqlite3.connect(stack.data_dir / "tracker.db") as db:
        return [row[0] for row in db.execute("select data from events where sender_id = ?", (session,))]


def store_bytes(stack) -> str:
    return "\n".join(p.read_bytes().decode("utf-8", "replace") for p in sorted(stack.data_dir.glob("tracker.db*")))


def test_personal_data_never_reaches_store_or_logs(stack):
    answer = ask(stack, "e2e-privacy-001", text=MESSAGE)
    assert answer["engine"] == "rasa"
    events = stored_events(stack, "e2e-privacy-001")
    assert events, "the conversation should be stored (redacted)"
    assert any("[personnummer]" in e for e in events)
    stored = "\n".join(events)
    files = {p.name: p.read_bytes().decode("utf-8", "replace") for p in stack.log_dir.glob("*.log")}
    # The database and its write-ahead log: recent writes live in tracker.db-wal first.
    files["tracker.db"] = store_bytes(stack)
    for kind, secret in SECRETS.items():
        assert secret not in stored, kind
        for name, content in files.items():
            assert secret not in content, (kind, name)
        for part in secret.split():
            if len(part) > 4:
                assert part not in files["tracker.db"], (kind, part)


def test_clearing_the_conversation_deletes_it_from_the_engine(stack):
    marker = "Xylofonleverantoren"  # a word no other test writes (ASCII: the store escapes å ä ö)
    ask(stack, "e2e-forget-0001", text=f"{marker} vill ge mig en gåva, får jag ta emot den?")
    assert stored_events(stack, "e2e-forget-0001")
    assert marker in store_bytes(stack)
    r = httpx.post(f"{stack.url}/api/session/clear", json={"session_id": "e2e-forget-0001"}, timeout=30)
    assert r.status_code == 204
    assert stored_events(stack, "e2e-forget-0001") == []
    # Gone from the files too, not only from the query: no free page or log page keeps it.
    assert marker not in store_bytes(stack)
