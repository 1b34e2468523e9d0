"""Failed-login slow-down: after repeated failures, a user or address waits before each try.

Each failed password check counts against the user name and, when known, the client address.
Once a key has failed ``threshold`` times within ``window`` seconds, the next attempt for it
waits ``base_delay * 2 ** (failures - threshold)`` seconds (at most ``max_delay``) before the
password is checked, so guessing runs at a few attempts a second at most. Only attempts that
name a throttled key wait: other users' logins are never slowed, and verified credentials are
answered from the credential cache before the throttle is consulted.

Waiting happens on the request's worker thread (handlers run in a thread pool, never on the
event loop). To keep an attacker from tying up every worker with sleeping attempts, at most
``max_waiting`` attempts wait at a time; further attempts on a throttled key are refused at
once, without checking the password, so they learn nothing.
"""

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
        sleep: Blocks the calling thread for the given seconds; injectable for tests.
        user_threshold: Failures of one user name before its attempts are delayed.
        address_threshold: Failures from one address before its attempts are delayed (higher,
            since many people may share an address).
        base_delay: The first delay, doubled with each further failure.
        max_delay: The longest single delay.
        window: Seconds after the last failure at which a key's count starts again.
        max_waiting: Attempts allowed to wait at the same time.
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
        window: float = 900.0,
        max_waiting: int = 16,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._thresholds = {"user": user_threshold, "addr": address_threshold}
        self._base_delay = base_delay
        self._max_delay = max_delay
        self._window = window
        self._max_waiting = max_waiting
        self._lock = threading.Lock()
        self._entries: dict[tuple[str, str], _Entry] = {}
        self._waiting = 0

    @staticmethod
    def keys(username: str, client: str | None) -> list[tuple[str, str]]:
        """Return the keys an attempt counts against: the user name and, if known, the address."""
        keys = [("user", username)]
        if client:
            keys.append(("addr", client))
        return keys

    def wait_before_attempt(self, keys: Sequence[tuple[str, str]]) -> bool:
        """Wait until an attempt on ``keys`` may be checked.

        Returns:
            True when the password may be checked now; False when too many attempts are
            already waiting and this one must be refused unchecked.
        """
        with self._lock:
            now = self._clock()
            wait = 0.0
            for key in keys:
                entry = self._entries.get(key)
                if entry is not None:
                    wait = max(wait, entry.next_allowed - now)
            if wait <= 0:
                return True
            if self._waiting >= self._max_waiting:
                return False
            self._waiting += 1
        try:
            self._sleep(min(wait, self._max_delay))
        finally:
            with self._lock:
                self._waiting -= 1
        return True

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
                    delay = min(self._max_delay, self._base_delay * 2.0 ** min(over, 32))
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
