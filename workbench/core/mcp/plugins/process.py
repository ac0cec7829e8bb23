"""Process plumbing for stdio plugins: the launcher command, stderr capture, killing groups.

Every plugin runs in its own session and process group (the MCP SDK's stdio client spawns with
``start_new_session=True``), so ``killpg(pid)`` reaches the plugin and anything it started.
Linux-specific parts (``/proc`` scans, ``PR_SET_PDEATHSIG``) degrade to ``os.kill`` probes elsewhere.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from workbench.core.mcp.plugins._launcher import PID_MARKER
from workbench.core.pids import proc_stat

LAUNCHER = Path(__file__).with_name("_launcher.py")
"""The exec shim (see :mod:`workbench.core.mcp.plugins._launcher`)."""

_IS_LINUX = sys.platform.startswith("linux")
_LOG_ROTATE_BYTES = 5 * 1024 * 1024


def launcher_argv(command: str, args: list[str] | tuple[str, ...], env_keys: list[str]) -> tuple[str, list[str]]:
    """Return ``(executable, args)`` that run ``command args`` through the launcher.

    On Windows (no process groups, no pdeathsig) the command is returned unchanged.
    """
    if sys.platform == "win32":
        return command, list(args)
    return sys.executable, [
        "-I",
        "-S",
        str(LAUNCHER),
        str(os.getpid()),
        ",".join(sorted(env_keys)),
        "--",
        command,
        *args,
    ]


def process_start_ticks(pid: int) -> int | None:
    """Return the process start time in clock ticks since boot (Linux), to detect pid reuse."""
    stat = proc_stat(pid) if _IS_LINUX else None
    return int(stat[19]) if stat else None


def group_members(pgid: int) -> list[int]:
    """Return the live (non-zombie) pids in process group ``pgid`` (Linux ``/proc`` scan).

    Elsewhere returns ``[pgid]`` when the group can still be signalled, else ``[]``.
    """
    if not _IS_LINUX:
        try:
            os.killpg(pgid, 0)
        except (ProcessLookupError, PermissionError):
            return []
        return [pgid]
    members = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        stat = proc_stat(int(entry.name))
        if stat and stat[0] not in ("Z", "X") and int(stat[2]) == pgid:
            members.append(int(entry.name))
    return members


def signal_group(pgid: int, sig: int) -> None:
    """Send ``sig`` to process group ``pgid``; a vanished group is not an error."""
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


async def terminate_group(pgid: int, term_grace: float = 2.0) -> bool:
    """SIGTERM the group, wait up to ``term_grace`` seconds, then SIGKILL whatever is left.

    Returns:
        True if every member is gone within ``term_grace`` + 2 s after the SIGKILL.
    """
    if not await asyncio.to_thread(group_members, pgid):
        return True
    signal_group(pgid, signal.SIGTERM)
    if await wait_group_gone(pgid, term_grace):
        return True
    signal_group(pgid, signal.SIGKILL)
    return await wait_group_gone(pgid, 2.0)


async def wait_group_gone(pgid: int, timeout: float) -> bool:
    """Poll (every 20 ms, off the event loop) until group ``pgid`` has no live member or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while await asyncio.to_thread(group_members, pgid):
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(0.02)
    return True


class StderrCapture:
    """Capture a plugin's stderr through a pipe: a ring buffer of recent lines plus a log file.

    Use :meth:`errlog` as the ``errlog`` of the SDK's ``stdio_client``, call :meth:`spawned`
    once the process runs (closes the parent's write end so EOF follows the process exit).
    A daemon thread reads the pipe (blocking reads never touch the event loop).

    Args:
        log_path: file the full stderr is appended to (rotated to ``.1`` above 5 MB).
        max_lines: lines kept in memory for :meth:`tail`.
        on_lines: called from the reader thread with each batch of new lines.
        on_pid: called from the reader thread with the pid the launcher reports.
    """

    def __init__(
        self,
        log_path: Path,
        max_lines: int = 500,
        on_lines: Callable[[list[str]], None] | None = None,
        on_pid: Callable[[int], None] | None = None,
    ) -> None:
        self.log_path = log_path
        self._lines: deque[str] = deque(maxlen=max_lines)
        self._lock = threading.Lock()
        self._on_lines = on_lines
        self._on_pid = on_pid
        self._read_fd, write_fd = os.pipe()
        self._writer: TextIO | None = os.fdopen(write_fd, "w")
        self.eof = threading.Event()
        """Set when the pipe reached EOF (every holder of the write end exited)."""
        self._thread = threading.Thread(target=self._run, name=f"plugin-stderr:{log_path.stem}", daemon=True)
        self._thread.start()

    def errlog(self) -> TextIO:
        """Return the write end to hand to the child as its stderr."""
        assert self._writer is not None, "errlog() after spawned()"
        return self._writer

    def spawned(self) -> None:
        """Close the parent's copy of the write end (call after the spawn, success or not)."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def tail(self, n: int = 20) -> list[str]:
        """Return the last ``n`` stderr lines (launcher marker excluded)."""
        with self._lock:
            return list(self._lines)[-n:]

    def _open_log(self) -> object:
        if not self.log_path.parent.is_dir():
            self.log_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            if self.log_path.stat().st_size > _LOG_ROTATE_BYTES:
                os.replace(self.log_path, self.log_path.with_suffix(self.log_path.suffix + ".1"))
        except FileNotFoundError:
            pass
        fd = os.open(self.log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)  # data dir: 0600
        log = os.fdopen(fd, "ab", buffering=0)
        log.write(f"--- started {time.strftime('%Y-%m-%d %H:%M:%S')} ---\n".encode())
        return log

    def _run(self) -> None:
        log = self._open_log()
        partial = b""
        try:
            while True:
                chunk = os.read(self._read_fd, 65536)
                if not chunk:
                    break
                data = partial + chunk
                *complete, partial = data.split(b"\n")
                self._handle([c.decode("utf-8", "replace").rstrip("\r") for c in complete], log)
            if partial:
                self._handle([partial.decode("utf-8", "replace")], log)
        except OSError:
            pass
        finally:
            os.close(self._read_fd)
            log.close()  # type: ignore[attr-defined]
            self.eof.set()

    def _handle(self, lines: list[str], log: object) -> None:
        out: list[str] = []
        for line in lines:
            if line.startswith(PID_MARKER):
                if self._on_pid is not None:
                    self._on_pid(int(line[len(PID_MARKER) :]))
                continue
            out.append(line)
        if not out:
            return
        log.write(("\n".join(out) + "\n").encode("utf-8", "replace"))  # type: ignore[attr-defined]
        with self._lock:
            self._lines.extend(out)
        if self._on_lines is not None:
            self._on_lines(out)
