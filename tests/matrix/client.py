"""A person's Matrix client for the tests: mautrix with end-to-end encryption, like Element.

It runs on an event loop in a thread of its own, so that the (synchronous) tests can drive it
while it keeps syncing, and records every message it sees in its rooms, decrypted, together
with whether it came encrypted.
"""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from mautrix.client import Client, DecryptionDispatcher, InternalEventType, SyncStream
from mautrix.client.state_store.asyncpg import PgStateStore
from mautrix.crypto import OlmMachine
from mautrix.crypto.store.asyncpg import PgCryptoStateStore, PgCryptoStore
from mautrix.errors import SessionNotFound
from mautrix.types import (
    EncryptedEvent,
    EncryptionAlgorithm,
    EventType,
    MessageEvent,
    RoomCreatePreset,
)
from mautrix.util.async_db import Database


@dataclass(frozen=True)
class Received:
    room_id: str
    sender: str
    event_id: str
    content: dict
    encrypted: bool

    @property
    def body(self) -> str:
        return self.content.get("body", "")

    @property
    def html(self) -> str:
        return self.content.get("formatted_body", "")


class MatrixUser:
    def __init__(self, homeserver: str, user_id: str, password: str, store_dir: Path) -> None:
        self.user_id = user_id
        self._homeserver, self._password, self._store_dir = homeserver, password, store_dir
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name=f"matrix-{user_id}", daemon=True)
        self._thread.start()
        self._lock = threading.Condition()
        self.received: list[Received] = []
        self._databases: list[Database] = []
        self._synced = asyncio.Event()
        self.client: Client | None = None
        self.run(self._start())

    def run(self, coro, timeout: float = 60.0):
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    async def _database(self) -> Database:
        db = Database.create(f"sqlite:{self._store_dir / 'store.db'}", upgrade_table=PgCryptoStore.upgrade_table)
        await db.start()
        await PgStateStore.upgrade_table.upgrade(db)
        self._databases.append(db)
        return db

    async def _start(self) -> None:
        self._store_dir.mkdir(parents=True, exist_ok=True)
        db = await self._database()
        crypto_store = PgCryptoStore(self.user_id, "test-pickle-key", db)
        state_store = PgCryptoStateStore(db)
        client = Client(mxid=self.user_id, base_url=self._homeserver, state_store=state_store, sync_store=crypto_store)
        await client.login(identifier=self.user_id, password=self._password, device_name="test")
        crypto = OlmMachine(client, crypto_store, state_store)
        await crypto.load()
        await crypto_store.put_device_id(client.device_id)
        client.crypto = crypto
        client.remove_dispatcher(DecryptionDispatcher)
        await crypto.share_keys()
        client.add_event_handler(EventType.ROOM_ENCRYPTED, self._on_encrypted)
        client.add_event_handler(EventType.ROOM_MESSAGE, self._on_message)
        client.add_event_handler(InternalEventType.SYNC_SUCCESSFUL, self._on_sync)
        self.client = client
        client.start(None)
        await asyncio.wait_for(self._synced.wait(), 30)

    async def _on_sync(self, _data) -> None:
        self._synced.set()

    async def _on_encrypted(self, evt: EncryptedEvent) -> None:
        crypto = self.client.crypto
        try:
            decrypted = await crypto.decrypt_megolm_event(evt)
        except SessionNotFound:
            if not await crypto.wait_for_session(evt.room_id, evt.content.session_id, timeout=10):
                return
            decrypted = await crypto.decrypt_megolm_event(evt)
        decrypted.unsigned = evt.unsigned
        decrypted.was_encrypted = True
        self.client.dispatch_event(decrypted, evt.source)

    async def _on_message(self, evt: MessageEvent) -> None:
        if not evt.source & SyncStream.TIMELINE:
            return
        item = Received(
            evt.room_id, evt.sender, evt.event_id, evt.content.serialize(), bool(getattr(evt, "was_encrypted", False))
        )
        with self._lock:
            self.received.append(item)
            self._lock.notify_all()

    # --- what a test does ----------------------------------------------------------------------
    def create_room(self, invite: list[str], direct: bool, encrypted: bool = True, name: str | None = None) -> str:
        state = (
            [
                {
                    "type": "m.room.encryption",
                    "state_key": "",
                    "content": {"algorithm": EncryptionAlgorithm.MEGOLM_V1.value},
                }
            ]
            if encrypted
            else []
        )
        preset = RoomCreatePreset.TRUSTED_PRIVATE if direct else RoomCreatePreset.PRIVATE
        return self.run(
            self.client.create_room(is_direct=direct, invitees=invite, initial_state=state, preset=preset, name=name)
        )

    def members(self, room_id: str) -> set[str]:
        return set(self.run(self.client.get_joined_members(room_id)))

    def wait_member(self, room_id: str, user_id: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if user_id in self.members(room_id):
                return
            time.sleep(0.3)
        raise TimeoutError(f"{user_id} gick inte med i rummet inom {timeout:.0f} s")

    def send(self, room_id: str, text: str, reply_to: str | None = None, mention: tuple[str, str] | None = None) -> str:
        """A text message; `mention` = (user id, display name) makes it a pill, as Element does."""
        content: dict = {"msgtype": "m.text", "body": text}
        if mention:
            user_id, name = mention
            content["body"] = f"{name}: {text}"
            content["format"] = "org.matrix.custom.html"
            content["formatted_body"] = f'<a href="https://matrix.to/#/{user_id}">{name}</a>: {text}'
            content["m.mentions"] = {"user_ids": [user_id]}
        if reply_to:
            content["m.relates_to"] = {"m.in_reply_to": {"event_id": reply_to}}
        return self.run(self.client.send_message_event(room_id, EventType.ROOM_MESSAGE, content))

    def mark(self) -> int:
        with self._lock:
            return len(self.received)

    def answer(
        self, room_id: str, sender: str, since: int, timeout: float = 45.0, settle: float = 1.5
    ) -> list[Received]:
        """`sender`'s messages in the room after mark `since`: waits for the first, then until
        `settle` seconds pass without another (an answer is several messages in a row)."""
        deadline = time.monotonic() + timeout
        seen = 0
        quiet_until = None
        with self._lock:
            while True:
                found = [r for r in self.received[since:] if r.room_id == room_id and r.sender == sender]
                if len(found) != seen:
                    seen, quiet_until = len(found), time.monotonic() + settle
                now = time.monotonic()
                if quiet_until and now >= quiet_until:
                    return found
                if now >= deadline:
                    if found:
                        return found
                    raise TimeoutError(f"inget svar från {sender} inom {timeout:.0f} s")
                self._lock.wait(min(0.2, deadline - now))

    def silent(self, room_id: str, sender: str, since: int, seconds: float) -> bool:
        time.sleep(seconds)
        with self._lock:
            return not [r for r in self.received[since:] if r.room_id == room_id and r.sender == sender]

    def close(self) -> None:
        async def stop() -> None:
            self.client.stop()
            for db in self._databases:
                await db.stop()
            await self.client.api.session.close()

        try:
            self.run(stop(), timeout=20)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
            self._loop.close()
