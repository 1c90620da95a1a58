"""How many connections of a pool may be out at once, handed out first come, first served."""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque


class SlotTimeout(Exception):
    """No slot came free within the time given."""


class Slots:
    """At most `size` holders at a time. A freed slot goes straight to the oldest waiter,
    so one that arrives later cannot take it first (as it can from an asyncio.Queue, whose
    woken getter goes to the back of the line when it loses the race): under steady
    overload every waiter waits about as long as the others, and p99 stays bounded."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._free = size
        self._waiters: deque[asyncio.Future[None]] = deque()

    @property
    def taken(self) -> int:
        return self.size - self._free

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    async def take(self, within: float) -> None:
        if self._free and not self._waiters:
            self._free -= 1
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            async with asyncio.timeout(within):
                await waiter
        except TimeoutError:
            self._left(waiter)
            raise SlotTimeout from None
        except BaseException:
            self._left(waiter)
            raise

    def give(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)  # the slot passes on without ever being free
                return
        self._free += 1

    def _left(self, waiter: asyncio.Future[None]) -> None:
        """A waiter stopped waiting (timed out or cancelled): a slot it was handed in the
        meantime goes on to the next one."""
        if waiter.done() and not waiter.cancelled():
            self.give()
        else:
            waiter.cancel()
            with contextlib.suppress(ValueError):
                self._waiters.remove(waiter)
