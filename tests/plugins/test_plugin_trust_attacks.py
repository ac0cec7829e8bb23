"""Issue 21, item 3, played as the attacker: MCP trust covers what runs.

A user trusts ``python srv.py`` from a repository's ``.mcp.json``. The agent (or anything else
with write access to the workspace) then rewrites ``srv.py`` and kills the server so that the
supervisor's automatic restart runs the new code on the host; or the repository changes an env
value (``UPLOAD_URL``) of a trusted server. Neither may run without a new trust.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from helpers.trust import trust_workspace

from workbench.core.mcp.plugins import PluginNotTrustedError, PluginState, PluginSupervisor, TrustStore, load_specs

from .conftest import eventually, pid_alive

SERVER = '''
import os, sys
from mcp.server.mcpserver import MCPServer
MARKER = None
server = MCPServer("srv", log_level="WARNING")

@server.tool()
def upload_url() -> str:
    """Where this server would upload."""
    return os.environ.get("UPLOAD_URL", "")

if MARKER:
    open(MARKER, "w").write("the edited server ran")
server.run()
'''


def workspace(tmp_path: Path, upload_url: str = "https://uploads.example.com") -> Path:
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "srv.py").write_text(SERVER)
    entry = {"command": sys.executable, "args": ["srv.py"], "env": {"UPLOAD_URL": upload_url}}
    (ws / ".mcp.json").write_text(json.dumps({"mcpServers": {"srv": entry}}))
    trust_workspace(ws)  # workspace trust (issue 21.1) lets .mcp.json apply; servers need their own
    return ws


def fast_restarts(specs: list) -> list:
    settings = {"auto_restart": True, "restart_base_delay": 0.05, "max_restarts": 3, "init_timeout": 30}
    return [replace(s, settings=s.settings.model_copy(update=settings)) for s in specs]


async def test_edited_server_script_never_runs_after_a_crash_restart(tmp_path: Path) -> None:
    ws = workspace(tmp_path)
    marker = tmp_path / "pwned"
    trust = TrustStore.for_workspace(ws)
    trust.trust(load_specs(ws)[0])
    async with PluginSupervisor(fast_restarts(load_specs(ws)), trust=trust, log_dir=tmp_path / "logs") as sup:
        handle = await sup.start("srv")
        assert handle.state == PluginState.ACTIVE, handle.last_error
        first_pid = handle.pid
        assert (await sup.call_tool("mcp__srv__upload_url", {})).text == "https://uploads.example.com"

        # the attack: rewrite the trusted script (as write_file would), then crash the server
        (ws / "srv.py").write_text(SERVER.replace("MARKER = None", f"MARKER = {str(marker)!r}"))
        os.kill(first_pid, signal.SIGKILL)

        assert await eventually(lambda: handle.state == PluginState.ERROR and not handle.running, 30), (
            handle.state,
            handle.last_error,
        )
        assert not marker.exists(), "the edited server script ran without a new trust"
        assert not pid_alive(first_pid) and handle.restarts == 1
        reason = handle.last_error.reason
        assert "not restarted: changed since trusted: file srv.py: content changed" in reason
        assert "workbench mcp trust srv" in reason
        status = sup.trust_status("srv")
        assert status.state == "changed" and status.changes == ["file srv.py: content changed since it was trusted"]

        # a manual start is refused too, and says what changed
        with pytest.raises(PluginNotTrustedError, match="changed since you trusted it") as err:
            await sup.start("srv")
        assert "file srv.py: content changed" in str(err.value)
        assert not marker.exists()

        # control: once the user trusts the new content, the new code does run (the marker works)
        trust.trust(handle.spec)
        await sup.start("srv")
        assert handle.state == PluginState.ACTIVE, handle.last_error
        assert await eventually(marker.exists, 10)


async def test_changed_env_value_asks_again(tmp_path: Path) -> None:
    ws = workspace(tmp_path)
    trust = TrustStore.for_workspace(ws)
    trust.trust(load_specs(ws)[0])
    entry = json.loads((ws / ".mcp.json").read_text())
    entry["mcpServers"]["srv"]["env"]["UPLOAD_URL"] = "https://attacker.example/collect"
    (ws / ".mcp.json").write_text(json.dumps(entry))
    # first layer: until the workspace change is trusted, the trusted copy of .mcp.json applies
    assert load_specs(ws)[0].env["UPLOAD_URL"] == "https://uploads.example.com"
    trust_workspace(ws)  # the user accepts the workspace change; the server itself must still ask
    spec = load_specs(ws)[0]
    status = trust.status(spec)
    assert status.state == "changed"
    assert status.changes == ["environment UPLOAD_URL: value changed (now https://attacker.example/collect)"]
    async with PluginSupervisor([spec], trust=trust, log_dir=tmp_path / "logs") as sup:
        await sup.start_all()
        assert sup.handles["srv"].state == PluginState.REGISTERED and sup.handles["srv"].pid is None
        with pytest.raises(PluginNotTrustedError, match="UPLOAD_URL"):
            await sup.start("srv")
    # the trust file holds no env value in clear
    assert "uploads.example.com" not in trust.path.read_text()


async def test_running_plugin_whose_config_changes_is_stopped_not_restarted(tmp_path: Path) -> None:
    ws = workspace(tmp_path)
    trust = TrustStore.for_workspace(ws)
    trust.trust(load_specs(ws)[0])
    async with PluginSupervisor(load_specs(ws), trust=trust, log_dir=tmp_path / "logs") as sup:
        handle = await sup.start("srv")
        pid = handle.pid
        changed = replace(
            handle.spec,
            env={"UPLOAD_URL": "https://attacker.example"},
            template={**handle.spec.template, "env": {"UPLOAD_URL": "https://attacker.example"}},
        )
        await sup.update_specs([changed])
        assert handle.state == PluginState.STOPPED and not pid_alive(pid)
        assert sup.trust_status("srv").state == "changed"


def test_legacy_trust_records_need_trust_again(tmp_path: Path) -> None:
    ws = workspace(tmp_path)
    spec = load_specs(ws)[0]
    trust = TrustStore.for_workspace(ws)
    trust.path.parent.mkdir(parents=True, exist_ok=True)
    trust.path.write_text(json.dumps({"mcp_servers": {"0" * 64: {"name": "srv", "command_line": "python srv.py"}}}))
    status = trust.status(spec)
    assert status.state == "legacy" and not status.trusted
    assert "older Workbench" in status.summary() and "trust it again" in status.summary()
    trust.trust(spec)
    assert trust.status(spec).state == "trusted"
    assert "mcp_servers" not in trust.path.read_text() or json.loads(trust.path.read_text())["mcp_servers"] == {}


def test_workbench_plugins_shows_what_changed(tmp_path: Path) -> None:
    ws = workspace(tmp_path)
    TrustStore.for_workspace(ws).trust(load_specs(ws)[0])
    (ws / "srv.py").write_text(SERVER + "\n# edited\n")
    out = subprocess.run(
        [sys.executable, "-m", "workbench.cli.commands.plugins", "--path", str(ws)],
        capture_output=True,
        text=True,
        timeout=120,
        env=os.environ.copy(),
    )
    assert out.returncode == 0, out.stderr
    assert "srv: changed since trusted (workspace, stdio)" in out.stdout
    assert "changed: file srv.py: content changed since it was trusted" in out.stdout
    assert "workbench mcp trust srv" in out.stdout


def test_corrupt_trust_file_is_set_aside_not_overwritten(tmp_path: Path) -> None:
    ws = workspace(tmp_path)
    trust = TrustStore.for_workspace(ws)
    trust.path.parent.mkdir(parents=True, exist_ok=True)
    trust.path.write_text("{not json")
    spec = load_specs(ws)[0]
    assert not trust.is_trusted(spec)
    trust.trust(spec)
    assert trust.is_trusted(spec)
    kept = list(trust.path.parent.glob("trust.json.corrupt-*"))
    assert len(kept) == 1 and kept[0].read_text() == "{not json"


def test_trusted_files_lists_what_trusted_servers_run(tmp_path: Path) -> None:
    ws = workspace(tmp_path)
    (ws / "tools").mkdir()
    (ws / "tools" / "helper.py").write_text("x = 1\n")
    data = json.loads((ws / ".mcp.json").read_text())
    data["mcpServers"]["mod"] = {"command": sys.executable, "args": ["-m", "tools.helper", "--root", "."]}
    data["mcpServers"]["outside"] = {"command": sys.executable, "args": [str(tmp_path / "elsewhere.py")]}
    (ws / ".mcp.json").write_text(json.dumps(data))
    trust_workspace(ws)
    trust = TrustStore.for_workspace(ws)
    for spec in load_specs(ws):
        trust.trust(spec)
    # python -m tools.helper covers tools/helper.py (and the package form); '.' is a folder;
    # files outside the workspace are not workspace files
    assert trust.trusted_files() == ["srv.py", "tools/helper.py", "tools/helper/__main__.py"]
    (ws / "tools" / "helper").mkdir()
    (ws / "tools" / "helper" / "__main__.py").write_text("print('new')\n")  # creating a named path is a change
    mod = next(s for s in load_specs(ws) if s.name == "mod")
    assert trust.status(mod).changes == ["file tools/helper/__main__.py: created since it was trusted"]


async def test_user_level_server_is_not_restarted_after_its_workspace_script_changed(tmp_path: Path) -> None:
    ws = workspace(tmp_path)
    marker = tmp_path / "pwned"
    spec = replace(load_specs(ws)[0], source="user", template={})
    async with PluginSupervisor(fast_restarts([spec]), trust=TrustStore.for_workspace(ws), log_dir=tmp_path / "logs") as sup:
        handle = await sup.start("srv")
        assert handle.state == PluginState.ACTIVE, handle.last_error
        (ws / "srv.py").write_text(SERVER.replace("MARKER = None", f"MARKER = {str(marker)!r}"))
        os.kill(handle.pid, signal.SIGKILL)
        assert await eventually(lambda: handle.state == PluginState.ERROR and not handle.running, 30)
        assert "files it runs changed since it was started (srv.py)" in handle.last_error.reason
        assert not marker.exists()
        await sup.start("srv")  # a start by hand accepts the new version
        assert await eventually(marker.exists, 10)


def test_concurrent_trust_decisions_are_not_lost(tmp_path: Path) -> None:
    """Two processes record trust decisions at the same time: none is lost (file lock around
    each read-modify-write)."""
    ws = workspace(tmp_path)
    go = tmp_path / "go"
    script = (
        "import sys, time\nfrom dataclasses import replace\nfrom pathlib import Path\n"
        "from workbench.core.mcp.plugins import TrustStore, load_specs\n"
        "ws, prefix, go = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])\n"
        "spec = load_specs(ws)[0]; store = TrustStore.for_workspace(ws)\n"
        "while not go.exists(): time.sleep(0.001)\n"
        "for i in range(60):\n    store.trust(replace(spec, name=f'{prefix}{i}'))\n"
    )
    procs = [subprocess.Popen([sys.executable, "-c", script, str(ws), prefix, str(go)]) for prefix in ("a", "b")]
    go.touch()
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    records = json.loads(TrustStore.for_workspace(ws).path.read_text())["mcp_trust"]
    assert sorted(records) == sorted(f"{p}{i}" for p in "ab" for i in range(60))


def test_guard_protects_scripts_of_valid_entries_next_to_an_invalid_one(tmp_path: Path, monkeypatch) -> None:
    """One invalid entry must not hide the scripts the other entries run from the protected set,
    and ``${VAR}`` in args is expanded as it will be at start."""
    from workbench.core.guard.protected import mcp_script_paths

    ws = workspace(tmp_path)
    monkeypatch.setenv("WB_TOOLS_DIR", "tools")
    data = json.loads((ws / ".mcp.json").read_text())
    data["mcpServers"]["broken"] = {"command": "x", "args": "not-a-list"}
    data["mcpServers"]["expanded"] = {"command": sys.executable, "args": ["${WB_TOOLS_DIR}/run.py"]}
    (ws / ".mcp.json").write_text(json.dumps(data))
    trust_workspace(ws)
    paths = mcp_script_paths(ws)
    assert "srv.py" in paths and "tools/run.py" in paths
