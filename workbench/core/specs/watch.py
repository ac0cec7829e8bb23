"""Watching a spec folder for saves made outside the workbench (another editor, git checkout).

Built on ``watchfiles.awatch`` (https://watchfiles.helpmanual.io/api/watch/#watchfiles.awatch),
imported lazily. The watcher yields the set of document kinds (``requirements``, ``design``,
``tasks``) whose files changed; editors' temp and swap files are ignored. ``stop()`` ends the
iteration within one ``step`` (the Rust watcher checks the stop event between steps), so a closed
screen never waits for the watcher's timeout.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

from .models import DOC_KINDS

DOC_FILES: dict[str, str] = {f"{doc}.md": doc for doc in DOC_KINDS}
"""File name -> document kind."""


class SpecWatcher:
    """Async iterator of changed document kinds in one spec folder.

    Args:
        root: the spec folder (``.workbench/specs/<name>``).
        debounce_ms: changes within this window are merged into one batch.
        step_ms: how often the watcher thread checks for changes and for ``stop()``.

    Usage::

        watcher = SpecWatcher(spec.root)
        async for docs in watcher:   # e.g. {"tasks"}
            reload(docs)
        # elsewhere: watcher.stop()
    """

    def __init__(self, root: Path, debounce_ms: int = 100, step_ms: int = 50) -> None:
        self.root = Path(root)
        self.debounce_ms = debounce_ms
        self.step_ms = step_ms
        self._stop = asyncio.Event()

    def stop(self) -> None:
        """End the iteration (safe to call more than once, from the event loop's thread)."""
        self._stop.set()

    def __aiter__(self) -> AsyncIterator[set[str]]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[set[str]]:
        from watchfiles import awatch

        def wanted(_change: object, path: str) -> bool:
            return Path(path).name in DOC_FILES

        async for changes in awatch(
            self.root,
            watch_filter=wanted,
            debounce=self.debounce_ms,
            step=self.step_ms,
            stop_event=self._stop,
            rust_timeout=1000,
            recursive=False,
        ):
            docs = {DOC_FILES[Path(path).name] for _, path in changes}
            if docs:
                yield docs
