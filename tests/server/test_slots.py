"""Password-check slots: never more holders than slots, the least-failing waiter first."""

import asyncio

from loadmaster.server.slots import PrioritySlots


async def _let_queue() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


def test_waiters_get_in_by_priority_then_in_order() -> None:
    async def scenario() -> list[str]:
        slots = PrioritySlots(1)
        order: list[str] = []
        release = asyncio.Event()

        async def first() -> None:
            async with slots.slot(0):
                await release.wait()

        async def waiter(priority: int, name: str) -> None:
            async with slots.slot(priority):
                order.append(name)

        holder = asyncio.create_task(first())
        await _let_queue()
        waiters = [
            asyncio.create_task(waiter(priority, name))
            for priority, name in ((9, "flood 1"), (9, "flood 2"), (0, "owner"), (3, "other"))
        ]
        await _let_queue()
        release.set()
        await asyncio.gather(holder, *waiters)
        return order

    assert asyncio.run(scenario()) == ["owner", "other", "flood 1", "flood 2"]


def test_a_cancelled_waiter_gives_its_turn_away_and_no_more_than_size_hold() -> None:
    async def scenario() -> int:
        slots = PrioritySlots(2)
        holding = most = 0
        release = asyncio.Event()

        async def hold() -> None:
            nonlocal holding, most
            async with slots.slot():
                holding += 1
                most = max(most, holding)
                await release.wait()
                holding -= 1

        tasks = [asyncio.create_task(hold()) for _ in range(6)]
        await _let_queue()
        tasks[3].cancel()
        await _let_queue()
        release.set()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        assert sum(isinstance(r, asyncio.CancelledError) for r in results) == 1
        return most

    assert asyncio.run(scenario()) == 2


def test_free_slots_are_taken_at_once() -> None:
    async def scenario() -> None:
        slots = PrioritySlots(3)
        async with slots.slot(), slots.slot(5), slots.slot(9):
            pass
        async with slots.slot(), slots.slot(), slots.slot():
            pass

    asyncio.run(asyncio.wait_for(scenario(), 10))
