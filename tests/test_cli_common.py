"""``workbench/cli/common.py``: the one workspace check, configuration-error text and exit handling
every command uses (the commands themselves are tested end to end in ``tests/e2e``)."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from workbench.cli.common import CommandError, check_workspace, command_errors, config_error, workspace


def test_check_workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert check_workspace(tmp_path) == tmp_path.resolve()
    monkeypatch.chdir(tmp_path)
    assert check_workspace(None) == tmp_path.resolve()
    with pytest.raises(CommandError) as caught:
        check_workspace(tmp_path / "missing")
    assert caught.value.code == 2
    assert f"workspace {tmp_path / 'missing'} is not a folder" in str(caught.value) and "--path" in str(caught.value)
    with pytest.raises(CommandError, match="two workspaces given"):
        workspace(argparse.Namespace(path=str(tmp_path), path_arg=str(tmp_path / "missing")))


def test_config_error_and_command_errors(capsys: pytest.CaptureFixture[str]) -> None:
    error = config_error(ValueError("config.toml: llm.temperature: must be <= 2"))
    assert error.code == 2 and str(error) == "configuration error:\nconfig.toml: llm.temperature: must be <= 2"

    @command_errors
    def run(value: int) -> int:
        if value < 0:
            raise CommandError("negative", code=3)
        return value

    assert run(5) == 5 and capsys.readouterr().err == ""
    assert run(-1) == 3
    assert capsys.readouterr().err == "workbench: negative\n"
