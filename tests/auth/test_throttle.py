"""The failed-login slow-down, on a fake clock: who waits, how long, and who never does."""

import threading

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
    assert throttle.wait_before_attempt(keys)
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
    assert throttle.wait_before_attempt(throttle.keys("alice", None))
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
    slept = len(time_.slept)
    assert throttle.wait_before_attempt(throttle.keys("somebody", "10.0.0.1"))
    assert len(time_.slept) == slept + 1
    assert throttle.wait_before_attempt(throttle.keys("somebody", "10.0.0.2"))
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
    assert throttle.wait_before_attempt(keys)
    assert time_.slept == slept


def test_attempts_beyond_the_waiting_limit_are_refused_unchecked(time_: FakeTime) -> None:
    release = threading.Event()
    entered = threading.Semaphore(0)

    def blocking_sleep(seconds: float) -> None:
        entered.release()
        release.wait(10)

    throttle = LoginThrottle(clock=time_.clock, sleep=blocking_sleep, max_waiting=2)
    keys = throttle.keys("bob", None)
    for _ in range(5):
        throttle.failed(keys)
    results: list[bool] = []
    waiters = [
        threading.Thread(target=lambda: results.append(throttle.wait_before_attempt(keys)))
        for _ in range(2)
    ]
    for thread in waiters:
        thread.start()
    for _ in waiters:
        assert entered.acquire(timeout=10)
    assert throttle.wait_before_attempt(keys) is False
    release.set()
    for thread in waiters:
        thread.join(10)
    assert results == [True, True]
