"""Sandbox lifecycle faults through the REAL ``workbench run`` subprocess, the scripted model server
and the real Docker engine: fork bomb, timeout kill, containers ending with their run, OOM inside a
compound command, root-owned and user-owned workspaces, bounded memory with huge output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from helpers.docker import require_docker, sandbox_workspace
from helpers.trust import trust_workspace

from workbench.core.sandbox.policy import LABEL_WORKSPACE
from workbench.scripted.server import Reply, ScriptedServer, ToolCallSpec

pytestmark = [pytest.mark.docker, pytest.mark.timeout(240)]

REPO = Path(__file__).resolve().parents[2]
BUSYBOX = "workbench-test/busybox:latest"
PYTHON = "workbench-test/python:latest"
KEY = "sk-canary-lifecycle-0123456789"


def cmd(command: str, cid: str, **extra) -> Reply:
    return Reply(tool_calls=[ToolCallSpec("run_command", json.dumps({"command": command, **extra}), id=cid)])


def tool_messages(server: ScriptedServer) -> dict[str, str]:
    """``{tool_call_id: content}`` of every tool message the model received."""
    out: dict[str, str] = {}
    for request in server.requests:
        for m in request["body"]["messages"]:
            if m["role"] == "tool":
                out[m["tool_call_id"]] = m["content"]
    return out


class Run:
    """A finished ``workbench run``: exit code, output, wall time and peak RSS (KiB, ``VmHWM``)."""

    def __init__(self, code: int, out: str, err: str, seconds: float, maxrss_kib: int) -> None:
        self.code, self.out, self.err, self.seconds, self.maxrss_kib = code, out, err, seconds, maxrss_kib


def _vm_hwm_kib(pid: int) -> int:
    """``VmHWM`` (peak RSS of the process's own memory, reset at exec) from /proc/PID/status, KiB."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _env(server: ScriptedServer) -> dict[str, str]:
    return {
        **os.environ,
        "OPENAI_API_KEY": KEY,
        "WORKBENCH_LLM__BASE_URL": server.base_url,
        "WORKBENCH_LLM__MODEL": "m",
        "WORKBENCH_LLM__MAX_RETRIES": "0",
        "PYTHONUNBUFFERED": "1",
    }


def start_run(server: ScriptedServer, ws: Path, *extra: str) -> tuple[subprocess.Popen, Path, float]:
    """Start ``python -m workbench run`` on ``ws`` against ``server`` (output to files)."""
    out_path = ws.parent / f"out-{uuid.uuid4().hex[:6]}"
    with open(out_path, "w") as out, open(f"{out_path}.err", "w") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "workbench", "run", "--mode", "full-auto", "-p", "go", str(ws), *extra],
            cwd=REPO,
            env=_env(server),
            stdout=out,
            stderr=err,
            text=True,
        )
    return proc, out_path, time.monotonic()


def finish_run(started: tuple[subprocess.Popen, Path, float], timeout: float = 120) -> Run:
    """Wait for a run from :func:`start_run` (killing it after ``timeout``) and measure it."""
    proc, out_path, start = started
    deadline = start + timeout
    peak = 0
    while True:
        peak = max(peak, _vm_hwm_kib(proc.pid))  # not wait4's ru_maxrss: it counts the forking parent
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            proc.kill()
            pid, status, usage = os.wait4(proc.pid, 0)
            break
        time.sleep(0.05)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Run(proc.returncode, out_path.read_text(), Path(f"{out_path}.err").read_text(), time.monotonic() - start, peak)


def workbench_run(server: ScriptedServer, ws: Path, *extra: str, timeout: float = 120) -> Run:
    """Run ``python -m workbench run`` on ``ws`` against ``server`` and measure it."""
    return finish_run(start_run(server, ws, *extra), timeout)


def containers(client, ws: Path, running_only: bool = True) -> list:
    return client.containers.list(all=not running_only, filters={"label": f"{LABEL_WORKSPACE}={ws.resolve()}"})


@pytest.fixture
def docker_ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path / "home"))
    client = require_docker(BUSYBOX)
    ws = tmp_path / "project"
    ws.mkdir()
    with sandbox_workspace(ws, client, BUSYBOX) as path:
        yield client, path


def set_config(ws: Path, text: str) -> None:
    """Write the workspace config and trust it (as `workbench trust` would), so it applies."""
    (ws / ".workbench" / "config.toml").write_text(text)
    trust_workspace(ws)


def test_fork_bomb_resets_the_sandbox_and_the_next_command_works(docker_ws):
    client, ws = docker_ws
    with ScriptedServer(model="m") as server:
        server.enqueue(cmd("f(){ f|f& }; f; sleep 4", "b1"), cmd("echo next-ok", "b2"), Reply(text="done"))
        run = workbench_run(server, ws, "--keep-sandbox")
        assert run.code == 0, run.err
        got = tool_messages(server)
    assert got["b1"].count("process limit reached; the sandbox was reset") == 1, got["b1"][-500:]
    assert "[exit 0," in got["b2"] and "next-ok" in got["b2"]
    assert "the sandbox was reset" in run.err  # the user is told too (the tool summary)
    assert run.seconds < 60
    (container,) = containers(client, ws)
    pids = client.api.stats(container.id, stream=False)["pids_stats"]["current"]
    assert pids <= 4, f"{pids} pids left in the container"  # init, keep-alive shell, its sleep


def test_sleep_past_tool_timeout_is_killed_and_run_exits(docker_ws):
    client, ws = docker_ws
    set_config(ws, (ws / ".workbench" / "config.toml").read_text() + "\n[agent]\ntool_timeout = 3\n")
    with ScriptedServer(model="m") as server:
        server.enqueue(cmd("sleep 1000", "s1"), Reply(text="done"))
        run = workbench_run(server, ws, "--keep-sandbox", timeout=60)
        assert run.code == 0, run.err
        got = tool_messages(server)["s1"]
    assert run.seconds < 20
    assert got.count("timed out after 3 s") == 1 and "process tree was killed" in got
    (container,) = containers(client, ws)
    top = client.api.top(container.id)
    assert not [p for p in top["Processes"] if "sleep 1000" in " ".join(p)], top


def test_ten_headless_runs_leave_no_running_container(docker_ws):
    client, ws = docker_ws
    servers = [ScriptedServer(model="m").start() for _ in range(10)]
    try:
        started = []
        for i, server in enumerate(servers):  # ten runs at once (one scripted server each)
            server.enqueue(cmd("true", f"t{i}"), Reply(text="done"))
            started.append(start_run(server, ws))
        for run in [finish_run(s, 180) for s in started]:
            assert run.code == 0, run.err
        assert all(len(tool_messages(server)) == 1 for server in servers)
    finally:
        for server in servers:
            server.stop()
    assert containers(client, ws) == []
    assert len(containers(client, ws, running_only=False)) == 10  # stopped, for `sandbox prune`
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    no_tty = subprocess.run(
        [sys.executable, "-m", "workbench", "sandbox", "prune", "--path", str(ws)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )
    assert no_tty.returncode == 2 and "pass --yes" in no_tty.stderr
    pruned = subprocess.run(
        [sys.executable, "-m", "workbench", "sandbox", "prune", "--yes", "--path", str(ws)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert pruned.returncode == 0 and "removed 10 container(s)" in pruned.stdout, pruned.stderr
    assert containers(client, ws, running_only=False) == []


def test_oom_inside_a_compound_command_is_named_once(docker_ws):
    client, ws = docker_ws
    require_docker(PYTHON)
    set_config(ws, f'[sandbox]\nimage = "{PYTHON}"\nmem_limit = "64m"\npids_limit = 64\ncommand_timeout = 60\n')
    hog = "python3 -c 'b = bytearray(512 * 1024 * 1024)'; echo rc=$?"
    with ScriptedServer(model="m") as server:
        server.enqueue(cmd(hog, "o1"), Reply(text="done"))
        run = workbench_run(server, ws)
        assert run.code == 0, run.err
        got = tool_messages(server)["o1"]
    assert "rc=137" in got
    assert got.count("a process was killed for memory (limit 64m)") == 1, got


def test_root_owned_workspace_is_writable_and_files_stay_root(tmp_path: Path, monkeypatch):
    if os.geteuid() != 0:
        pytest.skip("needs root to own the workspace (CI runs these tests as root)")
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path / "home"))
    client = require_docker(BUSYBOX)
    ws = tmp_path / "rootws"
    ws.mkdir()
    (ws / ".workbench").mkdir()
    set_config(ws, f'[sandbox]\nimage = "{BUSYBOX}"\nmem_limit = "64m"\npids_limit = 64\n')
    try:
        with ScriptedServer(model="m") as server:
            server.enqueue(cmd("touch /workspace/x && id -u", "r1"), Reply(text="done"))
            run = workbench_run(server, ws)
            assert run.code == 0, run.err
            got = tool_messages(server)["r1"]
        assert "[exit 0," in got and "\n0\n" in got + "\n" and "cannot write" not in got
        assert (ws / "x").stat().st_uid == 0 and (ws / "x").stat().st_gid == 0

        # a user that cannot write the workspace: the first command says so with the fix
        set_config(ws, f'[sandbox]\nimage = "{BUSYBOX}"\nuser = "1000:1000"\n')
        for c in containers(client, ws, running_only=False):
            c.remove(force=True)
        with ScriptedServer(model="m") as server:
            server.enqueue(cmd("touch /workspace/y", "r2"), Reply(text="done"))
            run = workbench_run(server, ws)
            got = tool_messages(server)["r2"]
        assert "the sandbox cannot write /workspace" in got and "Fix:" in got
        assert "the sandbox cannot write /workspace" in run.err
    finally:
        for c in containers(client, ws, running_only=False):
            c.remove(force=True)


def test_user_owned_workspace_keeps_working(docker_ws):
    client, ws = docker_ws  # chowned to 1000 when the tests run as root
    with ScriptedServer(model="m") as server:
        server.enqueue(cmd("touch /workspace/u && id -u", "u1"), Reply(text="done"))
        run = workbench_run(server, ws)
        assert run.code == 0, run.err
        got = tool_messages(server)["u1"]
    owner = ws.stat().st_uid
    assert "[exit 0," in got and f"\n{owner}\n" in got + "\n"
    assert (ws / "u").stat().st_uid == owner


def test_huge_output_keeps_peak_rss_flat(docker_ws):
    """200 MB of output: peak RSS of ``workbench run`` stays within 50 MB of the same run printing
    nothing (the benchmark does 1 GB); the whole output is in the spool file named in the result."""
    client, ws = docker_ws
    set_config(ws, f'[sandbox]\nimage = "{BUSYBOX}"\nmem_limit = "64m"\npids_limit = 64\ncommand_timeout = 200\n')
    with ScriptedServer(model="m") as server:
        server.enqueue(cmd("echo small", "m0"), Reply(text="done"))
        idle = workbench_run(server, ws)
        size = 200 * 1024 * 1024
        server.enqueue(cmd(f"head -c {size} /dev/zero | tr '\\000' x", "m1"), Reply(text="done"))
        big = workbench_run(server, ws, timeout=200)
        assert idle.code == 0 and big.code == 0, big.err
        got = tool_messages(server)["m1"]
    assert idle.maxrss_kib > 10_000  # the /proc reading worked
    delta_mb = (big.maxrss_kib - idle.maxrss_kib) / 1024
    print(
        f"peak RSS idle {idle.maxrss_kib / 1024:.1f} MB, 200 MB output {big.maxrss_kib / 1024:.1f} MB, delta {delta_mb:+.1f} MB"
    )
    assert delta_mb < 50
    assert "full output: " in got
    spool = Path(got.split("full output: ", 1)[1].split("]", 1)[0])
    assert spool.stat().st_size == size and oct(spool.stat().st_mode & 0o777) == "0o600"


def test_a_new_session_prunes_containers_of_crashed_sessions_and_says_which(docker_ws):
    from workbench.core.events import Event, EventKind
    from workbench.core.runtime import event_log_path
    from workbench.core.sandbox.policy import SandboxSettings
    from workbench.core.sandbox.service import SandboxService
    from workbench.core.store import EventStore

    client, ws = docker_ws
    store = EventStore(event_log_path(ws))
    dead = subprocess.Popen(["true"])
    dead.wait()
    crashed = store.create_session(ws)
    store.append(Event(EventKind.SESSION_OPENED, crashed.id, {"pid": dead.pid, "model": "m"}))
    assert store.session(crashed.id).status == "crashed"
    store.close()
    service = SandboxService(SandboxSettings(image=BUSYBOX, mem_limit="64m"), ws, client_factory=lambda: client)
    left = service.ensure_sync(crashed.id).container
    with ScriptedServer(model="m") as server:
        server.enqueue(cmd("echo fresh", "p1"), Reply(text="done"))
        run = workbench_run(server, ws)
        assert run.code == 0, run.err
        got = tool_messages(server)["p1"]
    assert f"removed 1 stale sandbox container(s) of crashed sessions: {left.name}" in got
    assert left.name in run.err
    assert left.id not in [c.id for c in containers(client, ws, running_only=False)]
