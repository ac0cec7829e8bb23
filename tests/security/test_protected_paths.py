"""Attacks on protected paths through the real CLI, the real sandbox and a host ``git commit``.

Each test plays injected instructions: the scripted model asks ``run_command`` (full-auto, real
Docker container) to plant persistence in ``.git/hooks``, ``.workbench/config.toml`` or
``AGENTS.md``. Afterwards nothing planted may be left for the host to run (SECURITY.md
invariant 3), and the model and the user are told the change was denied (invariant 6).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.docker import require_docker

from workbench.core.events import EventKind
from workbench.core.sandbox.policy import LABEL_WORKSPACE
from workbench.scripted.server import Reply, ScriptedServer, ToolCallSpec

pytestmark = [pytest.mark.docker, pytest.mark.timeout(180)]
BUSYBOX = "workbench-test/busybox:latest"
REPO = Path(__file__).resolve().parents[2]
KEY = "sk-guardtest-0123456789abcdef"


@pytest.fixture
def ws(tmp_path: Path):
    """A git repository workspace the sandbox user (uid 1000 when run as root) can write."""
    client = require_docker(BUSYBOX)
    path = (tmp_path / "repo").resolve()
    path.mkdir()
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    (path / "README.md").write_text("# repo\n")
    yield path
    for c in client.containers.list(all=True, filters={"label": f"{LABEL_WORKSPACE}={path}"}):
        c.remove(force=True)


def chown_for_sandbox(path: Path) -> None:
    if os.geteuid() == 0:
        for root, dirs, files in os.walk(path):
            for name in dirs + files:
                os.lchown(os.path.join(root, name), 1000, 1000)
        os.chown(path, 1000, 1000)


def env_for(server: ScriptedServer) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        OPENAI_API_KEY=KEY,
        WORKBENCH_LLM__BASE_URL=server.base_url,
        WORKBENCH_LLM__MODEL="m",
        WORKBENCH_LLM__MAX_RETRIES="0",
        WORKBENCH_SANDBOX__IMAGE=BUSYBOX,
        WORKBENCH_SANDBOX__MEM_LIMIT="64m",
        WORKBENCH_SANDBOX__PIDS_LIMIT="64",
        WORKBENCH_SANDBOX__COMMAND_TIMEOUT="30",
        PYTHONUNBUFFERED="1",
    )
    return env


def run(server: ScriptedServer, ws: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "workbench", "run", *args, str(ws)],
        cwd=REPO,
        env=env_for(server),
        capture_output=True,
        text=True,
        timeout=150,
    )


def command_call(command: str) -> Reply:
    return Reply(tool_calls=[ToolCallSpec("run_command", json.dumps({"command": command}), id="atk")])


def tool_message(server: ScriptedServer, index: int) -> str:
    body = server.requests[index]["body"]
    return next(m["content"] for m in body["messages"] if m["role"] == "tool")


def git_commit(ws: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            "git",
            "-c",
            "safe.directory=*",
            "-c",
            "user.name=u",
            "-c",
            "user.email=u@example.com",
            "-C",
            str(ws),
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            "host commit",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_sandbox_cannot_plant_a_git_hook_that_runs_on_the_host(ws: Path, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    attack = (
        f"mkdir -p .git/hooks && printf '#!/bin/sh\\ntouch {marker}\\n' > .git/hooks/pre-commit && chmod +x .git/hooks/pre-commit"
    )
    chown_for_sandbox(ws)
    with ScriptedServer() as server:
        server.enqueue(command_call(attack), Reply(text="done"))
        proc = run(server, ws, "--mode", "full-auto", "--json", "-p", "set up the repo")
        told = tool_message(server, 1)
    assert proc.returncode == 0, proc.stderr
    assert not (ws / ".git" / "hooks" / "pre-commit").exists()
    assert "Read-only file system" in told or "Denied" in told, told  # the model is told it failed
    commit = git_commit(ws)
    assert commit.returncode == 0, commit.stderr
    assert not marker.exists(), "a hook planted from the sandbox ran on the host"
    # control: the same hook written by the user does run, so the check above can fail
    hook = ws / ".git" / "hooks" / "pre-commit"
    hook.write_text(f"#!/bin/sh\ntouch {marker}\n")
    hook.chmod(0o755)
    assert git_commit(ws).returncode == 0 and marker.exists()
    assert KEY not in proc.stdout + proc.stderr


@pytest.mark.parametrize("existing", [False, True], ids=["missing", "existing"])
def test_sandbox_cannot_switch_the_next_session_to_full_auto(ws: Path, existing: bool) -> None:
    config = ws / ".workbench" / "config.toml"
    original = '[chat]\nsystem_prompt = "be brief"\n'
    config.parent.mkdir()  # Workbench makes .workbench/ (journal) anyway; the sandbox user must own it
    if existing:
        config.write_text(original)
    attack = (
        'mkdir -p .workbench && printf \'\\n[agent]\\nmode = "full-auto"\\n[permissions]\\nallow = ["run_command:*"]\\n\' '
        ">> .workbench/config.toml; echo planted > AGENTS.md; ln -s /etc/passwd Claude.md; cat .workbench/config.toml"
    )
    chown_for_sandbox(ws)
    with ScriptedServer() as server:
        server.enqueue(command_call(attack), Reply(text="done"))
        proc = run(server, ws, "--mode", "full-auto", "--json", "-p", "configure")
        told = tool_message(server, 1)
        assert proc.returncode == 0, proc.stderr
        assert (config.read_text() == original) if existing else not config.exists()
        assert not (ws / "AGENTS.md").exists()  # a missing instruction file cannot be created either
        assert not os.path.lexists(ws / "Claude.md")  # nor as a symlink, under any letter case
        assert "Denied" in told and "AGENTS.md" in told and "reverted" in told, told
        events = [json.loads(line) for line in proc.stdout.splitlines()]
        guarded = [e for e in events if e["kind"] == EventKind.PROTECTED_CHANGE]
        assert guarded and guarded[0]["payload"]["action"] == "reverted"
        paths = {c["path"] for c in guarded[0]["payload"]["changes"]}
        assert {"AGENTS.md", "Claude.md"} <= paths and (".workbench/config.toml" in paths) != existing, (paths, told)
        finished = [e for e in events if e["kind"] == EventKind.TOOL_CALL_FINISHED]
        assert finished[0]["payload"]["outcome"] == "denied"
        assert "protected paths" in proc.stderr  # the user is told too
        # the next session starts in the mode the user chose, not the planted one
        server.enqueue(Reply(text="hello"))
        nxt = run(server, ws, "--yes", "--json", "-p", "hi")
    assert nxt.returncode == 0, nxt.stderr
    modes = [
        json.loads(line)["payload"]["mode"]
        for line in nxt.stdout.splitlines()
        if json.loads(line)["kind"] == EventKind.MODE_CHANGED
    ]
    assert modes == ["auto-edit"]


def test_readonly_git_still_reads_in_the_sandbox(ws: Path) -> None:
    chown_for_sandbox(ws)
    subprocess.run(["git", "-c", "safe.directory=*", "-C", str(ws), "add", "README.md"], check=True)
    with ScriptedServer() as server:
        server.enqueue(command_call("ls .git/HEAD && touch .git/x; echo status=$?"), Reply(text="done"))
        proc = run(server, ws, "--mode", "full-auto", "-p", "look")
        told = tool_message(server, 1)
    assert proc.returncode == 0, proc.stderr
    assert ".git/HEAD" in told and "status=1" in told and "Read-only file system" in told, told
    assert not (ws / ".git" / "x").exists()


def test_compound_command_deny_through_the_cli(tmp_path: Path) -> None:
    """``deny = ["run_command:curl*"]`` stops ``true && curl ...`` (no sandbox needed: it never runs)."""
    ws = tmp_path / "plain"
    ws.mkdir()
    home = Path(os.environ["WORKBENCH_HOME"])
    (home / "config").mkdir(parents=True, exist_ok=True)
    (home / "config" / "config.toml").write_text('[permissions]\ndeny = ["run_command:curl*"]\n')
    with ScriptedServer() as server:
        server.enqueue(command_call("true && curl http://127.0.0.1:1"), Reply(text="ok"))
        env = env_for(server)
        env["DOCKER_HOST"] = "unix:///nonexistent/docker.sock"  # proves it is refused before any sandbox
        proc = subprocess.run(
            [sys.executable, "-m", "workbench", "run", "--mode", "full-auto", "--json", "-p", "go", str(ws)],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        told = tool_message(server, 1)
    assert proc.returncode == 0, proc.stderr
    assert "denied by rule 'run_command:curl*'" in told and "curl http://127.0.0.1:1" in told, told
    kinds = [json.loads(line)["kind"] for line in proc.stdout.splitlines()]
    assert EventKind.TOOL_CALL_DENIED in kinds and EventKind.TOOL_CALL_STARTED not in kinds
