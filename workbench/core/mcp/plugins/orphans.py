"""Reap plugin processes left behind by a Workbench that was killed.

``PR_SET_PDEATHSIG`` (see :mod:`._launcher`) kills a plugin's main process when Workbench dies,
but not what the plugin started itself (those stay in the plugin's process group). The
supervisor records each plugin's process group in ``<log_dir>/pids.json`` with the start time of
the plugin and of its own process; :func:`reap_orphans` (run when a supervisor starts plugins)
kills the groups whose owner is gone. Start times guard against pid reuse.
"""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path
from typing import Any

from workbench.core.jsonfile import load_json, save_json
from workbench.core.mcp.plugins.process import group_members, process_start_ticks, signal_group
from workbench.core.pids import pid_alive

_LOCK = threading.Lock()


def _owner_alive(record: dict[str, Any]) -> bool:
    owner = int(record.get("owner", 0))
    if owner <= 0 or not pid_alive(owner):
        return False
    return process_start_ticks(owner) == record.get("owner_ticks")


class PidRegistry:
    """The process groups of running plugins, persisted so a later run can clean up.

    Args:
        path: the JSON file (``{"<pgid>": {"name", "ticks", "owner", "owner_ticks"}}``).
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def add(self, name: str, pgid: int) -> None:
        """Record that plugin ``name`` runs as process group ``pgid`` owned by this process."""
        with _LOCK:
            data = load_json(self.path, what="plugin process registry")
            data[str(pgid)] = {
                "name": name,
                "ticks": process_start_ticks(pgid),
                "owner": os.getpid(),
                "owner_ticks": process_start_ticks(os.getpid()),
            }
            save_json(self.path, data)

    def remove(self, pgid: int) -> None:
        """Forget ``pgid`` (its group was terminated)."""
        with _LOCK:
            data = load_json(self.path, what="plugin process registry")
            if data.pop(str(pgid), None) is not None:
                save_json(self.path, data)

    def reap_orphans(self) -> list[int]:
        """SIGKILL the recorded groups whose owner process is gone; return the pgids killed.

        A group is killed only if its leader is the recorded process (same start time) or the
        leader is gone and members remain (a live group id is never reused as a new pid).
        Blocking (``/proc`` scans): call it from a thread.
        """
        killed: list[int] = []
        with _LOCK:
            data = load_json(self.path, what="plugin process registry")
            keep = {}
            for key, record in data.items():
                if not isinstance(record, dict) or not key.isdigit():
                    continue
                if _owner_alive(record):
                    keep[key] = record
                    continue
                pgid = int(key)
                leader_alive = pid_alive(pgid)
                if leader_alive and process_start_ticks(pgid) != record.get("ticks"):
                    continue  # the pid now belongs to an unrelated process
                if leader_alive or group_members(pgid):
                    signal_group(pgid, signal.SIGKILL)
                    killed.append(pgid)
            save_json(self.path, keep)
        return killed
