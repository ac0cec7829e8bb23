"""Running one shell command in a sandbox container (blocking; call it from a thread).

Uses the Engine API exec endpoints (``exec_create`` / ``exec_start(stream=True, demux=True)``),
https://docs.docker.com/reference/api/engine/ (Exec).

**Process tree rule.** Every command runs under a small POSIX ``sh`` wrapper (:data:`.processes.WRAPPER`,
busybox ash and dash alike) that starts it with ``setsid`` in a session and process group of its
own, marked with ``WB_EXEC_ID=<token>`` in its environment. When the command's shell exits, times
out or is cancelled, the wrapper sends SIGKILL to that process group until it is empty, then
sweeps the processes created during the command for escapees: those that called ``setsid`` again
(found by the marker) and those orphaned meanwhile (re-parented to PID 1, which catches a daemon
that also wiped its environment); it counts what survives. Background processes (``server &``) therefore end with the
command that started them, as in Codex: start a server and its client in the same command.
The wrapper needs no fork for any of this (``kill``, ``read`` and globbing are shell builtins),
so it also works while a fork bomb holds every pid; only the marker check runs ``grep``. A
process of another exec that was orphaned during the command is swept too (by the same rule it
should have ended with its own command).

Known limit: a command's background jobs start with SIGINT/SIGQUIT ignored (POSIX rule for
asynchronous lists without job control); SIGKILL, used here, is not affected.

**Status.** Before and after the command the wrapper reads the container's cgroup counters:
``oom_kill`` (cgroup v1 ``memory.oom_control`` / v2 ``memory.events``), ``max`` (``pids.events``)
and ``pids.current``, and writes two status lines on stderr tagged with a random token (never
shown): ``<token> start <pgid> <oom0>`` and ``<token> end <rc> <oom0> <oom1> <max0> <max1> <left> <pids>``.
An OOM kill is reported whenever ``oom_kill`` grew, whatever the exit code.

**Reset.** When processes of the command survive, the pids limit was hit or is near (80 %), the
kill could not run, or the stream does not end, the container is reset (``docker kill`` +
``start``): the workspace is a bind mount and ``/tmp`` a tmpfs, so nothing of the session's files
is lost, and the result says so plainly (:attr:`CommandResult.reset`).

**Output** streams to ``on_output`` and, in full, to a spool file; only the head and tail
(:class:`HeadTail`) stay in memory for the model.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from .processes import (
    COUNT_MARKED,
    OOM_COUNT,
    WRAPPER,
    StatusFilter,
    _exec_output,
    _kill_now,
    kill_orphans,
    probe_container,
    reset_container,
)

__all__ = [
    "CommandResult",
    "HeadTail",
    "OutputCallback",
    "kill_orphans",
    "probe_container",
    "reset_container",
    "run_command",
]

OutputCallback = Callable[[str, bytes], None]
"""``on_output(stream, data)``: ``stream`` is ``"stdout"`` or ``"stderr"``, ``data`` raw bytes.
Called from the reader thread, in arrival order."""

PIDS_NEAR_LIMIT = 0.8
"""Fraction of ``pids_limit`` in use after a command that triggers a reset."""


@dataclass(frozen=True)
class CommandResult:
    """The outcome of :func:`run_command`.

    Attributes:
        command: the shell command as given.
        exit_code: the shell's exit code (``137`` = SIGKILL); ``None`` if unknown.
        duration_s: wall time in seconds.
        output_for_model: stdout and stderr interleaved, decoded (UTF-8, invalid bytes replaced),
            truncated to head and tail with the number of dropped bytes stated, followed by the
            note (once) when something beyond the exit code happened.
        timed_out: the deadline passed and the process tree was killed.
        cancelled: the caller cancelled the command and the process tree was killed.
        oom_killed: the kernel OOM killer ended a process during this command (memory limit).
        pids_limit_hit: a fork failed because the container reached its pids limit.
        stdout_bytes: total bytes written to stdout.
        stderr_bytes: total bytes written to stderr.
        dropped_bytes: bytes left out of ``output_for_model``.
        note: what happened beyond the exit code, one line ("" when nothing).
        left_processes: processes of the command still alive after the kill (before any reset);
            ``-1`` when unknown (the check could not run).
        reset: the container was reset (killed and started again) after this command.
        spool_path: the file holding the whole output (``None`` when not spooled).
        spool_truncated: the spool stopped at its size limit.
    """

    command: str
    exit_code: int | None
    duration_s: float
    output_for_model: str
    timed_out: bool = False
    cancelled: bool = False
    oom_killed: bool = False
    pids_limit_hit: bool = False
    stdout_bytes: int = 0
    stderr_bytes: int = 0
    dropped_bytes: int = 0
    note: str = ""
    left_processes: int = 0
    reset: bool = False
    spool_path: Path | None = None
    spool_truncated: bool = False


class HeadTail:
    """Keep the first and last ``limit // 2`` bytes of a stream and count what falls between.

    Args:
        limit: total bytes kept (head + tail).
    """

    def __init__(self, limit: int) -> None:
        self.head_limit = limit // 2
        self.tail_limit = limit - self.head_limit
        self.head = bytearray()
        self.tail: deque[bytes] = deque()
        self.tail_len = 0
        self.total = 0

    def add(self, data: bytes) -> None:
        """Append ``data``."""
        self.total += len(data)
        room = self.head_limit - len(self.head)
        if room > 0:
            self.head += data[:room]
            data = data[room:]
        if not data:
            return
        if len(data) > self.tail_limit:
            data = data[-self.tail_limit :]
        self.tail.append(data)
        self.tail_len += len(data)
        while self.tail_len - len(self.tail[0]) >= self.tail_limit:
            self.tail_len -= len(self.tail.popleft())

    @property
    def dropped(self) -> int:
        """Bytes not kept."""
        return max(0, self.total - len(self.head) - min(self.tail_len, self.tail_limit))

    def text(self) -> str:
        """Return head + ``[... N bytes dropped ...]`` + tail, decoded as UTF-8 (replacing)."""
        tail = b"".join(self.tail)
        if self.dropped == 0:
            return (bytes(self.head) + tail).decode("utf-8", "replace")
        tail = tail[len(tail) - self.tail_limit :]
        marker = f"\n[... {self.dropped:,} bytes of output dropped (head and tail kept) ...]\n"
        return self.head.decode("utf-8", "replace") + marker + tail.decode("utf-8", "replace")


def _open_spool(path: Path | None) -> BinaryIO | None:
    if path is None:
        return None
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    return os.fdopen(fd, "wb", buffering=1 << 16)


def run_command(
    container: Any,
    command: str,
    timeout: float,
    on_output: OutputCallback | None = None,
    *,
    output_limit: int = 16_000,
    workdir: str | None = None,
    mem_limit: str | None = None,
    pids_limit: int | None = None,
    cancel: threading.Event | None = None,
    spool: Path | None = None,
    spool_limit: int = 1 << 30,
) -> CommandResult:
    """Run ``command`` with ``/bin/sh -c`` in a running container, streaming its output (blocking).

    Args:
        container: a docker SDK ``Container`` (its ``client.api`` is used) or a pair
            ``(APIClient, container_id)``.
        command: the shell command.
        timeout: seconds after which the process tree is killed (SIGKILL).
        on_output: called with ``(stream, bytes)`` for every chunk, from this thread.
        output_limit: bytes of output kept for ``output_for_model`` (head + tail).
        workdir: working directory (default: the container's, ``/workspace``).
        mem_limit: the container's memory limit, only used in the OOM note.
        pids_limit: the container's pids limit (near it after the command: reset).
        cancel: set it (from any thread) to kill the command now; the result has ``cancelled``.
        spool: file receiving the whole output (stdout and stderr interleaved), mode 0600.
        spool_limit: bytes written to the spool at most.

    Returns:
        A :class:`CommandResult`.

    Raises:
        docker.errors.NotFound: the container does not exist.
        docker.errors.APIError: the container is not running or the exec could not start.
    """
    if isinstance(container, tuple):
        api, cid = container
    else:
        api, cid = container.client.api, container.id
    token = "\x1ewb" + uuid.uuid4().hex
    status = StatusFilter(token)
    buf = HeadTail(output_limit)
    counts = {"stdout": 0, "stderr": 0}
    spool_file = _open_spool(spool)
    spooled = 0
    fired = threading.Event()
    finished = threading.Event()
    state: dict[str, Any] = {"why": "", "killed": True, "closed": False}

    start = time.monotonic()
    exec_id = api.exec_create(cid, ["/bin/sh", "-c", WRAPPER, "wb-run", token, command], workdir=workdir)["Id"]
    stream = api.exec_start(exec_id, stream=True, demux=True)

    def watch() -> None:
        cancelled = False
        while True:
            remaining = timeout - (time.monotonic() - start)
            if remaining <= 0:
                break
            if finished.wait(min(remaining, 0.1) if cancel is not None else remaining):
                return
            if cancel is not None and cancel.is_set():
                cancelled = True
                break
        if finished.is_set():
            return
        state["why"] = "cancelled" if cancelled else "timeout"
        fired.set()
        started = status.get("start")
        state["killed"] = _kill_now(api, cid, token, started[0] if started else None)
        if not finished.wait(5.0):
            state["closed"] = True
            try:
                stream.close()
            except Exception:  # noqa: BLE001
                pass

    watcher = threading.Thread(target=watch, name="wb-exec-watch", daemon=True)
    watcher.start()

    def emit(name: str, data: bytes) -> None:
        nonlocal spooled
        counts[name] += len(data)
        buf.add(data)
        if spool_file is not None and spooled < spool_limit:
            part = data[: spool_limit - spooled]
            spool_file.write(part)
            spooled += len(part)
        if on_output is not None:
            on_output(name, data)

    try:
        for out, err in stream:
            if out:
                emit("stdout", out)
            if err:
                err = status.feed(err)
                if err:
                    emit("stderr", err)
    except Exception:  # noqa: BLE001 - the stream was closed under us after the deadline
        if not fired.is_set():
            raise
    finally:
        finished.set()
        rest = status.flush()
        if rest:
            emit("stderr", rest)
        if spool_file is not None:
            spool_file.close()
        try:
            stream.close()
        except Exception:  # noqa: BLE001
            pass
    end = status.get("end")
    exit_code: int | None
    if end is not None and len(end) >= 7:
        exit_code = int(end[0])
        oom0, oom1, max0, max1, left, pids_now = (int(x or 0) for x in end[1:7])
    else:
        exit_code = None
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline:
            info = api.exec_inspect(exec_id)
            if not info.get("Running"):
                exit_code = info.get("ExitCode")
                break
            time.sleep(0.02)
        oom0 = oom1 = max0 = max1 = pids_now = 0
        left = -1  # the wrapper did not report: verify below
        started = status.get("start")
        if started and len(started) >= 2 and started[1].isdigit():
            try:  # the wrapper was killed (the OOM killer may choose it): read the counter now
                code, out = _exec_output(api, cid, ["/bin/sh", "-c", OOM_COUNT])
                if code == 0 and out.strip().isdigit():
                    oom0, oom1 = int(started[1]), int(out.strip())
            except Exception:  # noqa: BLE001 - cannot fork: the reset below handles it
                pass
    duration = time.monotonic() - start
    timed_out = fired.is_set() and state["why"] == "timeout"
    cancelled = fired.is_set() and state["why"] == "cancelled"

    oom = oom1 > oom0
    pids_hit = max1 > max0
    tail_text = b"".join(buf.tail)[-4000:] + bytes(buf.head[-4000:])
    if exit_code not in (0, None) and b"fork" in tail_text and b"Resource temporarily unavailable" in tail_text:
        pids_hit = True
    if left < 0:
        try:
            code, out = _exec_output(api, cid, ["/bin/sh", "-c", COUNT_MARKED, "wb-check", token])
            left = int(out.decode().strip() or 0) if code == 0 else -1
        except Exception:  # noqa: BLE001 - cannot fork: reset
            left = -1
    near = bool(pids_limit) and pids_now >= PIDS_NEAR_LIMIT * float(pids_limit or 0)
    reset = bool(left != 0 or pids_hit or near or state["closed"] or not state["killed"])
    if reset:
        reset_container(api, cid)

    notes: list[str] = []
    if timed_out:
        notes.append(f"command timed out after {timeout:g} s; its process tree was killed")
    if cancelled:
        notes.append("command cancelled; its process tree was killed")
    if oom:
        notes.append(f"a process was killed for memory (limit {mem_limit or '?'})")
    if reset:
        if pids_hit:
            notes.append("process limit reached; the sandbox was reset")
        elif left > 0:
            notes.append(f"the sandbox was reset: {left} processes were left after the command")
        elif near:
            notes.append(f"the sandbox was reset: {pids_now} processes of the pids limit {pids_limit} were in use")
        else:
            notes.append("the sandbox was reset: the command's processes could not be verified as ended")
    elif pids_hit:
        notes.append(f"process limit reached (pids_limit {pids_limit or '?'})")
    if spool is not None and spooled < counts["stdout"] + counts["stderr"]:
        notes.append(f"the output file keeps the first {spool_limit:,} bytes only")
    note = "; ".join(notes)
    text = buf.text()
    if note:
        text = f"{text}\n[{note}]" if text else f"[{note}]"
    return CommandResult(
        command=command,
        exit_code=exit_code,
        duration_s=duration,
        output_for_model=text,
        timed_out=timed_out,
        cancelled=cancelled,
        oom_killed=oom,
        pids_limit_hit=pids_hit,
        stdout_bytes=counts["stdout"],
        stderr_bytes=counts["stderr"],
        dropped_bytes=buf.dropped,
        note=note,
        left_processes=left,
        reset=reset,
        spool_path=spool,
        spool_truncated=spool is not None and spooled < counts["stdout"] + counts["stderr"],
    )
