"""Failed-login slow-down: after repeated failures, a user or address waits before each try.

Each failed password check counts against the user name and, when known, the client address.
Once a key has failed ``threshold`` times within ``window`` seconds, the next attempt for it
waits ``base_delay * 2 ** (failures - threshold)`` seconds before the password is checked, at
most ``max_delay`` (4 s) for a user name and ``address_max_delay`` (1 s) for an address, so
guessing runs at a few attempts a second per key while nobody waits longer than that.

The throttle only ever delays: every attempt is checked in the end, so a correct password is
never refused, however many wrong ones are sent for the same user (a correct password already
verified once is answered from the credential cache without waiting at all). The CPU that
attempts can burn is bounded elsewhere: at most a few password hashes run at once (see
``loadmaster.server.credentials``), attempts on throttled users after the others.
"""

import asyncio
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

#: Entries kept before stale ones are pruned (bounds memory under a spray of names).
_MAX_ENTRIES = 50_000


@dataclass(slots=True)
class _Entry:
    failures: int = 0
    last_failure: float = 0.0
    next_allowed: float = 0.0


class LoginThrottle:
    """Count failed logins per user and per client address and delay further attempts.

    Args:
        clock: Monotonic seconds; injectable so that tests are deterministic.
        sleep: Blocks the calling thread for the given seconds; injectable for tests. The
            event loop's waits (:meth:`pause`) use it too when it is not ``time.sleep``.
        user_threshold: Failures of one user name before its attempts are delayed.
        address_threshold: Failures from one address before its attempts are delayed (higher,
            since many people may share an address).
        base_delay: The first delay, doubled with each further failure.
        max_delay: The longest delay of an attempt for a user name.
        address_max_delay: The longest delay an address adds (other users sharing an
            attacker's address wait at most this long).
        window: Seconds after the last failure at which a key's count starts again.
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        user_threshold: int = 5,
        address_threshold: int = 20,
        base_delay: float = 0.5,
        max_delay: float = 4.0,
        address_max_delay: float = 1.0,
        window: float = 900.0,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._thresholds = {"user": user_threshold, "addr": address_threshold}
        self._caps = {"user": max_delay, "addr": address_max_delay}
        self._base_delay = base_delay
        self._window = window
        self._lock = threading.Lock()
        self._entries: dict[tuple[str, str], _Entry] = {}

    @staticmethod
    def keys(username: str, client: str | None) -> list[tuple[str, str]]:
        """Return the keys an attempt counts against: the user name and, if known, the address."""
        keys = [("user", username)]
        if client:
            keys.append(("addr", client))
        return keys

    def delay(self, keys: Sequence[tuple[str, str]]) -> float:
        """Return the seconds an attempt on ``keys`` waits before it is checked (0: none).

        Never more than the largest cap of its keys, however many failures follow.
        """
        with self._lock:
            now = self._clock()
            wait = 0.0
            for key in keys:
                entry = self._entries.get(key)
                if entry is not None:
                    wait = max(wait, min(entry.next_allowed - now, self._caps[key[0]]))
            return wait

    def throttled(self, username: str) -> bool:
        """Tell whether a user name has failed often lately (its attempts are delayed, and
        checked after those of other users)."""
        with self._lock:
            entry = self._entries.get(("user", username))
            return (
                entry is not None
                and entry.failures >= self._thresholds["user"]
                and self._clock() - entry.last_failure <= self._window
            )

    def wait_before_attempt(self, keys: Sequence[tuple[str, str]]) -> None:
        """Block the calling thread for the :meth:`delay` of an attempt on ``keys``."""
        wait = self.delay(keys)
        if wait > 0:
            self._sleep(wait)

    async def pause(self, seconds: float) -> None:
        """Wait on the event loop (no thread held) for a :meth:`delay`."""
        if seconds <= 0:
            return
        if self._sleep is time.sleep:
            await asyncio.sleep(seconds)
        else:
            self._sleep(seconds)

    def failed(self, keys: Sequence[tuple[str, str]]) -> None:
        """Count a failed attempt against each key and set its next allowed time."""
        with self._lock:
            now = self._clock()
            if len(self._entries) >= _MAX_ENTRIES:
                self._prune(now)
            for key in keys:
                entry = self._entries.setdefault(key, _Entry())
                if now - entry.last_failure > self._window:
                    entry.failures = 0
                entry.failures += 1
                entry.last_failure = now
                over = entry.failures - self._thresholds[key[0]]
                if over >= 0:
                    delay = min(self._caps[key[0]], self._base_delay * 2.0 ** min(over, 32))
                    entry.next_allowed = now + delay

    def succeeded(self, username: str) -> None:
        """Forget a user's failures after a correct password.

        The address count is kept: one good login of an attacker's own account must not
        reset the guesses made from that address at other accounts.
        """
        with self._lock:
            self._entries.pop(("user", username), None)

    def failures(self, key: tuple[str, str]) -> int:
        """Return the failures currently counted against a key (for diagnostics and tests)."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or self._clock() - entry.last_failure > self._window:
                return 0
            return entry.failures

    def _prune(self, now: float) -> None:
        stale = [k for k, e in self._entries.items() if now - e.last_failure > self._window]
        for key in stale:
            del self._entries[key]
        if len(self._entries) >= _MAX_ENTRIES:
            # A spray of distinct names within one window: forgetting is safer than growing.
            self._entries.clear()
