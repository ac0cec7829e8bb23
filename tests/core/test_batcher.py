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

    b = DeltaBatcher(cb, 0.05, min_chars=0)
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

    b = DeltaBatcher(slow_cb, 0.01, min_chars=0)
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


async def test_waits_grow_so_a_long_reply_makes_few_batches() -> None:
    """A steady stream (20 KB over ~1.5 s) becomes a handful of batches: the waits grow 1.5x from
    the first 75 ms to 0.5 s; every character arrives, in order."""
    loop = asyncio.get_running_loop()
    flushed: list[tuple[float, str]] = []

    async def cb(text: str, reasoning: str) -> None:
        flushed.append((loop.time(), text))

    b = DeltaBatcher(cb, 0.075)
    text = "".join(f"word{i} " for i in range(3000))[:20_000]
    started = loop.time()
    for i in range(0, len(text), 40):
        b.add(text=text[i : i + 40])
        await asyncio.sleep(0.003)
    await b.close()
    duration = loop.time() - started
    assert "".join(t for _, t in flushed) == text and b.text == text
    # 75+112+169+253+380 ms cover the first second; then one batch per 0.5 s at most (+ close).
    assert len(flushed) <= 6 + duration / 0.5, (len(flushed), duration)
    gaps = [b2 - a2 for (a2, _), (b2, _) in zip(flushed, flushed[1:-1])]
    assert all(g >= 0.07 for g in gaps), gaps  # never faster than the base interval


async def test_slow_writes_stretch_the_wait() -> None:
    """A write that takes 0.2 s makes the next wait at least 4 x 0.2 s (the log is not kept busy)."""
    loop = asyncio.get_running_loop()
    calls: list[tuple[float, float]] = []

    async def slow_cb(text: str, reasoning: str) -> None:
        start = loop.time()
        await asyncio.sleep(0.2)
        calls.append((start, loop.time()))

    b = DeltaBatcher(slow_cb, 0.02, min_chars=0)
    b.add(text="first batch")
    while not calls:
        b.add(text=".")
        await asyncio.sleep(0.01)
    for _ in range(20):  # keep streaming while the next wait runs
        b.add(text=".")
        await asyncio.sleep(0.02)
    while len(calls) < 2:
        b.add(text=".")
        await asyncio.sleep(0.02)
    await b.close()
    assert calls[1][0] - calls[0][1] >= 0.8 - 0.01, calls


async def test_a_failed_write_stops_the_batcher_and_is_not_left_unretrieved() -> None:
    """The write error is raised by add() and close(), not lost in the timer task ("Task exception
    was never retrieved") and not retried every interval."""
    import gc

    loop = asyncio.get_running_loop()
    unhandled: list[dict] = []
    loop.set_exception_handler(lambda _loop, ctx: unhandled.append(ctx))
    attempts = 0

    async def failing(text: str, reasoning: str) -> None:
        nonlocal attempts
        attempts += 1
        raise OSError(28, "No space left on device")

    b = DeltaBatcher(failing, 0.01, min_chars=0)
    b.add(text="x")
    while b.error is None:
        await asyncio.sleep(0.01)
    with pytest.raises(OSError):
        b.add(text="y")
    with pytest.raises(OSError):
        await b.close()
    assert attempts == 1
    del b
    gc.collect()
    await asyncio.sleep(0)
    loop.set_exception_handler(None)
    assert unhandled == []
