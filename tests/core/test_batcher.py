"""Delta batching and publishing: nothing committed may be lost on the way to the bus, also
when a flush or an emit is cancelled half-way (``Esc``, or the end of a stream)."""

from __future__ import annotations

import asyncio

import pytest

from workbench.core.chat.batcher import DeltaBatcher
from workbench.core.events import Event, EventKind

pytestmark = pytest.mark.timeout(20)


async def test_batches_fragments_by_interval() -> None:
    flushed: list[tuple[str, str]] = []

    async def cb(text: str, reasoning: str) -> None:
        flushed.append((text, reasoning))

    b = DeltaBatcher(cb, 0.05)
    for piece in ("a", "b", "c"):
        b.add(text=piece)
    b.add(reasoning="r")
    assert flushed == []  # nothing is written per fragment
    await asyncio.sleep(0.12)
    assert flushed == [("abc", "r")]
    b.add(text="d")
    await b.close()
    assert flushed == [("abc", "r"), ("d", "")]
    assert (b.text, b.reasoning) == ("abcd", "r")


async def test_close_during_a_timed_flush_loses_nothing() -> None:
    published: list[str] = []

    async def slow_cb(text: str, reasoning: str) -> None:
        await asyncio.sleep(0.05)  # stands for the append on the store thread
        published.append(text)

    b = DeltaBatcher(slow_cb, 0.01)
    b.add(text="hello ")
    await asyncio.sleep(0.03)  # the timer fired and is inside the callback now
    b.add(text="world")
    await b.close()
    assert published == ["hello ", "world"]


async def test_emit_cancelled_mid_append_still_publishes(server, rig_factory) -> None:
    rig = await rig_factory(server.base_url)
    session = await rig.chat.ensure_session()
    sub = rig.bus.subscribe(lambda e: e.kind == EventKind.USER_MESSAGE)
    task = asyncio.create_task(rig.chat.emit(Event(EventKind.USER_MESSAGE, session.id, {"turn_id": "t", "text": "x"})))
    await asyncio.sleep(0)  # the append is running on the store thread
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    event = await asyncio.wait_for(sub.get(), 5)
    stored = await rig.store.events(session.id, kinds=[EventKind.USER_MESSAGE])
    assert stored == [event]
