"""When the registry writes: at once for a waiting submitter, settled in groups otherwise."""

import threading

from loadmaster.actors.write_schedule import FLUSH_DELAY, FLUSH_RECORDS, SETTLE, WriteSchedule


class Wakes:
    """Count the schedule's wake-ups and let a test wait for the next one."""

    def __init__(self) -> None:
        self.count = 0
        self._cond = threading.Condition()

    def __call__(self) -> None:
        with self._cond:
            self.count += 1
            self._cond.notify_all()

    def wait_for(self, count: int) -> None:
        with self._cond:
            assert self._cond.wait_for(lambda: self.count >= count, 10)


class Clock:
    """The schedule's time, moved by the test (the wake-up timer runs on real time)."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_record_a_submitter_waits_for_is_written_once_the_inbox_is_empty() -> None:
    clock = Clock()
    schedule = WriteSchedule(Wakes(), clock)
    assert not schedule.due(waited_for=True, idle=True)  # nothing dirty
    schedule.mark("a")
    schedule.mark("b")
    schedule.mark("a")
    assert not schedule.due(waited_for=True, idle=False)
    assert schedule.due(waited_for=True, idle=True)
    clock.now += FLUSH_DELAY * 1.5
    assert schedule.due(waited_for=True, idle=False)  # a busy inbox waits only so long
    assert schedule.take() == ["a", "b"]
    assert not schedule.dirty


def test_other_changes_settle_and_the_timer_wakes_the_registry() -> None:
    wakes, clock = Wakes(), Clock()
    schedule = WriteSchedule(wakes, clock)
    schedule.mark("a")
    assert not schedule.due(waited_for=False, idle=True)
    clock.now += SETTLE / 2
    assert not schedule.due(waited_for=False, idle=True)  # one timer, not one per message
    wakes.wait_for(1)
    schedule.woken()
    clock.now += SETTLE
    assert schedule.due(waited_for=False, idle=True)
    assert schedule.take() == ["a"]
    assert wakes.count == 1


def test_many_changes_are_written_without_waiting() -> None:
    schedule = WriteSchedule(Wakes(), Clock())
    for n in range(FLUSH_RECORDS):
        schedule.mark(str(n))
    assert schedule.due(waited_for=False, idle=False)
    schedule.discard("0")
    assert len(schedule.take()) == FLUSH_RECORDS - 1


def test_after_a_failed_write_only_the_retry_or_a_submitter_writes() -> None:
    wakes, clock = Wakes(), Clock()
    schedule = WriteSchedule(wakes, clock)
    schedule.mark("a")
    schedule.take()
    schedule.mark("a")  # kept dirty after the failure
    schedule.written(failed=True)
    schedule.written(failed=True)  # a retry is already due: no second timer
    clock.now += SETTLE * 1.5
    assert not schedule.due(waited_for=False, idle=True)
    assert schedule.due(waited_for=True, idle=True)
    wakes.wait_for(1)
    schedule.woken()
    assert schedule.due(waited_for=False, idle=True)
    schedule.take()
    schedule.written(failed=False)
    assert wakes.count == 1
