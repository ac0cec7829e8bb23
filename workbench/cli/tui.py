"""``workbench [PATH]``: the full-screen TUI (the default when no command is given)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from workbench.cli.common import add_llm_flags, add_mode_flag, add_path

DESCRIPTION = "Keyboard-driven terminal workbench for LLM-assisted software engineering."


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The TUI's arguments on the top-level parser: ``[PATH]``, ``--path``, ``-c``, LLM and mode flags."""
    add_path(p, positional=True)
    p.add_argument("-c", "--continue", dest="continue_", action="store_true", help="reopen the latest session")
    add_llm_flags(p)
    add_mode_flag(p)


def handle(args: argparse.Namespace) -> int:
    """Open the TUI on the workspace of ``args``."""
    from workbench.cli.common import overrides, workspace

    return run_tui(workspace(args), overrides(args), continue_=args.continue_)


def run_tui(
    workspace: Path,
    overrides: dict[str, Any],
    *,
    continue_: bool = False,
    session_id: str | None = None,
) -> int:
    """Run the full-screen app; returns its exit code (2 on a configuration error or an untested
    Textual version, see ``workbench.ui._textual_compat``)."""
    from workbench.ui._textual_compat import UntestedTextualError

    try:
        from workbench.ui.app import WorkbenchApp
    except UntestedTextualError as exc:
        print(f"workbench: {exc}", file=sys.stderr)
        return 2

    app = WorkbenchApp(workspace, overrides, continue_=continue_, session_id=session_id)
    app.run()
    return int(app.return_code or 0)
