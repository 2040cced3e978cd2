"""Which button payloads each session was offered, so that only those are accepted back."""
from __future__ import annotations

import time
from collections import OrderedDict


class OfferedPayloads:
    """A bounded, expiring map session id → offered payloads (least recently used goes first)."""

    def __init__(self, ttl_seconds: int, max_sessions: int = 100_000, clock=time.monotonic) -> None:
        self._ttl = ttl_seconds
        self._max = max_sessions
        self._clock = clock
        self._data: OrderedDict[str, tuple[float, set[str]]] = OrderedDict()

    def offer(self, session_id: str, payloads: list[str]) -> None:
        if not payloads:
            return
        _, known = self._data.pop(session_id, (0.0, set()))
        known.update(payloads)
        self._data[session_id] = (self._clock(), known)
        while len(self._data) > self._max:
            self._data.popitem(last=False)

    def was_offered(self, session_id: str, payload: str) -> bool:
        entry = self._data.get(session_id)
        if entry is None:
            return False
        stamp, known = entry
        if self._clock() - stamp > self._ttl:
            del self._data[session_id]
            return False
        return payload in known

    def forget(self, session_id: str) -> None:
        self._data.pop(session_id, None)
