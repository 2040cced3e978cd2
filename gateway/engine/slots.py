"""The engine slots of one instance: a bounded number of turns in flight, the rest queued."""

from __future__ import annotations

import asyncio
import collections
import contextlib


class Slots:
    """At most `size` holders at a time; waiters get a slot in arrival order, urgent ones
    (a message about danger right now) before all others."""

    def __init__(self, size: int) -> None:
        self._free = size
        self._waiting: collections.deque[asyncio.Future] = collections.deque()
        self._urgent: collections.deque[asyncio.Future] = collections.deque()

    async def acquire(self, urgent: bool = False) -> None:
        if self._free > 0 and not self._waiting and not self._urgent:
            self._free -= 1
            return
        waiter = asyncio.get_running_loop().create_future()
        (self._urgent if urgent else self._waiting).append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release()  # handed a slot in the same moment it gave up: pass it on
            else:
                with contextlib.suppress(ValueError):  # release() may have dropped it already
                    (self._urgent if urgent else self._waiting).remove(waiter)
            raise

    def release(self) -> None:
        for queue in (self._urgent, self._waiting):
            while queue:
                waiter = queue.popleft()
                if not waiter.done():
                    waiter.set_result(None)  # the slot goes straight to the waiter
                    return
        self._free += 1
