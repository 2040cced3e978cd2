"""The engine client: Rasa's REST channel and the health of Rasa and the action server."""
from __future__ import annotations

import asyncio
from typing import Any

import httpx


class EngineUnavailable(Exception):
    """Rasa did not answer in time or at all; the gateway answers on its own instead."""


class EngineClient:
    def __init__(self, rasa_url: str, actions_url: str, timeout: float, health_timeout: float,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._rasa_url = rasa_url.rstrip("/")
        self._actions_url = actions_url.rstrip("/")
        self._health_timeout = health_timeout
        # One pooled client per process: connection set-up would otherwise dominate latency.
        self._http = httpx.AsyncClient(timeout=timeout, transport=transport)

    async def close(self) -> None:
        await self._http.aclose()

    async def send(self, session_id: str, message: str) -> list[dict[str, Any]]:
        """Send a text or a '/intent' payload; returns Rasa's bot messages for this turn."""
        try:
            response = await self._http.post(
                f"{self._rasa_url}/webhooks/rest/webhook", json={"sender": session_id, "message": message}
            )
            response.raise_for_status()
            data = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise EngineUnavailable(str(exc) or type(exc).__name__) from exc
        if not isinstance(data, list):
            raise EngineUnavailable("unexpected reply from Rasa")
        return [item for item in data if isinstance(item, dict)]

    async def _up(self, url: str) -> bool:
        try:
            response = await self._http.get(url, timeout=self._health_timeout)
            return response.status_code == 200
        except httpx.HTTPError:
            return False

    async def health(self) -> tuple[bool, bool]:
        """(engine up, action server up), checked concurrently within the health timeout."""
        return tuple(await asyncio.gather(self._up(f"{self._rasa_url}/"), self._up(f"{self._actions_url}/health")))
