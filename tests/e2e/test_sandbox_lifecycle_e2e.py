"""``workbench run`` stops the session's sandbox container at exit unless ``--keep-sandbox``, and
``workbench sandbox prune`` without a terminal nor ``--yes`` exits 2 with one line: the installed
wheel against the real Docker engine (``require_docker``)."""

from __future__ import annotations

import json

from workbench.core.sandbox.policy import LABEL_WORKSPACE
from workbench.scripted.server import Reply, ToolCallSpec

from .conftest import llm_env, one_line_reason


def _containers(client, ws, running_only: bool) -> list:
    return client.containers.list(all=not running_only, filters={"label": f"{LABEL_WORKSPACE}={ws}"})


def _run_echo(wb, ws, scripted, word: str, *extra: str):
    scripted.enqueue(
        Reply(tool_calls=[ToolCallSpec("run_command", json.dumps({"command": f"echo {word}"}), id=word)]),
        Reply(text=f"ran {word}"),
    )
    proc = wb("run", "--mode", "full-auto", "-p", "go", "--path", ws, *extra, env=llm_env(scripted))
    assert proc.returncode == 0, proc.stderr
    told = [m["content"] for m in scripted.requests[-1]["body"]["messages"] if m.get("tool_call_id") == word]
    assert told and word in told[0], told  # the command ran in the sandbox
    return proc


def test_run_stops_the_sandbox_unless_keep_sandbox_and_prune_needs_yes(wb, sandbox_ws, scripted) -> None:
    client, ws = sandbox_ws
    _run_echo(wb, ws, scripted, "stopped")
    assert _containers(client, ws, running_only=True) == []
    [stopped] = _containers(client, ws, running_only=False)

    _run_echo(wb, ws, scripted, "kept", "--keep-sandbox")
    [kept] = _containers(client, ws, running_only=True)
    assert kept.id != stopped.id
    assert kept.exec_run(["echo", "alive"]).output.decode().strip() == "alive"

    listed = wb("sandbox", "prune", "--path", ws)  # stdin is not a terminal and no --yes
    assert listed.returncode == 2
    assert "pass --yes" in one_line_reason(listed)
    assert len(_containers(client, ws, running_only=False)) == 2  # nothing removed
