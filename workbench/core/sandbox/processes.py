"""Process-tree control inside a sandbox container: the command wrapper, its status lines, the
kill/probe scripts, and resetting a container (blocking docker calls; call from a thread).

See :mod:`workbench.core.sandbox.exec` for the rules (one session and process group per command,
killed and verified at its end; reset when anything survives). Every script is POSIX ``sh``
(busybox ash and dash) and uses only builtins on its fast path, so it works while a fork bomb
holds every pid.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

WRAPPER = r"""
t=$1; c=$2
rd() {
  o=0; m=0; cur=0
  for f in /sys/fs/cgroup/memory/memory.oom_control /sys/fs/cgroup/memory.events; do
    [ -r "$f" ] || continue
    while read -r k v; do [ "$k" = oom_kill ] && o=$((o+v)); done < "$f"
  done
  for f in /sys/fs/cgroup/pids/pids.events /sys/fs/cgroup/pids.events; do
    [ -r "$f" ] || continue
    while read -r k v; do [ "$k" = max ] && m=$((m+v)); done < "$f"
  done
  for f in /sys/fs/cgroup/pids/pids.current /sys/fs/cgroup/pids.current; do
    [ -r "$f" ] && { read -r cur < "$f"; } 2>/dev/null
  done
  :
}
rd; o0=$o; m0=$m
b=" "; for d in /proc/[0-9]*; do b="$b${d#/proc/} "; done
if command -v setsid >/dev/null 2>&1; then
  WB_EXEC_ID=$t setsid /bin/sh -c "$c" & p=$!; g=1
else
  WB_EXEC_ID=$t /bin/sh -c "$c" & p=$!; g=0
fi
printf '%s start %s %s\n' "$t" "$p" "$o0" >&2
wait "$p"; rc=$?
if [ "$g" = 1 ]; then
  n=0; while kill -KILL -- "-$p" 2>/dev/null; do n=$((n+1)); [ "$n" -ge 500 ] && break; done
fi
r=0
while :; do
  left=0
  for d in /proc/[0-9]*; do
    q=${d#/proc/}
    [ "$q" = "$$" ] && continue
    case "$b" in *" $q "*) continue;; esac
    l=; { read -r l < "$d/stat"; } 2>/dev/null || continue
    l=${l##*) }; set -- $l
    [ "$1" = Z ] && continue
    if [ "$3" = "$p" ] || [ "$2" = 1 ] || grep -q "WB_EXEC_ID=$t" "$d/environ" 2>/dev/null; then
      kill -KILL "$q" 2>/dev/null; left=$((left+1))
    fi
  done
  [ "$left" = 0 ] && break
  r=$((r+1)); [ "$r" -ge 8 ] && break
  sleep 0.05 2>/dev/null  # only when something was killed: let it die before looking again
done
rd
printf '%s end %s %s %s %s %s %s %s\n' "$t" "$rc" "$o0" "$o" "$m0" "$m" "$left" "$cur" >&2
exit "$rc"
"""

"""The command wrapper: ``sh -c WRAPPER wb-run TOKEN COMMAND``; exits with the command's code and
writes ``TOKEN start PGID OOM0`` and ``TOKEN end RC OOM0 OOM1 MAX0 MAX1 LEFT PIDS`` on stderr."""

_KILL_GROUP = 'kill -KILL -- "-$1" 2>/dev/null; true'
_KILL_MARKED = (
    'for d in /proc/[0-9]*; do q=${d#/proc/}; [ "$q" = "$$" ] && continue; '
    'grep -q "WB_EXEC_ID=$1" "$d/environ" 2>/dev/null && kill -KILL "$q" 2>/dev/null; done; true'
)
OOM_COUNT = (
    "o=0; for f in /sys/fs/cgroup/memory/memory.oom_control /sys/fs/cgroup/memory.events; do "
    '[ -r "$f" ] || continue; while read -r k v; do [ "$k" = oom_kill ] && o=$((o+v)); done < "$f"; '
    'done; echo "$o"'
)
"""Print the container's OOM-kill count (cgroup v1 or v2); read again when the wrapper itself was
killed before its end line (the OOM killer may pick the wrapper's shell)."""

COUNT_MARKED = (
    'n=0; for d in /proc/[0-9]*; do q=${d#/proc/}; [ "$q" = "$$" ] && continue; '
    'grep -q "WB_EXEC_ID=$1" "$d/environ" 2>/dev/null && { kill -KILL "$q" 2>/dev/null; n=$((n+1)); }; '
    'done; echo "$n"'
)


class StatusFilter:
    """Take the wrapper's status lines out of the stderr stream (holding back at most a partial
    token at a chunk's end), so the user and the model never see them.

    Args:
        token: the random token that starts every status line.
    """

    def __init__(self, token: str) -> None:
        self.token = token.encode()
        self.held = b""
        self.lines: list[list[str]] = []

    def feed(self, data: bytes) -> bytes:
        """Return the part of ``data`` to pass on; status lines are parsed into :attr:`lines`."""
        data = self.held + data
        self.held = b""
        out = bytearray()
        while True:
            i = data.find(self.token)
            if i < 0:
                break
            j = data.find(b"\n", i)
            if j < 0:
                out += data[:i]
                self.held = data[i:]
                return bytes(out)
            out += data[:i]
            self.lines.append(data[i:j].decode("ascii", "replace").split()[1:])
            data = data[j + 1 :]
        for k in range(min(len(self.token) - 1, len(data)), 0, -1):
            if self.token.startswith(data[-k:]):
                self.held = data[-k:]
                data = data[:-k]
                break
        out += data
        return bytes(out)

    def flush(self) -> bytes:
        """Return what is still held back (the stream ended)."""
        held, self.held = self.held, b""
        return held

    def get(self, kind: str) -> list[str] | None:
        """Return the fields after ``kind`` of the last status line of that kind, or None."""
        for line in reversed(self.lines):
            if line and line[0] == kind:
                return line[1:]
        return None


def _exec_output(api: Any, cid: str, cmd: list[str]) -> tuple[int | None, bytes]:
    exec_id = api.exec_create(cid, cmd)["Id"]
    out = api.exec_start(exec_id)
    return api.exec_inspect(exec_id).get("ExitCode"), out or b""


def reset_container(api: Any, cid: str) -> None:
    """Kill every process of the container and start it again (blocking).

    ``/workspace`` (a bind mount) keeps its files; ``/tmp`` (a tmpfs) is emptied.
    """
    try:
        api.kill(cid)
    except Exception:  # noqa: BLE001 - already stopped
        pass
    for _ in range(50):
        if not api.inspect_container(cid)["State"]["Running"]:
            break
        time.sleep(0.05)
    api.start(cid)


def kill_orphans(api: Any, cid: str) -> int:
    """Kill every process left by earlier commands (any ``WB_EXEC_ID`` marker); return how many.

    Used when a session is re-attached after a crash. Resets the container when the sweep cannot
    run (e.g. the pids limit is exhausted); returns ``-1`` then.
    """
    try:
        code, out = _exec_output(api, cid, ["/bin/sh", "-c", COUNT_MARKED, "wb-orphans", ""])
        if code == 0:
            return int(out.decode().strip() or 0)
    except Exception:  # noqa: BLE001 - cannot fork: reset below
        pass
    reset_container(api, cid)
    return -1


_PROBE = (
    'n=0; if [ "$1" = 1 ]; then for d in /proc/[0-9]*; do q=${d#/proc/}; [ "$q" = "$$" ] && continue; '
    'grep -q "WB_EXEC_ID=" "$d/environ" 2>/dev/null && { kill -KILL "$q" 2>/dev/null; n=$((n+1)); }; done; fi; '
    'f=/workspace/.wb-write-check-$$; if { true > "$f"; } 2>/dev/null; then rm -f "$f"; w=ok; else w=no; fi; '
    'echo "$n $w"'
)


def probe_container(container: tuple[Any, str], user: str, workspace: Path, *, kill_orphans: bool) -> tuple[int, str]:
    """Check that the sandbox user can write ``/workspace``; optionally kill orphaned commands.

    Args:
        container: ``(APIClient, container_id)`` of a running container.
        user: the container's ``uid:gid`` (for the message).
        workspace: the host folder mounted at ``/workspace`` (for the message).
        kill_orphans: also SIGKILL every process of an earlier command (``WB_EXEC_ID`` marker),
            e.g. left by a crashed session; the container is reset when that cannot run.

    Returns:
        ``(processes killed or -1 after a reset, problem)``: ``problem`` is "" when the workspace
        is writable, else one line naming the cause and the fix.
    """
    api, cid = container
    try:
        _code, out = _exec_output(api, cid, ["/bin/sh", "-c", _PROBE, "wb-probe", "1" if kill_orphans else "0"])
        fields = out.decode("utf-8", "replace").split()
        killed, writable = int(fields[0]), fields[1] == "ok"
    except Exception:  # noqa: BLE001 - cannot fork (an orphan holds every pid): reset
        if not kill_orphans:
            return 0, ""
        reset_container(api, cid)
        return -1, ""
    if writable:
        return killed, ""
    try:
        st = os.stat(workspace)
        owner = f"{st.st_uid}:{st.st_gid}"
    except OSError:
        owner = "?"
    return killed, (
        f"the sandbox cannot write /workspace: it runs as {user or 'the image user'}, and {workspace} "
        f"is owned by {owner} (or is read-only, or the engine remaps user namespaces). Commands "
        'that write files will fail. Fix: set [sandbox] user = "UID:GID" (the workspace owner) '
        "in .workbench/config.toml, or give that user write access to the folder "
        f"(`chown -R {user or 'UID:GID'} {workspace}`), then restart the session's sandbox."
    )


def _kill_now(api: Any, cid: str, token: str, pgid: str | None) -> bool:
    """SIGKILL the command's process group (and marked escapees); False when no exec could run."""
    for _ in range(5):
        try:
            if pgid:
                _exec_output(api, cid, ["/bin/sh", "-c", _KILL_GROUP, "wb-kill", pgid])
            else:
                _exec_output(api, cid, ["/bin/sh", "-c", _KILL_MARKED, "wb-kill", token])
            return True
        except Exception:  # noqa: BLE001 - pids exhausted: retry, the dying tree frees slots
            time.sleep(0.1)
    return False
