"""``ui/state.py``: the remembered UI preferences are a JSON side file (``core/jsonfile.py``)."""

from __future__ import annotations

from pathlib import Path

import pytest


def test_ui_state_sets_a_damaged_file_aside_and_reports_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from workbench.ui.state import load_state, save_state

    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path))
    (tmp_path / "ui-state.json").write_text("{not json")
    problems: list[str] = []
    assert load_state(problems) == {}
    assert problems and "ui-state.json" in problems[0] and "moved to ui-state.json.corrupt-" in problems[0]
    save_state(theme="nord")
    assert load_state() == {"theme": "nord"}
    [aside] = tmp_path.glob("ui-state.json.corrupt-*")
    assert aside.read_text() == "{not json"
