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

DOC_FILES: dict[str, str] = {f"{doc}.md": doc for doc in DOC_KINDS} | {"bugfix.md": "requirements"}
"""File name -> document kind (a bugfix spec's ``bugfix.md`` is its requirements document)."""


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


def _editor_temp(name: str) -> bool:
    """Editors' swap, backup and temp files (``.x.md.swp``, ``x.md~``, ``4913``, ``.#x.md``)."""
    return name.startswith((".#", ".~")) or name.endswith(("~", ".swp", ".swx", ".tmp")) or name == "4913"


class SpecsFolderWatcher:
    """Async iterator over changes to any spec of a workspace (the Specs pane's live reload).

    Watches ``.workbench/specs`` and ``.kiro/specs`` (those that exist) recursively and yields
    once per batch of changes to spec documents or spec folders (editors' temp files ignored).
    When neither exists yet it watches the workspace, ``.workbench`` and ``.kiro`` non-recursively,
    yields when a spec folder appears, and then watches that folder. Built on
    ``watchfiles.awatch`` like ``SpecWatcher``; ``stop()`` ends it within one ``step``.

    Args:
        workspace: the workspace root.
        debounce_ms: changes within this window are merged into one batch.
        step_ms: how often the watcher thread checks for changes and for ``stop()``.
    """

    def __init__(self, workspace: Path, debounce_ms: int = 100, step_ms: int = 50) -> None:
        self.workspace = Path(workspace)
        self.debounce_ms = debounce_ms
        self.step_ms = step_ms
        self._stop = asyncio.Event()

    def stop(self) -> None:
        """End the iteration (safe to call more than once, from the event loop's thread)."""
        self._stop.set()

    def __aiter__(self) -> AsyncIterator[None]:
        return self._iterate()

    def _targets(self) -> tuple[list[Path], bool]:
        """``(paths, recursive)``: the existing spec folders, else their existing parents."""
        from .discovery import SPEC_DIRS

        folders = [self.workspace / rel for rel, _ in SPEC_DIRS]
        existing = [f for f in folders if f.is_dir()]
        if existing:
            return existing, True
        parents = [self.workspace] + [f.parent for f in folders if f.parent.is_dir() and f.parent != self.workspace]
        return parents, False

    async def _iterate(self) -> AsyncIterator[None]:
        from watchfiles import awatch

        from .discovery import SPEC_DIRS

        spec_dirs = {self.workspace / rel for rel, _ in SPEC_DIRS}
        while not self._stop.is_set():
            paths, recursive = self._targets()

            def wanted(_change: object, path: str, recursive: bool = recursive) -> bool:
                p = Path(path)
                if not recursive:  # only a spec folder (or its parent) appearing matters
                    return p in spec_dirs or any(p == d.parent for d in spec_dirs)
                return not _editor_temp(p.name)

            restarted = False
            async for _changes in awatch(
                *paths,
                watch_filter=wanted,
                debounce=self.debounce_ms,
                step=self.step_ms,
                stop_event=self._stop,
                rust_timeout=1000,
                recursive=recursive,
            ):
                yield None
                if self._targets() != (paths, recursive):  # a spec folder appeared or went away
                    restarted = True
                    break
            if not restarted:
                return
