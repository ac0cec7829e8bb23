"""The TUI-launching commands (``workbench [PATH]``, ``resume``, ``demo``) start and quit in a pty.

The full TUI smoke (panes, keys, screens) is ``test_tui_tmux.py``; here each command only has to
draw its first screen with the expected content and exit 0 on ``ctrl+q``.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import select
import signal
import struct
import subprocess
import termios
import time

import pytest

from workbench.scripted.server import Reply

from .conftest import llm_env

ANSI = re.compile(r"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\x1b[=>78]|\x1b\][^\x07]*\x07")


_STARTED: list[Pty] = []


@pytest.fixture(autouse=True)
def _end_leftover_apps():
    """A failed assertion must not leave the app running (it would load the rest of the suite)."""
    yield
    while _STARTED:
        term = _STARTED.pop()
        if term.proc.poll() is None:
            try:
                os.killpg(term.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            term.proc.wait(10)


class Pty:
    """A process on a pseudo-terminal of 120x35 cells; :meth:`wait_for` reads its screen output."""

    def __init__(self, argv: list[str], env: dict[str, str], cwd) -> None:
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 35, 120, 0, 0))
        self.proc = subprocess.Popen(
            argv,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            cwd=cwd,
            env={**env, "TERM": "xterm-256color", "COLUMNS": "120", "LINES": "35"},
            start_new_session=True,
        )
        _STARTED.append(self)
        os.close(slave)
        self.raw = b""

    def text(self) -> str:
        return ANSI.sub("", self.raw.decode("utf-8", "replace"))

    def _read(self, timeout: float) -> None:
        ready, _, _ = select.select([self.master], [], [], timeout)
        if ready:
            try:
                self.raw += os.read(self.master, 65536)
            except OSError:  # the child closed the terminal
                pass

    def wait_for(self, *needles: str, timeout: float = 60) -> str:
        """Read until every needle was drawn (fails with the screen text after ``timeout`` s)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.text()
            if all(n in text for n in needles):
                return text
            if self.proc.poll() is not None:
                self._read(0.2)
                break
            self._read(0.2)
        raise AssertionError(f"{needles} not drawn (exit {self.proc.poll()}):\n{self.text()[-6000:]}")

    def quit(self, timeout: float = 60) -> int:
        """Press ctrl+q and return the exit code (the process is killed after ``timeout`` s)."""
        os.write(self.master, b"\x11")
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < deadline:
            self._read(0.2)
        if self.proc.poll() is None:
            self.proc.kill()
        code = self.proc.wait(10)
        os.close(self.master)
        return code


def test_tui_opens_on_a_path_and_quits(workbench_bin, wb_env, e2e_ws, scripted, tmp_path) -> None:
    term = Pty([str(workbench_bin), str(e2e_ws)], {**wb_env, **llm_env(scripted)}, tmp_path)
    term.wait_for("scripted-demo")
    assert term.quit() == 0


def test_resume_reopens_the_session(wb, workbench_bin, wb_env, e2e_ws, scripted, tmp_path) -> None:
    scripted.enqueue(Reply(text="remembered answer"))
    done = wb("run", "--yes", "-p", "first question", "--path", e2e_ws, env=llm_env(scripted))
    assert done.returncode == 0, done.stderr
    [row] = json.loads(wb("sessions", "--json", "--path", e2e_ws).stdout)
    term = Pty([str(workbench_bin), "resume", row["id"][:6], "--path", str(e2e_ws)], {**wb_env, **llm_env(scripted)}, tmp_path)
    term.wait_for("first question", "remembered answer")
    assert term.quit() == 0
    missing = Pty([str(workbench_bin), "resume", "zzzz", "--path", str(e2e_ws)], {**wb_env, **llm_env(scripted)}, tmp_path)
    missing.wait_for("zzzz")
    missing.quit()


def test_demo_opens_the_sample_project(workbench_bin, wb_env, tmp_path) -> None:
    term = Pty([str(workbench_bin), "demo"], wb_env, tmp_path)
    term.wait_for("scripted demo model")
    assert term.quit() == 0


def test_tui_draws_with_no_color(workbench_bin, wb_env, e2e_ws, scripted, tmp_path) -> None:
    """NO_COLOR=1 (https://no-color.org) used to crash the Specs pane's empty message (a segment without a style)."""
    term = Pty([str(workbench_bin), "--path", str(e2e_ws)], {**wb_env, **llm_env(scripted), "NO_COLOR": "1"}, tmp_path)
    term.wait_for("scripted-demo", "No specs in this workspace.")
    assert term.quit() == 0
