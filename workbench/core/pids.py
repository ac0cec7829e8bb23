"""One check of whether a process is alive, for every part of the core that records pids
(open-session markers, the event log's crash detection, MCP plugin orphans)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

_IS_LINUX = sys.platform.startswith("linux")


def proc_stat(pid: int) -> list[str] | None:
    """Fields of ``/proc/PID/stat`` after the command name (state first), or None when gone.

    Format: proc(5), "/proc/pid/stat"; the name is in parentheses and may contain spaces.
    """
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except (OSError, ValueError):
        return None
    return raw[raw.rfind(")") + 2 :].split()


def pid_alive(pid: int | None) -> bool:
    """True if process ``pid`` exists and is not a zombie (None or 0: False).

    On Linux the state is read from ``/proc``; elsewhere ``kill(pid, 0)`` is asked (a process we
    may not signal still exists).
    """
    if not pid or pid < 0:
        return False
    if _IS_LINUX:
        stat = proc_stat(pid)
        return stat is not None and stat[0] not in ("Z", "X")
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
