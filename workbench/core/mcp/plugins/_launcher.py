"""Exec shim run in front of every stdio plugin (``python -I -S _launcher.py PPID KEYS -- CMD ARGS``).

1. On Linux, ``prctl(PR_SET_PDEATHSIG, SIGKILL)``: the plugin is killed if the process that
   started it dies, even by SIGKILL (the flag survives ``execve``; it is tied to the thread that
   forked, the event-loop thread). It exits at once if that parent is already gone.
2. Drops every environment variable not named in KEYS (the MCP SDK merges a few host variables
   into the child environment; this makes the environment exactly what Workbench built).
3. Writes ``@@workbench-plugin-pid <pid>`` as the first stderr line (the pid survives ``exec``),
   then ``execvp``s the real command, so the plugin keeps this pid and process group.

Standard library only, no site import: it must start in a few milliseconds.
"""

import os
import sys

PID_MARKER = "@@workbench-plugin-pid "


def main() -> None:
    """Apply the steps above and exec the command; exit 127 if it cannot be run."""
    parent = int(sys.argv[1])
    keep = set(filter(None, sys.argv[2].split(",")))
    argv = sys.argv[4:]
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(1, 9, 0, 0, 0)  # PR_SET_PDEATHSIG, SIGKILL
        except (OSError, AttributeError):
            pass
        if os.getppid() != parent:
            os._exit(1)
    for key in list(os.environ):
        if key not in keep:
            del os.environ[key]
    sys.stderr.write(f"{PID_MARKER}{os.getpid()}\n")
    sys.stderr.flush()
    try:
        os.execvp(argv[0], argv)
    except OSError as exc:
        sys.stderr.write(f"workbench: cannot run {argv[0]!r}: {exc.strerror or exc}\n")
        sys.stderr.flush()
        os._exit(127)


if __name__ == "__main__":
    main()
