"""A few slots shared by many waiters, let in by priority: who has failed least goes first.

Password checks take one slot each while scrypt runs. When an attacker floods a user's login
with wrong passwords, the user's own attempt would queue behind all of them in arrival order;
here an attempt from an address without recent failures is let in before those from the
address that keeps failing.
"""

import asyncio
import contextlib
import heapq
import itertools
from collections.abc import AsyncIterator


class PrioritySlots:
    """At most ``size`` holders at once; waiters get in lowest priority first, then in order.

    Args:
        size: How many may hold a slot at once.
    """

    def __init__(self, size: int) -> None:
        self._free = size
        self._waiting: list[tuple[int, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    @contextlib.asynccontextmanager
    async def slot(self, priority: int = 0) -> AsyncIterator[None]:
        """Hold a slot for the ``async with`` body, waiting for one if none is free."""
        if self._free > 0 and not self._waiting:
            self._free -= 1
        else:
            turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            heapq.heappush(self._waiting, (priority, next(self._order), turn))
            try:
                await turn
            except asyncio.CancelledError:
                if turn.done() and not turn.cancelled():
                    # Handed a slot just as the wait was cancelled: pass it on.
                    self._release()
                raise
        try:
            yield
        finally:
            self._release()

    def _release(self) -> None:
        while self._waiting:
            _, _, turn = heapq.heappop(self._waiting)
            if not turn.done():
                turn.set_result(None)
                return
        self._free += 1
