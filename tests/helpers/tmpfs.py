"""A small tmpfs for disk-full tests: mounted on a fresh folder, unmounted afterwards.

Needs ``mount`` as root. Without it the test is skipped locally and fails under ``CI=true``
(CI runs as root), so CI never counts a skipped disk-full test as passing.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest


def mount_unavailable(reason: str) -> None:
    """Skip the current test (locally) or fail it (``CI=true``) with ``reason`` and the fix."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: the disk-full tests must run; CI runs as root)")
    pytest.skip(f"{reason}; run the tests as root to mount a small tmpfs")


@contextlib.contextmanager
def small_tmpfs(mnt: Path, size: str = "2m") -> Iterator[Path]:
    """Mount a tmpfs of ``size`` (mount(8) syntax) on the new folder ``mnt``; yield ``mnt``."""
    mnt.mkdir()
    try:
        proc = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mnt)], capture_output=True, text=True, timeout=30
        )
    except OSError as exc:
        mount_unavailable(f"cannot run mount: {exc}")
    if proc.returncode != 0:
        mount_unavailable(f"mount -t tmpfs is not permitted here: {proc.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True, timeout=30)
