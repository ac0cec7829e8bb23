"""Race tests: a thread swaps workspace entries for symlinks to an outside folder while thousands of
writes run through the guard. The outside folder must never change (issue 3, "Path guard")."""

from __future__ import annotations

import os
import shutil
import sys
import threading
import time
from pathlib import Path

import pytest

from workbench.core.tools.base import ToolContext, ToolError
from workbench.core.tools.edit_tools import EditFileTool
from workbench.core.tools.pathguard import PathRefused
from workbench.core.tools.write_tools import WriteFileTool

WRITES = 3000


def _swap_dir_forever(ws: Path, outside: Path, stop: threading.Event, swaps: list[int]) -> None:
    """Swap ``ws/sub`` (a real folder) for a symlink to ``outside`` and back, until stopped."""
    sub, hidden = ws / "sub", ws / "sub.hidden"
    while not stop.is_set():
        try:
            os.rename(sub, hidden)
        except OSError:
            time.sleep(0)
            continue
        try:
            os.symlink(outside, sub)
        except OSError:
            pass  # the guard re-created 'sub' in the gap: also fine
        time.sleep(0.0002)
        try:
            if sub.is_symlink():
                os.unlink(sub)
            os.rename(hidden, sub)
        except OSError:
            shutil.rmtree(hidden, ignore_errors=True)
        swaps[0] += 1
        time.sleep(0.0002)


@pytest.mark.slow
async def test_dir_swapped_for_symlink_during_writes(ws: Path, outside: Path, snap) -> None:
    (ws / "sub" / "deep").mkdir(parents=True)
    before = snap(outside)
    ctx = ToolContext(ws)
    tool = WriteFileTool()
    stop, swaps = threading.Event(), [0]
    old_interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    swapper = threading.Thread(target=_swap_dir_forever, args=(ws, outside, stop, swaps), daemon=True)
    swapper.start()
    outcomes = {"written": 0, "refused": 0, "other": 0}
    try:
        for i in range(WRITES):
            args = {"path": f"sub/deep/f{i % 10}.txt", "content": f"write {i}\n"}
            try:
                await tool.run(args, ctx)
                outcomes["written"] += 1
            except PathRefused:
                outcomes["refused"] += 1
            except ToolError:
                outcomes["other"] += 1  # e.g. 'sub' briefly missing mid-walk
    finally:
        stop.set()
        swapper.join()
        sys.setswitchinterval(old_interval)
    assert snap(outside) == before, "a write escaped the workspace"
    assert sorted(p.name for p in outside.iterdir()) == ["deep", "secret.txt"]
    assert outcomes["written"] > 0 and outcomes["refused"] > 0, (outcomes, swaps)
    assert swaps[0] > 100


def _swap_file_forever(ws: Path, outside: Path, stop: threading.Event) -> None:
    """Replace ``ws/target.txt`` with a symlink to the outside secret and back, until stopped."""
    link = ws / "target.link"
    while not stop.is_set():
        try:
            os.symlink(outside / "secret.txt", link)
            os.replace(link, ws / "target.txt")
        except OSError:
            pass
        time.sleep(0.0002)
        try:
            (ws / "tmp.real").write_text("old\n")
            os.replace(ws / "tmp.real", ws / "target.txt")
        except OSError:
            pass
        time.sleep(0.0002)


@pytest.mark.slow
async def test_file_swapped_for_symlink_during_writes_and_edits(ws: Path, outside: Path, snap) -> None:
    (ws / "target.txt").write_text("old\n")
    before = snap(outside)
    ctx = ToolContext(ws)
    write, edit = WriteFileTool(), EditFileTool()
    stop = threading.Event()
    swapper = threading.Thread(target=_swap_file_forever, args=(ws, outside, stop), daemon=True)
    swapper.start()
    refused = done = 0
    try:
        for i in range(1000):
            try:
                if i % 2:
                    await write.run({"path": "target.txt", "content": f"new {i}\n"}, ctx)
                else:
                    await edit.run({"path": "target.txt", "old_text": "old", "new_text": "edited"}, ctx)
                done += 1
            except PathRefused:
                refused += 1
            except ToolError:
                pass  # old text already edited away
    finally:
        stop.set()
        swapper.join()
    assert snap(outside) == before
    assert sorted(p.name for p in outside.iterdir()) == ["deep", "secret.txt"]
    assert done > 0 and refused > 0
