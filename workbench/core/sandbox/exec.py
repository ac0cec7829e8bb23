"""Running one shell command in a sandbox container (blocking; call it from a thread).

Uses the Engine API exec endpoints (``exec_create`` / ``exec_start(stream=True, demux=True)`` /
``exec_inspect``), https://docs.docker.com/reference/api/engine/ (Exec).

Timeout: every exec gets a marker variable ``WB_EXEC_ID=<id>`` in its environment, inherited by
all its descendants. When the timeout passes, a second exec walks ``/proc/*/environ`` and sends
SIGKILL to every process carrying the marker (the whole process tree, including children that
called ``setsid`` or were put in the background), a few rounds to catch processes forked
meanwhile. This needs ``sh``, ``tr`` and ``grep`` in the image (busybox or coreutils) and no
wrapper process on the fast path. Processes that wipe their environment (``env -i``) escape it;
if the output stream still does not end, the stream is closed and the result says so.

Limits: after a failure the container's cgroup counters are read (``memory.oom_control`` /
``memory.events`` ``oom_kill`` and ``pids.events`` ``max``, cgroup v1 or v2) and compared with the
values before the command: an increase names an OOM kill or the pids limit. The text
"Resource temporarily unavailable" next to "fork" is a fallback for engines that hide cgroups.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable

OutputCallback = Callable[[str, bytes], None]
"""``on_output(stream, data)``: ``stream`` is ``"stdout"`` or ``"stderr"``, ``data`` raw bytes.
Called from the reader thread, in arrival order."""

_KILL_SCRIPT = (
    'i=0; while [ "$i" -lt 5 ]; do found=; '
    'for d in /proc/[0-9]*; do p="${d#/proc/}"; [ "$p" = "$$" ] && continue; '
    'if tr "\\000" "\\n" < "$d/environ" 2>/dev/null | grep -qx "WB_EXEC_ID=$1"; then '
    'kill -KILL "$p" 2>/dev/null; found=1; fi; done; '
    '[ -z "$found" ] && break; i=$((i+1)); done'
)
_PROBE_SCRIPT = (
    "cat /sys/fs/cgroup/memory/memory.oom_control /sys/fs/cgroup/memory.events "
    "/sys/fs/cgroup/pids/pids.events /sys/fs/cgroup/pids.events 2>/dev/null; true"
)

_baselines: dict[str, tuple[int | None, int | None]] = {}
_baselines_lock = threading.Lock()


@dataclass(frozen=True)
class CommandResult:
    """The outcome of :func:`run_command`.

    Attributes:
        command: the shell command as given.
        exit_code: the process exit code (``137`` = SIGKILL); ``None`` if unknown.
        duration_s: wall time in seconds.
        output_for_model: stdout and stderr interleaved, decoded (UTF-8, invalid bytes replaced),
            truncated to head and tail with the number of dropped bytes stated, followed by a
            note when the command timed out or hit a limit.
        timed_out: the timeout passed and the process tree was killed.
        oom_killed: the kernel OOM killer ended a process of this command (memory limit).
        pids_limit_hit: a fork failed because the container reached its pids limit.
        stdout_bytes: total bytes written to stdout.
        stderr_bytes: total bytes written to stderr.
        dropped_bytes: bytes left out of ``output_for_model``.
        note: one line naming what happened beyond the exit code ("" when nothing).
    """

    command: str
    exit_code: int | None
    duration_s: float
    output_for_model: str
    timed_out: bool = False
    oom_killed: bool = False
    pids_limit_hit: bool = False
    stdout_bytes: int = 0
    stderr_bytes: int = 0
    dropped_bytes: int = 0
    note: str = ""


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
        tail = tail[len(tail) - self.tail_limit:]
        marker = f"\n[... {self.dropped:,} bytes of output dropped (head and tail kept) ...]\n"
        return self.head.decode("utf-8", "replace") + marker + tail.decode("utf-8", "replace")


def _exec_output(api: Any, container_id: str, cmd: list[str], env: dict[str, str] | None = None) -> tuple[int | None, bytes]:
    exec_id = api.exec_create(container_id, cmd, environment=env)["Id"]
    out = api.exec_start(exec_id)
    return api.exec_inspect(exec_id).get("ExitCode"), out or b""


def _read_counters(api: Any, container_id: str) -> tuple[int | None, int | None]:
    """Return ``(oom_kill, pids_max_events)`` of the container's cgroup, ``None`` if unreadable."""
    try:
        _, out = _exec_output(api, container_id, ["/bin/sh", "-c", _PROBE_SCRIPT])
    except Exception:  # noqa: BLE001 - counters are best effort (e.g. pids still exhausted)
        return None, None
    oom = pids = None
    for line in out.decode("utf-8", "replace").splitlines():
        key, _, value = line.partition(" ")
        if key == "oom_kill" and value.strip().isdigit():
            oom = (oom or 0) + int(value)
        elif key == "max" and value.strip().isdigit():
            pids = (pids or 0) + int(value)
    return oom, pids


def _kill_tree(api: Any, container_id: str, marker: str) -> bool:
    for _ in range(5):
        try:
            _exec_output(api, container_id, ["/bin/sh", "-c", _KILL_SCRIPT, "wb-kill", marker])
            return True
        except Exception:  # noqa: BLE001 - pids exhausted: retry, the dying tree frees slots
            time.sleep(0.2)
    return False


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
        pids_limit: the container's pids limit, only used in the note.

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
    with _baselines_lock:
        baseline = _baselines.get(cid)
    if baseline is None:
        baseline = _read_counters(api, cid)
        with _baselines_lock:
            _baselines[cid] = baseline

    marker = uuid.uuid4().hex
    buf = HeadTail(output_limit)
    counts = {"stdout": 0, "stderr": 0}
    timed_out = threading.Event()
    finished = threading.Event()
    state: dict[str, Any] = {"killed": True, "closed": False}

    start = time.monotonic()
    exec_id = api.exec_create(cid, ["/bin/sh", "-c", command], environment={"WB_EXEC_ID": marker},
                              workdir=workdir)["Id"]
    stream = api.exec_start(exec_id, stream=True, demux=True)

    def on_timeout() -> None:
        timed_out.set()
        state["killed"] = _kill_tree(api, cid, marker)
        if not finished.wait(3.0):
            state["closed"] = True
            stream.close()

    timer = threading.Timer(timeout, on_timeout)
    timer.daemon = True
    timer.start()
    try:
        for out, err in stream:
            for name, data in (("stdout", out), ("stderr", err)):
                if data:
                    counts[name] += len(data)
                    buf.add(data)
                    if on_output is not None:
                        on_output(name, data)
    except Exception:  # noqa: BLE001 - the stream was closed under us after the timeout
        if not timed_out.is_set():
            raise
    finally:
        finished.set()
        timer.cancel()
        stream.close()
    exit_code: int | None = None
    deadline = time.monotonic() + 2.0
    while True:
        info = api.exec_inspect(exec_id)
        if not info.get("Running") or time.monotonic() > deadline:
            exit_code = info.get("ExitCode") if not info.get("Running") else None
            break
        time.sleep(0.01)
    duration = time.monotonic() - start
    if timed_out.is_set():
        timer.join(5.0)  # let the kill finish before reading counters

    oom = pids = False
    if exit_code != 0:
        after = _read_counters(api, cid)
        with _baselines_lock:
            _baselines[cid] = after
        if after[0] is not None and baseline[0] is not None and after[0] > baseline[0]:
            oom = True
        if after[1] is not None and baseline[1] is not None and after[1] > baseline[1]:
            pids = True
        tail_text = b"".join(buf.tail)[-4000:] + bytes(buf.head[-4000:])
        if b"Resource temporarily unavailable" in tail_text and b"fork" in tail_text:
            pids = True
        if exit_code == 137 and after[0] is None and not timed_out.is_set():
            oom = True  # no cgroup data: SIGKILL without our timeout is almost always the OOM killer

    notes: list[str] = []
    if timed_out.is_set():
        how = "killed (SIGKILL to its process tree)" if state["killed"] else "could not be killed"
        notes.append(f"command timed out after {timeout:g} s and was {how}")
        if state["closed"]:
            notes.append("its output stream was closed; processes may still run, restart the sandbox")
    if oom:
        notes.append(f"out of memory: killed by the kernel OOM killer (sandbox mem_limit {mem_limit or '?'})")
    if pids:
        notes.append(f"process limit reached: fork failed (sandbox pids_limit {pids_limit or '?'})")
    note = "; ".join(notes)
    text = buf.text()
    if note:
        text = f"{text}\n[{note}]" if text else f"[{note}]"
    return CommandResult(
        command=command, exit_code=exit_code, duration_s=duration, output_for_model=text,
        timed_out=timed_out.is_set(), oom_killed=oom, pids_limit_hit=pids,
        stdout_bytes=counts["stdout"], stderr_bytes=counts["stderr"], dropped_bytes=buf.dropped,
        note=note,
    )
