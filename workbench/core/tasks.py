"""Background tasks with an owner: a failure is always reported, never left unretrieved.

``asyncio.create_task`` keeps only a weak reference to its task, and a task that fails with no
one awaiting it ends as "Task exception was never retrieved" on stderr at garbage collection, if
at all. :func:`spawn` keeps a strong reference until the task ends, retrieves its exception in a
done-callback and hands it to ``on_error`` (when given), else to every reporter registered with
:func:`add_reporter` (the TUI shows a notification), else to the ``workbench.tasks`` logger.
Cancellation is not a failure. Awaiting a spawned task still raises its exception as usual.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from functools import partial
from typing import Any, TypeVar

T = TypeVar("T")
Reporter = Callable[[str, BaseException], None]
"""``(task name, exception) -> None``; called on the event loop's thread."""

log = logging.getLogger("workbench.tasks")
_live: set[asyncio.Future[Any]] = set()
_reporters: list[Reporter] = []


def spawn(coro: Coroutine[Any, Any, T], *, name: str, on_error: Reporter | None = None) -> asyncio.Task[T]:
    """Start ``coro`` as a task named ``name`` on the running loop; report its failure.

    Args:
        coro: the coroutine to run.
        name: a short name for messages (``"journal"``, ``"plugin:git"``).
        on_error: called with ``(name, exception)`` if the task fails (instead of the reporters).

    Returns:
        The task (await or cancel it as usual).
    """
    task = asyncio.get_running_loop().create_task(coro, name=name)
    watch(task, on_error=on_error)
    return task


def watch(future: asyncio.Future[Any], *, on_error: Reporter | None = None) -> asyncio.Future[Any]:
    """Supervise an existing task or future the same way as :func:`spawn`; returns it."""
    _live.add(future)
    future.add_done_callback(partial(_done, on_error))
    return future


def _done(on_error: Reporter | None, future: asyncio.Future[Any]) -> None:
    _live.discard(future)
    if future.cancelled():
        return
    exc = future.exception()  # retrieving it here is what silences "never retrieved"
    if exc is None:
        return
    name = future.get_name() if isinstance(future, asyncio.Task) else "background task"
    report(name, exc, on_error)


def report(name: str, exc: BaseException, on_error: Reporter | None = None) -> None:
    """Report a background failure to ``on_error``, else the reporters, else the log."""
    targets = [on_error] if on_error is not None else list(_reporters)
    delivered = False
    for target in targets:
        try:
            target(name, exc)
            delivered = True
        except Exception:  # a broken reporter must not hide the failure
            log.exception("reporting the failure of %s failed", name)
    if not delivered:
        log.error("background task %s failed: %s", name, exc or type(exc).__name__)


def add_reporter(reporter: Reporter) -> Callable[[], None]:
    """Register ``reporter`` for failures of tasks without ``on_error``; returns its remover."""
    _reporters.append(reporter)

    def remove() -> None:
        if reporter in _reporters:
            _reporters.remove(reporter)

    return remove


def running() -> int:
    """How many supervised tasks have not finished yet."""
    return len(_live)
