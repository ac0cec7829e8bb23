"""Test helper: trust a test workspace through the normal trust record (no bypass).

Tests that write ``.workbench/config.toml``, ``.mcp.json``, ``AGENTS.md`` or a sandbox Dockerfile
into a workspace and expect them to apply call :func:`trust_workspace` after writing them, exactly
as a user would run ``workbench trust``.
"""

from __future__ import annotations

import os
from pathlib import Path


def trust_workspace(path: Path, home: Path | None = None) -> None:
    """Record trust for the current content of ``path``'s trust files.

    Args:
        path: the workspace root.
        home: the data dir to record in (``WORKBENCH_HOME``); default: the current one. A
            subprocess must run with the same ``WORKBENCH_HOME`` to see the decision.
    """
    from workbench.core import trust

    if home is None:
        trust.trust(path, via="test")
        return
    old = os.environ.get("WORKBENCH_HOME")
    os.environ["WORKBENCH_HOME"] = str(home)
    try:
        trust.trust(path, via="test")
    finally:
        if old is None:
            os.environ.pop("WORKBENCH_HOME", None)
        else:
            os.environ["WORKBENCH_HOME"] = old
