"""Timing helpers for TUI benchmarks: launch a program on a pseudo-terminal, wait for its first frame.

A process is started with stdin/stdout/stderr on the slave side of a fresh pty (``os.openpty``)
of a fixed size, with ``TERM=xterm-256color``. Its output is read from the master side and the
escape sequences are stripped (ECMA-48 CSI/OSC/two-character sequences) until a marker text
appears: that moment is the first frame showing the marker. The process (its own session and
process group) is then killed with SIGKILL.

Also: percentiles and a loop-lag ticker used by the in-process benchmarks.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import re
import select
import signal
import statistics
import struct
import subprocess
import termios
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

# ECMA-48: CSI ... final byte, OSC ... BEL/ST, DCS/APC/PM ... ST, and ESC + one character.
_ESCAPES = re.compile(
    rb"\x1b\[[0-?]*[ -/]*[@-~]"
    rb"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"
    rb"|\x1b[P_^][^\x1b]*\x1b\\"
    rb"|\x1b[@-Z\\-_]"
    rb"|\x1b[()][0-9A-Za-z]"
)


class FirstFrameTimeout(RuntimeError):
    """The marker did not appear on the terminal in time (the message holds the screen text)."""


@dataclass
class LaunchResult:
    """One launch measured on a pty.

    Attributes:
        seconds: from just before ``Popen`` to the read that completed the marker.
        bytes_read: terminal output bytes read until then.
    """

    seconds: float
    bytes_read: int


def strip_escapes(data: bytes) -> str:
    """Return the printable text of terminal output (escape sequences removed)."""
    return _ESCAPES.sub(b"", data).decode("utf-8", "replace")


def time_first_frame(
    argv: Sequence[str],
    marker: str,
    *,
    env: dict[str, str] | None = None,
    cwd: str | None = None,
    columns: int = 120,
    rows: int = 40,
    timeout: float = 30.0,
) -> LaunchResult:
    """Start ``argv`` on a new pty and time it until ``marker`` is on the terminal.

    Args:
        argv: the command line.
        marker: text that the first frame contains (matched after removing escape sequences).
        env: environment (``TERM`` is forced to ``xterm-256color``); None copies ours.
        cwd: working directory.
        columns: terminal width in cells.
        rows: terminal height in cells.
        timeout: seconds to wait for the marker.

    Returns:
        The launch time and the number of bytes read.

    Raises:
        FirstFrameTimeout: the marker did not appear within ``timeout`` or the process ended
            first (the message includes the tail of what it printed).
    """
    environment = dict(os.environ if env is None else env)
    environment["TERM"] = "xterm-256color"
    environment["COLUMNS"], environment["LINES"] = str(columns), str(rows)
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    wanted = marker.encode()
    buf = bytearray()
    started = time.perf_counter()
    proc = subprocess.Popen(
        list(argv),
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=environment,
        cwd=cwd,
        start_new_session=True,
        close_fds=True,
    )
    os.close(slave)
    try:
        deadline = started + timeout
        scanned = 0
        while True:
            left = deadline - time.perf_counter()
            if left <= 0:
                raise FirstFrameTimeout(
                    f"{argv[0]}: {marker!r} not on screen after {timeout:.0f}s; screen text: {strip_escapes(bytes(buf))[-600:]!r}"
                )
            ready, _, _ = select.select([master], [], [], min(left, 0.5))
            if not ready:
                if proc.poll() is not None:
                    raise FirstFrameTimeout(
                        f"{argv[0]} exited with {proc.returncode} before showing {marker!r}: {strip_escapes(bytes(buf))[-600:]!r}"
                    )
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the slave side closed (the process ended)
                chunk = b""
            if not chunk:
                proc.wait(timeout=5)
                raise FirstFrameTimeout(
                    f"{argv[0]} closed the terminal (exit {proc.returncode}) before showing {marker!r}: "
                    f"{strip_escapes(bytes(buf))[-600:]!r}"
                )
            buf += chunk
            # Search only the new text (plus an overlap), escape sequences removed.
            if wanted in _ESCAPES.sub(b"", bytes(buf[max(0, scanned - 256) :])):
                return LaunchResult(time.perf_counter() - started, len(buf))
            scanned = len(buf)
    finally:
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)  # our child's own process group
            except ProcessLookupError:
                pass
        proc.wait(timeout=10)
        os.close(master)


def percentile(values: Sequence[float], pct: float) -> float:
    """Return the ``pct`` percentile (0-100) of ``values`` by linear interpolation (nan if empty)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * pct / 100.0
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def summary(values: Sequence[float]) -> dict[str, float]:
    """Return ``{"n", "mean", "median", "min", "max"}`` of ``values``."""
    return {
        "n": len(values),
        "mean": statistics.fmean(values) if values else float("nan"),
        "median": statistics.median(values) if values else float("nan"),
        "min": min(values) if values else float("nan"),
        "max": max(values) if values else float("nan"),
    }


@dataclass
class LoopLagProbe:
    """Records the gaps between wake-ups of a task sleeping ``interval`` seconds on the running loop.

    A gap much larger than ``interval`` is time the event loop could not run anything else (a key
    press or a paint would have waited as long). Use as ``async with LoopLagProbe() as probe``.
    """

    interval: float = 0.010
    gaps: list[float] = field(default_factory=list)
    """Seconds between consecutive wake-ups."""
    _task: asyncio.Task | None = None

    async def _run(self) -> None:
        last = time.perf_counter()
        while True:
            await asyncio.sleep(self.interval)
            now = time.perf_counter()
            self.gaps.append(now - last)
            last = now

    def start(self) -> None:
        """Start recording on the running loop."""
        self.gaps.clear()
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        """Stop recording."""
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    async def __aenter__(self) -> LoopLagProbe:
        self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
