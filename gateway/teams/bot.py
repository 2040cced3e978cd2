"""The Teams bot: an Agents SDK application whose every turn goes through answer_turn.

Built once per app (gateway.teams.routes' lifespan) from the settings; nothing here runs at
import time. The engine keeps the conversation, so the SDK's turn state stores nothing.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from datetime import datetime

from microsoft_agents.activity import Activity, ActivityTypes
from microsoft_agents.authentication.msal import MsalConnectionManager
from microsoft_agents.hosting.core import (
    AgentApplication,
    AgentAuthConfiguration,
    ApplicationOptions,
    MemoryStorage,
    RouteRank,
    TurnContext,
    TurnState,
)
from microsoft_agents.hosting.fastapi import CloudAdapter

from gateway.chat import answer_turn, late_answer_wait, payload_allowed
from gateway.deps import AppState
from gateway.teams import activities
from gateway.teams.cards import card_activity, reply_activities, text_activity
from gateway.teams.config import SERVICE_CONNECTION, TeamsStrings, auth_configuration
from knowledge import render

log = logging.getLogger("lotsen.teams")
CHANNEL = "teams"  # the statistics' name for this channel
RECORD_TOPIC = "dokumentera"  # an incident record made in Teams counts as one turn about documenting


class _DropActivityDumps(logging.Filter):
    """The SDK logs a rejected activity's whole validation error, which quotes the user's text."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Validation error for Activity")


def quiet_sdk_logs() -> None:
    sdk = logging.getLogger("microsoft_agents.activity.activity")
    if not any(isinstance(f, _DropActivityDumps) for f in sdk.filters):
        sdk.addFilter(_DropActivityDumps())


@dataclass
class TeamsBot:
    config: AgentAuthConfiguration
    adapter: CloudAdapter
    app: AgentApplication
    strings: TeamsStrings

    @classmethod
    def build(cls, state: AppState) -> TeamsBot:
        config = auth_configuration(state.settings)
        strings = TeamsStrings.load()
        quiet_sdk_logs()
        connections = MsalConnectionManager(connections_configurations={SERVICE_CONNECTION: config})
        adapter = CloudAdapter(connection_manager=connections)
        app = AgentApplication[TurnState](
            ApplicationOptions(
                storage=MemoryStorage(),
                turn_state_factory=TurnState,  # no conversation or user state: the engine has it
                # We strip every mention ourselves and send typing only before engine turns.
                remove_recipient_mention=False,
                start_typing_timer=False,
            ),
            connection_manager=connections,
        )
        bot = cls(config=config, adapter=adapter, app=app, strings=strings)
        bot._register(state)
        return bot

    def _register(self, state: AppState) -> None:
        strings = self.strings

        async def on_error(context: TurnContext, error: Exception) -> None:
            # The type only: error messages can quote the activity (ids, text).
            log.error("Teams turn failed: %s", type(error).__name__)
            try:
                await context.send_activity(text_activity(strings.error))
            except Exception as again:  # noqa: BLE001 – the channel itself may be what failed
                log.error("Teams error reply failed: %s", type(again).__name__)

        def guarded(handler):
            # Errors are answered here, before the SDK's own handler logs them with their text.
            @functools.wraps(handler)
            async def run(context: TurnContext, turn_state: TurnState) -> None:
                try:
                    await handler(context, turn_state)
                except Exception as error:  # noqa: BLE001 – answered in Swedish, logged by type only
                    await on_error(context, error)

            return run

        async def on_message(context: TurnContext, _: TurnState) -> None:
            turn = activities.message_turn(context.activity)
            if turn.record is not None:
                await send_record(context, turn.record)
                return
            if turn.problem:
                text = getattr(strings, turn.problem).format(max_chars=activities.MAX_TEXT_CHARS)
                await context.send_activity(text_activity(text))
                return
            session = activities.session_id(context.activity, state.secret)
            if turn.payload is not None and not payload_allowed(state, session, turn.payload):
                await context.send_activity(text_activity(strings.unknown_button))
                return
            await context.send_activity(Activity(type=ActivityTypes.typing))
            answer = await answer_turn(state, session, text=turn.text, payload=turn.payload, channel=CHANNEL)
            await context.send_activities(reply_activities(answer["messages"]))
            if answer["late_answer"]:
                # The 112 answer has gone out; what the engine adds follows as further
                # activities of the same turn (docs/adr/0003-emergency-answer-never-waits.md).
                late, _timed_out = await state.late_answers.wait(session, late_answer_wait(state))
                if late:
                    await context.send_activities(reply_activities(late["messages"]))

        async def send_record(context: TurnContext, values: dict[str, str]) -> None:
            """The incident record back to the person who wrote it (issue 18): not to the
            engine, not to a log, not stored; the statistics only count that one was made."""
            record = render.incident_record()
            made = datetime.now().astimezone().strftime("%Y-%m-%d %H:%M")
            await context.send_activity(text_activity(record.text(values, made)))
            state.statistics.record_turn({"topic": RECORD_TOPIC}, channel=CHANNEL)

        async def on_conversation_update(context: TurnContext, _: TurnState) -> None:
            # Teams adds the bot when someone installs the app; in a team or group chat a
            # greeting would reach everyone, so only a personal chat gets one.
            if activities.is_personal(context.activity) and activities.bot_was_added(context.activity):
                welcome = render.message(strings.welcome, buttons=render.quick_help_buttons(state.kb))
                await context.send_activity(card_activity(welcome))

        async def ignore(context: TurnContext, _: TurnState) -> None:
            # installationUpdate, reactions, typing …: nothing to answer. Routed on purpose,
            # as the SDK logs an unrouted activity together with its text.
            return None

        self.app.activity(ActivityTypes.message)(guarded(on_message))
        self.app.activity(ActivityTypes.conversation_update)(guarded(on_conversation_update))
        self.app.add_route(lambda _context: True, ignore, rank=RouteRank.LAST)
        self.app.error(on_error)
        self.adapter.on_turn_error = on_error
