"""The Matrix bot: a mautrix client in the gateway process whose every turn goes through answer_turn.

Started by the app's lifespan (gateway.matrix.routes) when LOTSEN_MATRIX_* is set. It syncs
with the homeserver, accepts invitations from allowed servers or users, answers everything in
a direct chat and, in a room, only messages that mention it or reply to it. Encrypted rooms
work through mautrix's OlmMachine; the Olm account, the sessions and the room state live in
SQLite files under the store directory, the account encrypted with a key derived from the
server secret. Neither decrypted text nor Matrix ids are ever logged.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sys
import time
from collections import OrderedDict
from typing import cast

from mautrix.client import Client, DecryptionDispatcher, InternalEventType, SyncStream
from mautrix.client.state_store.asyncpg import PgStateStore
from mautrix.crypto import OlmMachine
from mautrix.crypto.store.asyncpg import PgCryptoStateStore, PgCryptoStore
from mautrix.errors import DecryptionError, MatrixError, MUnknownToken, SessionNotFound
from mautrix.types import (
    EncryptedEvent,
    EncryptedMegolmEventContent,
    EventID,
    EventType,
    Membership,
    MemberStateEventContent,
    MessageEvent,
    MessageType,
    RoomID,
    StateEvent,
    UserID,
)
from mautrix.util.async_db import Database
from mautrix.util.logging import TraceLogger
from pydantic import TypeAdapter, ValidationError

from gateway.chat import answer_turn, late_answer_wait, payload_allowed
from gateway.deps import AppState
from gateway.matrix import messages
from gateway.matrix.config import MatrixConfig, MatrixStrings, invitation_allowed, pickle_key
from gateway.schemas import Text
from gateway.session_keys import channel_session_id
from knowledge import render

log = logging.getLogger("lotsen.matrix")
CHANNEL = "matrix"  # the statistics' and session ids' name for this channel
DEVICE_NAME = "Påverkanslotsen"
# Lists of choices remembered per sent message (for replies) and per session (for a bare
# number); both bounded, as a bot in many rooms would otherwise grow without end.
MAX_REMEMBERED = 5000
# Room keys can arrive a moment after the message they open (another to-device batch).
KEY_WAIT_SECONDS = 10.0
TYPING_MS = 15_000
STORE_FILE = "store.db"
RETRY_SECONDS = (2, 5, 15, 30, 60)
_text = TypeAdapter(Text)
# Matrix ids in a library's log line: @user:server, !room:server, #alias:server.
_MATRIX_ID = re.compile(r"[@!#][^\s:'\"]+:[A-Za-z0-9.\-]+(?::\d+)?")
# m.file, m.image …: nothing the assistant can read. m.notice is what bots send: never answered.
_UNREADABLE = {MessageType.IMAGE, MessageType.FILE, MessageType.AUDIO, MessageType.VIDEO, MessageType.STICKER}


def _source(evt: object) -> SyncStream:
    """The sync stream mautrix's syncer sets on each event it dispatches (not in its type stubs)."""
    return cast(SyncStream, getattr(evt, "source", SyncStream(0)))


class _HideMatrixIds(logging.Filter):
    """mautrix names users and rooms in its warnings; those ids are personal data."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = _MATRIX_ID.sub("<matrix-id>", record.getMessage())
        record.args = None
        record.exc_info = record.exc_text = None  # tracebacks can quote events
        return True


def quiet_library_logs() -> None:
    """mautrix's loggers (mau.*): warnings and worse only, ids hidden, no tracebacks.

    Its debug and trace lines quote decrypted events; they are never switched on here.
    """
    library = logging.getLogger("mau")
    if any(isinstance(f, _HideMatrixIds) for h in library.handlers for f in h.filters):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_HideMatrixIds())
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    library.addHandler(handler)
    library.setLevel(logging.WARNING)
    library.propagate = False
    # It warns about every device that is not cross-signed, i.e. nearly every person's; a
    # message the bot cannot decrypt is logged by the bot itself.
    logging.getLogger("mau.crypto").setLevel(logging.ERROR)


class MatrixBot:
    def __init__(self, state: AppState, config: MatrixConfig, strings: MatrixStrings) -> None:
        self.state = state
        self.config = config
        self.strings = strings
        self._client: Client | None = None
        self._databases: list[Database] = []
        self._task: asyncio.Task | None = None
        self._names: list[str] = []
        # event id → {number: button} of that message; session → the newest answer's choices.
        self._sent_lists: OrderedDict[str, dict[int, dict]] = OrderedDict()
        self._session_lists: OrderedDict[str, dict[int, dict]] = OrderedDict()
        self._locks: OrderedDict[str, asyncio.Lock] = OrderedDict()
        self._skip_before_ms = 0

    @property
    def client(self) -> Client:
        """The connected client; handlers run only after _connect has made it."""
        if self._client is None:
            raise RuntimeError("the Matrix client is not connected yet")
        return self._client

    # --- start and stop ---------------------------------------------------------------------
    def start(self) -> None:
        quiet_library_logs()
        self._task = asyncio.create_task(self._run(), name="matrix-bot")

    async def stop(self) -> None:
        if self._client:
            self._client.stop()
        if self._task:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        for db in self._databases:
            await db.stop()
        if self._client:
            await self._client.api.session.close()

    async def _run(self) -> None:
        """Connect (again and again while the homeserver is unreachable), then sync until stopped."""
        for attempt in range(sys.maxsize):
            try:
                await self._connect()
                break
            except MUnknownToken:
                log.error("Matrix: hemservern godtar inte botens inloggning (LOTSEN_MATRIX_ACCESS_TOKEN/PASSWORD).")
                return
            except (MatrixError, OSError, asyncio.TimeoutError) as exc:
                delay = RETRY_SECONDS[min(attempt, len(RETRY_SECONDS) - 1)]
                log.warning("Matrix: hemservern svarar inte (%s); nytt försök om %d s.", type(exc).__name__, delay)
                await self._close_databases()
                await asyncio.sleep(delay)
        log.info("Matrix: boten är inloggad och lyssnar.")
        await self.client.start(None)

    async def _close_databases(self) -> None:
        for db in self._databases:
            await db.stop()
        self._databases.clear()

    async def _open_database(self) -> Database:
        # One file for both stores: the crypto store asks the state tables who is in a room.
        db = Database.create(
            f"sqlite:{self.config.store_dir / STORE_FILE}",
            upgrade_table=PgCryptoStore.upgrade_table,
            log=logging.getLogger("mau.db"),
        )
        await db.start()
        self._databases.append(db)
        await PgStateStore.upgrade_table.upgrade(db)
        return db

    async def _connect(self) -> None:
        config = self.config
        config.store_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        db = await self._open_database()
        crypto_store = PgCryptoStore(account_id=config.user_id, pickle_key=pickle_key(self.state.secret), db=db)
        state_store = PgCryptoStateStore(db)
        if self._client is None:
            self._client = Client(
                mxid=config.user_id,
                base_url=config.homeserver,
                token=config.access_token,
                state_store=state_store,
                sync_store=crypto_store,
                log=logging.getLogger("mau.client"),
            )
        client = self._client
        client.state_store, client.sync_store = state_store, crypto_store
        stored_device = await crypto_store.get_device_id()
        if config.password:
            # The same device on every start: its keys are the ones people's clients trust.
            await client.login(
                identifier=UserID(config.user_id),
                password=config.password,
                device_id=stored_device or None,
                device_name=DEVICE_NAME,
            )
        else:
            whoami = await client.whoami()
            if whoami.user_id != config.user_id:
                raise MUnknownToken(401, "token of another user")
            if whoami.device_id is None:  # end-to-end encryption needs the token's device
                raise MUnknownToken(401, "token without a device")
            client.device_id = whoami.device_id
        if stored_device and stored_device != client.device_id:
            log.warning("Matrix: ny enhet för boten; krypteringsnycklarna skapas på nytt.")
            await crypto_store.delete()
        crypto = OlmMachine(client, crypto_store, state_store, log=cast(TraceLogger, logging.getLogger("mau.crypto")))
        await crypto.load()
        if stored_device != client.device_id:
            await crypto_store.put_device_id(client.device_id)
        client.crypto = crypto
        # Our own handler decrypts instead: it waits for a room key that is still on its way.
        client.remove_dispatcher(DecryptionDispatcher)
        if crypto.account is None or not crypto.account.shared:
            await crypto.share_keys()
        # A first sync brings old history: answer only what is written from now on.
        if not await crypto_store.get_next_batch():
            self._skip_before_ms = int(time.time() * 1000)
        self._names = [n for n in (await self._own_name(), config.user_id, "@" + config.user_id[1:].split(":")[0]) if n]
        client.add_event_handler(EventType.ROOM_MEMBER, self._guard(self._on_member))
        client.add_event_handler(EventType.ROOM_ENCRYPTED, self._guard(self._on_encrypted))
        client.add_event_handler(EventType.ROOM_MESSAGE, self._guard(self._on_message))
        client.add_event_handler(InternalEventType.SYNC_STOPPED, self._on_sync_stopped)

    async def _own_name(self) -> str | None:
        try:
            return await self.client.get_displayname(UserID(self.config.user_id))
        except MatrixError:
            return None

    async def _on_sync_stopped(self, data: dict) -> None:
        error = data.get("error")
        if error is not None:
            log.error("Matrix: synkroniseringen avbröts (%s).", type(error).__name__)

    def _guard(self, handler):
        async def run(evt) -> None:
            try:
                await handler(evt)
            except Exception as exc:  # noqa: BLE001 – the type only: messages can quote the event
                log.error("Matrix: händelsen kunde inte hanteras (%s).", type(exc).__name__)

        return run

    # --- invitations --------------------------------------------------------------------------
    async def _on_member(self, evt: StateEvent) -> None:
        content = cast(MemberStateEventContent, evt.content)  # ROOM_MEMBER events only
        if evt.state_key != self.config.user_id or content.membership != Membership.INVITE:
            return
        if not (_source(evt) & SyncStream.INVITED_ROOM):
            return
        if not invitation_allowed(self.config, evt.sender):
            log.info("Matrix: en inbjudan från en server som inte är tillåten avböjdes.")
            await self.client.leave_room(evt.room_id)
            return
        await self.client.join_room(evt.room_id, max_retries=2)
        if content.is_direct or await self._is_direct(evt.room_id):
            welcome = render.message(self.strings.welcome, buttons=render.quick_help_buttons(self.state.kb))
            await self.send_answer(evt.room_id, self._session(evt.room_id, evt.sender), [welcome])

    # --- messages -----------------------------------------------------------------------------
    async def _on_encrypted(self, evt: EncryptedEvent) -> None:
        crypto = self.client.crypto
        try:
            decrypted = await crypto.decrypt_megolm_event(evt)
        except SessionNotFound:
            content = evt.content
            session_id = content.session_id if isinstance(content, EncryptedMegolmEventContent) else None
            if not session_id or not await crypto.wait_for_session(evt.room_id, session_id, timeout=KEY_WAIT_SECONDS):
                log.warning("Matrix: ett krypterat meddelande kunde inte läsas (nyckeln kom inte).")
                return
            decrypted = await crypto.decrypt_megolm_event(evt)
        except DecryptionError as exc:
            log.warning("Matrix: ett krypterat meddelande kunde inte läsas (%s).", type(exc).__name__)
            return
        self.client.dispatch_event(decrypted, _source(evt))

    def _session(self, room_id: str, user_id: str) -> str:
        return channel_session_id(self.state.secret, CHANNEL, room_id, user_id)

    def _lock(self, session: str) -> asyncio.Lock:
        # One turn at a time per session, so answers come in the order of the questions.
        lock = self._locks.pop(session, None) or asyncio.Lock()
        self._locks[session] = lock
        while len(self._locks) > MAX_REMEMBERED:
            oldest, old_lock = next(iter(self._locks.items()))
            if old_lock.locked():
                break
            del self._locks[oldest]
        return lock

    async def _is_direct(self, room_id: RoomID) -> bool:
        """A room where the bot and one person are members: the person gets every answer. A
        colleague still invited counts: a room of three where one has not joined yet is no
        direct chat, and a welcome there would reach them all."""
        store = self.client.state_store
        assert store is not None  # set in _connect
        if not await store.has_full_member_list(room_id):
            await self.client.get_state(room_id)  # every member event, invitations included
        return len(await store.get_members(room_id, memberships=(Membership.JOIN, Membership.INVITE))) <= 2

    def _mentions_me(self, raw: dict) -> bool:
        me = self.config.user_id
        mentions = raw.get("m.mentions")
        if isinstance(mentions, dict) and me in (mentions.get("user_ids") or []):
            return True
        formatted = raw.get("formatted_body") or ""
        if f"matrix.to/#/{me}" in formatted:
            return True
        body = (raw.get("body") or "").casefold()
        return any(name.casefold() in body for name in self._names)

    async def _replies_to_me(self, room_id: RoomID, event_id: EventID | None) -> bool:
        if not event_id:
            return False
        if event_id in self._sent_lists:
            return True
        try:
            return (await self.client.get_event(room_id, event_id)).sender == self.config.user_id
        except MatrixError:
            return False

    async def _on_message(self, evt: MessageEvent) -> None:
        if evt.sender == self.config.user_id or evt.timestamp < self._skip_before_ms:
            return
        if not _source(evt) & SyncStream.TIMELINE:
            return
        raw = evt.content.serialize()
        reply_to = evt.content.get_reply_to()
        direct = await self._is_direct(evt.room_id)
        if not direct and not (self._mentions_me(raw) or await self._replies_to_me(evt.room_id, reply_to)):
            return  # a conversation among people in a room: not ours to answer
        session = self._session(evt.room_id, evt.sender)
        async with self._lock(session):
            await self._turn(evt, raw, session, reply_to, direct)

    async def _turn(self, evt: MessageEvent, raw: dict, session: str, reply_to: EventID | None, direct: bool) -> None:
        room = evt.room_id
        quote = None if direct else evt.event_id
        if evt.content.msgtype not in (MessageType.TEXT, MessageType.EMOTE):
            if evt.content.msgtype in _UNREADABLE:
                await self._say(room, session, self.strings.no_text, quote)
            return
        text = messages.plain_text(
            raw.get("body") or "", raw.get("formatted_body") if raw.get("format") == messages.HTML_FORMAT else None
        )
        text = messages.strip_name(text, self._names)
        if not text:
            await self._say(room, session, self.strings.no_text, quote)
            return
        numbered = (
            self._sent_lists.get(reply_to)
            if reply_to and reply_to in self._sent_lists
            else self._session_lists.get(session)
        )
        choice = messages.choose(text, numbered or {})
        payload = choice.payload
        if choice.missing_number is not None:
            await self._say(room, session, self.strings.unknown_choice.format(number=choice.missing_number), quote)
            return
        turn_text: str | None = text
        if payload is not None:
            if not payload_allowed(self.state, session, payload):
                await self._say(room, session, self.strings.unknown_button, quote)
                return
            turn_text = None
        elif len(text) > messages.MAX_TEXT_CHARS:
            await self._say(room, session, self.strings.too_long.format(max_chars=messages.MAX_TEXT_CHARS), quote)
            return
        else:
            try:
                turn_text = _text.validate_python(text)
            except ValidationError:
                await self._say(room, session, self.strings.no_text, quote)
                return
        await self._typing(room, TYPING_MS)
        try:
            answer = await answer_turn(self.state, session, text=turn_text, payload=payload, channel=CHANNEL)
        except Exception as exc:  # noqa: BLE001 – the person gets an answer whatever failed; the type only
            log.error("Matrix: svaret kunde inte tas fram (%s).", type(exc).__name__)
            await self._typing(room, 0)
            await self._say(room, session, self.strings.error, quote)
            return
        await self.send_answer(room, session, answer["messages"], reply_to=quote)
        if answer.get("late_answer"):
            # The 112 answer has gone out; what the engine adds follows as further messages,
            # as in Teams (docs/adr/0003-emergency-answer-never-waits.md).
            await self._typing(room, TYPING_MS)
            late, _ = await self.state.late_answers.wait(session, late_answer_wait(self.state))
            await self.send_answer(room, session, late["messages"] if late else [], keep_choices=not late)

    async def _typing(self, room_id: RoomID, timeout_ms: int) -> None:
        try:
            await self.client.set_typing(room_id, timeout=timeout_ms)
        except MatrixError:
            pass  # only a courtesy

    async def _say(self, room_id: RoomID, session: str, text: str, reply_to: EventID | None) -> None:
        await self.send_answer(room_id, session, [render.message(text)], reply_to=reply_to, keep_choices=True)

    # --- the one send path ----------------------------------------------------------------------
    async def send_answer(
        self,
        room_id: RoomID,
        session: str,
        answer: list[dict],
        reply_to: EventID | None = None,
        keep_choices: bool = False,
    ) -> None:
        """Send an answer's messages in order, each its own event (so the 112 line stands alone
        and first), and remember its numbered choices for a number, a title or a reply."""
        offered: dict[int, dict] = {}
        try:
            for i, message in enumerate(answer):
                first = len(offered) + 1
                content = messages.content(message, self.strings, first=first, page_base=self.config.page_base)
                content["m.mentions"] = {}  # an answer never notifies anyone else
                if reply_to and i == 0:
                    content["m.relates_to"] = {"m.in_reply_to": {"event_id": reply_to}}
                event_id = await self.client.send_message_event(room_id, EventType.ROOM_MESSAGE, content)
                if message["buttons"]:
                    numbered = dict(enumerate(message["buttons"], first))
                    self._remember(self._sent_lists, event_id, numbered)
                    offered.update(numbered)
        except (MatrixError, OSError, asyncio.TimeoutError) as exc:
            log.error("Matrix: svaret kunde inte skickas (%s).", type(exc).__name__)
        finally:
            await self._typing(room_id, 0)
        if offered or not keep_choices:
            # A later bare number means the newest answer's choices; an answer without any ends the old.
            self._remember(self._session_lists, session, offered)

    @staticmethod
    def _remember(store: OrderedDict, key: str, value: dict[int, dict]) -> None:
        store.pop(key, None)
        store[key] = value
        while len(store) > MAX_REMEMBERED:
            store.popitem(last=False)
