"""``workbench demo``: the workbench on a sample project against the scripted demo model.

Copies the bundled sample project (``workbench/demo_project``) to a temporary folder, starts the
scripted OpenAI-compatible server (:mod:`workbench.scripted.server`) on loopback, and
opens the TUI on the copy with the model labelled "scripted demo model". Everything works offline.
The demo keeps its own data dir inside the temporary folder unless ``WORKBENCH_HOME`` is set.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

SAMPLE = Path(__file__).resolve().parents[2] / "demo_project"


def prepare_sample(target_parent: Path) -> Path:
    """Copy the sample project under ``target_parent``; return the copy's path."""
    target = target_parent / "calc-demo"
    shutil.copytree(SAMPLE, target)
    return target


def run_demo(*, keep: bool = False) -> int:
    """Run the demo TUI; returns its exit code."""
    from workbench.cli import run_tui
    from workbench.scripted.server import ScriptedServer, demo_reply

    tmp = Path(tempfile.mkdtemp(prefix="workbench-demo-"))
    try:
        workspace = prepare_sample(tmp)
        os.environ.setdefault("WORKBENCH_HOME", str(tmp / "data"))
        from workbench.core import trust

        trust.trust(workspace, via="demo")  # Workbench made this copy from its own bundled sample
        with ScriptedServer(default=demo_reply, model="scripted-demo") as server:
            overrides = {
                "llm": {
                    "base_url": server.base_url,
                    "model": "scripted-demo",
                    "api_key": "demo-key-not-secret",
                    "label": "scripted demo model",
                }
            }
            code = run_tui(workspace, overrides)
        if keep:
            print(f"The demo project is kept at {workspace}")
        return code
    finally:
        if not keep:
            shutil.rmtree(tmp, ignore_errors=True)
