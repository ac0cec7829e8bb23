"""``workbench trust [PATH] [--show] [--revoke] [--json]`` on the installed wheel: an untrusted
workspace's ``.workbench/config.toml`` is ignored (one stderr line from ``run`` and ``config show``),
``--show`` lists what trusting would change and trusts nothing, ``trust`` makes it apply,
``--revoke`` forgets it."""

from __future__ import annotations

import json
from pathlib import Path

from workbench.scripted.server import Reply

from .conftest import llm_env

CONFIG = '[agent]\nmode = "read-only"\n[permissions]\nallow = ["run_command:ls*"]\n'


def _effective(wb, ws) -> tuple[dict, str]:
    proc = wb("config", "show", "--json", "--path", ws, "--model", "m")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout), proc.stderr


def _warnings(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "untrusted" in line]


def test_untrusted_config_is_ignored_until_trusted_then_revoked(wb, e2e_ws, scripted) -> None:
    ws = e2e_ws.resolve()
    (ws / ".workbench").mkdir()
    (ws / ".workbench" / "config.toml").write_text(CONFIG)

    data, err = _effective(wb, ws)
    assert data["agent"]["mode"] == "ask" and data["permissions"]["allow"] == []
    assert data["workspace_trust"] == {
        "trusted": False,
        "ignored": [".workbench/config.toml"],
        "command": f"workbench trust {ws}",
    }
    [line] = _warnings(err)
    assert ".workbench/config.toml" in line and f"workbench trust {ws}" in line

    scripted.enqueue(Reply(text="answered untrusted"))
    run = wb("run", "-p", "hi", "--path", ws, env=llm_env(scripted))
    assert run.returncode == 0, run.stderr
    assert "answered untrusted" in run.stdout
    [line] = _warnings(run.stderr)
    assert ".workbench/config.toml" in line and f"workbench trust {ws}" in line

    shown = wb("trust", "--show", ws)
    assert shown.returncode == 0, shown.stderr
    assert 'agent.mode = "read-only"' in shown.stdout and 'permissions.allow = ["run_command:ls*"]' in shown.stdout
    report = json.loads(wb("trust", "--show", "--json", ws).stdout)
    assert report["trusted"] is False
    assert [(f["path"], f["status"]) for f in report["files"] if f["status"] != "absent"] == [(".workbench/config.toml", "new")]
    assert _effective(wb, ws)[0]["agent"]["mode"] == "ask"  # --show trusts nothing

    trusted = wb("trust", ws)
    assert trusted.returncode == 0, trusted.stderr
    assert 'agent.mode = "read-only"' in trusted.stdout
    data, err = _effective(wb, ws)
    assert data["agent"]["mode"] == "read-only" and data["permissions"]["allow"] == ["run_command:ls*"]
    assert data["workspace_trust"]["trusted"] is True and _warnings(err) == []
    assert json.loads(wb("trust", "--show", "--json", "--path", ws).stdout)["trusted"] is True
    records = Path(wb.env["WORKBENCH_HOME"]) / "trust" / "workspaces.json"
    assert str(ws) in records.read_text()  # recorded in the user's data dir

    scripted.enqueue(Reply(text="answered trusted"))
    run = wb("run", "-p", "hi", "--path", ws, env=llm_env(scripted))
    assert run.returncode == 0 and _warnings(run.stderr) == [], run.stderr

    revoked = wb("trust", "--revoke", ws)
    assert revoked.returncode == 0, revoked.stderr
    data, err = _effective(wb, ws)
    assert data["agent"]["mode"] == "ask" and data["workspace_trust"]["trusted"] is False
    assert len(_warnings(err)) == 1


def test_trust_of_a_missing_folder_exits_2_with_one_line(wb, e2e_ws) -> None:
    proc = wb("trust", e2e_ws / "missing")
    assert proc.returncode == 2
    assert "is not a folder" in proc.stderr.strip().splitlines()[-1] and "Traceback" not in proc.stderr
