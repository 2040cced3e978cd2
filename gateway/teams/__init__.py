"""Microsoft Teams for the assistant, on the Microsoft 365 Agents SDK (docs/teams.md).

`router` serves POST /api/messages; the bot behind it is built when the app starts.
"""

from gateway.teams.routes import router

__all__ = ["router"]
