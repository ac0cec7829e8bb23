"""The Textual version guard through the installed ``workbench``: an untested Textual is refused
with a clear message (exit 2), and ``WORKBENCH_UNTESTED_TEXTUAL=1`` runs the TUI anyway.

The installed version is faked the way Python finds it: a ``textual-99.0.0.dist-info`` folder on
``PYTHONPATH`` comes before site-packages, so ``importlib.metadata.version("textual")`` reads 99.0.0
while the real Textual package is imported.
"""

from __future__ import annotations

from pathlib import Path

from .conftest import llm_env
from .test_tui_commands_e2e import Pty


def _fake_textual_version(root: Path, version: str) -> dict[str, str]:
    dist = root / f"textual-{version}.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: textual\nVersion: {version}\n")
    return {"PYTHONPATH": str(root)}


def test_an_untested_textual_is_refused_with_the_way_out(wb, e2e_ws, scripted, tmp_path) -> None:
    env = {**llm_env(scripted), **_fake_textual_version(tmp_path / "fake", "99.0.0")}
    proc = wb(e2e_ws, env=env)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert "Textual 99.0.0 is installed" in proc.stderr
    assert "textual>=8.2,<8.3" in proc.stderr
    assert "WORKBENCH_UNTESTED_TEXTUAL=1" in proc.stderr


def test_the_override_runs_the_tui_on_an_untested_textual(workbench_bin, wb_env, e2e_ws, scripted, tmp_path) -> None:
    env = {**wb_env, **llm_env(scripted), **_fake_textual_version(tmp_path / "fake", "99.0.0"), "WORKBENCH_UNTESTED_TEXTUAL": "1"}
    term = Pty([str(workbench_bin), str(e2e_ws)], env, tmp_path)
    term.wait_for("scripted-demo")
    assert term.quit() == 0
