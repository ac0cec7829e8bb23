"""The background-task supervisor: a failing task is reported once, never "never retrieved"; the
core starts its background tasks only through it."""

from __future__ import annotations

import asyncio
import gc
import logging
import re
from pathlib import Path

import pytest

from workbench.core import tasks

pytestmark = pytest.mark.timeout(20)

CORE = Path(__file__).resolve().parents[2] / "workbench" / "core"


async def _boom() -> None:
    await asyncio.sleep(0)
    raise OSError(28, "No space left on device")


async def _collect_unhandled(loop: asyncio.AbstractEventLoop) -> list[dict]:
    unhandled: list[dict] = []
    loop.set_exception_handler(lambda _loop, ctx: unhandled.append(ctx))
    return unhandled


async def test_failure_goes_to_the_reporters_and_is_retrieved() -> None:
    loop = asyncio.get_running_loop()
    unhandled = await _collect_unhandled(loop)
    seen: list[tuple[str, BaseException]] = []
    remove = tasks.add_reporter(lambda name, exc: seen.append((name, exc)))
    try:
        task = tasks.spawn(_boom(), name="journal")
        while not task.done():
            await asyncio.sleep(0)
        await asyncio.sleep(0)  # done-callbacks run on the next loop iteration
        del task
        gc.collect()
        await asyncio.sleep(0)
    finally:
        remove()
        loop.set_exception_handler(None)
    assert [(n, type(e)) for n, e in seen] == [("journal", OSError)]
    assert unhandled == []
    assert tasks.running() == 0


async def test_on_error_replaces_the_reporters_and_awaiting_still_raises() -> None:
    seen: list[str] = []
    others: list[str] = []
    remove = tasks.add_reporter(lambda name, exc: others.append(name))
    try:
        task = tasks.spawn(_boom(), name="batcher", on_error=lambda name, exc: seen.append(f"{name}: {exc}"))
        with pytest.raises(OSError):
            await task
        await asyncio.sleep(0)
    finally:
        remove()
    assert seen == ["batcher: [Errno 28] No space left on device"] and others == []


async def test_cancellation_is_not_a_failure() -> None:
    seen: list[str] = []
    remove = tasks.add_reporter(lambda name, exc: seen.append(name))
    try:
        task = tasks.spawn(asyncio.sleep(10), name="sleeper")
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.sleep(0)
    finally:
        remove()
    assert seen == []


async def test_without_reporters_the_failure_is_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR, logger="workbench.tasks")
    task = tasks.spawn(_boom(), name="plugin:git")
    while not task.done():
        await asyncio.sleep(0)
    await asyncio.sleep(0)
    messages = [r.getMessage() for r in caplog.records if r.name == "workbench.tasks"]
    assert messages == ["background task plugin:git failed: [Errno 28] No space left on device"]


def test_core_starts_background_tasks_only_through_spawn() -> None:
    """No bare ``create_task``/``ensure_future`` in the core. Allowed: ``ensure_future`` of an
    ``asyncio.to_thread`` call, the shield pattern where the caller itself awaits the future."""
    offenders = []
    for path in sorted(CORE.rglob("*.py")):
        if path.name == "tasks.py" and path.parent == CORE:
            continue
        for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"\bcreate_task\(", line) or (
                re.search(r"\bensure_future\(", line) and "ensure_future(asyncio.to_thread(" not in line
            ):
                offenders.append(f"{path.relative_to(CORE)}:{no}: {line.strip()}")
    assert offenders == [], "use workbench.core.tasks.spawn:\n" + "\n".join(offenders)
