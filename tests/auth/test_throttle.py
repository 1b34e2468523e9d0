"""The failed-login slow-down, on a fake clock: who waits, how long, and who never does."""

import asyncio

import pytest

from loadmaster.auth.throttle import LoginThrottle


class FakeTime:
    """A clock that only moves when the code under test sleeps (or the test says so)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def time_() -> FakeTime:
    return FakeTime()


@pytest.fixture
def throttle(time_: FakeTime) -> LoginThrottle:
    return LoginThrottle(clock=time_.clock, sleep=time_.sleep)


def fail(throttle: LoginThrottle, keys: list[tuple[str, str]]) -> None:
    throttle.wait_before_attempt(keys)
    throttle.failed(keys)


def test_five_failures_pass_freely_then_delays_double_up_to_the_cap(
    throttle: LoginThrottle, time_: FakeTime
) -> None:
    keys = throttle.keys("bob", None)
    for _ in range(12):
        fail(throttle, keys)
    assert time_.slept == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0, 4.0]


def test_other_users_are_never_slowed(throttle: LoginThrottle, time_: FakeTime) -> None:
    for _ in range(8):
        fail(throttle, throttle.keys("bob", None))
    slept = list(time_.slept)
    throttle.wait_before_attempt(throttle.keys("alice", None))
    assert time_.slept == slept


def test_a_correct_password_clears_the_user_but_not_the_address(
    throttle: LoginThrottle, time_: FakeTime
) -> None:
    for i in range(25):
        fail(throttle, throttle.keys(f"user{i}", "10.0.0.1"))
    assert throttle.failures(("addr", "10.0.0.1")) == 25
    throttle.succeeded("user24")
    assert throttle.failures(("user", "user24")) == 0
    assert throttle.failures(("addr", "10.0.0.1")) == 25
    # Twenty failures from one address (many users may share it) before it is slowed.
    assert len(time_.slept) == 5
    # An address delays the others sharing it by at most a second.
    assert time_.slept == [0.5, 1.0, 1.0, 1.0, 1.0]
    slept = len(time_.slept)
    throttle.wait_before_attempt(throttle.keys("somebody", "10.0.0.1"))
    assert len(time_.slept) == slept + 1
    throttle.wait_before_attempt(throttle.keys("somebody", "10.0.0.2"))
    assert len(time_.slept) == slept + 1


def test_the_count_starts_again_after_the_window(throttle: LoginThrottle, time_: FakeTime) -> None:
    keys = throttle.keys("bob", None)
    for _ in range(6):
        fail(throttle, keys)
    time_.now += 901
    assert throttle.failures(("user", "bob")) == 0
    for _ in range(5):
        fail(throttle, keys)
    assert time_.slept == [0.5]


def test_waiting_ends_when_the_delay_has_passed(throttle: LoginThrottle, time_: FakeTime) -> None:
    keys = throttle.keys("bob", None)
    for _ in range(6):
        fail(throttle, keys)
    time_.now += 10
    slept = list(time_.slept)
    throttle.wait_before_attempt(keys)
    assert time_.slept == slept


def test_a_flood_never_delays_an_attempt_beyond_the_cap(
    throttle: LoginThrottle, time_: FakeTime
) -> None:
    # A thousand failures without waiting (many attackers at once): the next attempt, the
    # owner's correct one perhaps, still waits at most the cap, and is then checked.
    keys = throttle.keys("HDB_ADMIN", "10.0.0.9")
    for _ in range(1000):
        throttle.failed(keys)
    assert throttle.throttled("HDB_ADMIN")
    assert throttle.delay(keys) == 4.0
    assert throttle.delay(throttle.keys("alice", "10.0.0.9")) == 1.0
    assert throttle.delay(throttle.keys("alice", "10.0.0.8")) == 0.0
    assert not throttle.throttled("alice")


def test_the_event_loop_waits_with_the_injected_sleep(
    throttle: LoginThrottle, time_: FakeTime
) -> None:
    asyncio.run(throttle.pause(0.5))
    asyncio.run(throttle.pause(0.0))
    assert time_.slept == [0.5]
