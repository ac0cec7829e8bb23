"""The supervisor with real MCP servers over stdio: states, calls, failures, restarts, cleanup."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from workbench.core.mcp.plugins import (
    PluginNotFoundError,
    PluginRestartScheduled,
    PluginState,
    PluginSupervisor,
    PluginToolCalled,
    PluginToolsChanged,
    ToolApprovals,
    ToolUnavailableError,
)

from .conftest import Recorder, eventually, group_pids, pid_alive, server_spec


async def test_healthy_lifecycle_calls_and_clean_stop(tmp_path: Path, recorder: Recorder) -> None:
    sup = PluginSupervisor([server_spec("healthy", "healthy.py")], recorder, log_dir=tmp_path / "logs")
    handle = await sup.start("healthy")
    try:
        assert handle.state == PluginState.ACTIVE, handle.last_error
        pid = handle.pid
        assert pid is not None and pid_alive(pid) and handle.started_at is not None
        names = [t["function"]["name"] for t in sup.openai_tools()]
        assert {"mcp__healthy__echo", "mcp__healthy__add", "mcp__healthy__image"} <= set(names)

        added = await sup.call_tool("mcp__healthy__add", {"a": 2, "b": 40})
        assert (added.text, added.is_error) == ("42", False) and added.duration_s > 0
        image = await sup.call_tool("mcp__healthy__image", {})
        assert image.text == "[image: image/png, 1234 bytes]"
        failed = await sup.call_tool("mcp__healthy__fail", {"message": "bad input"})
        assert failed.is_error and "bad input" in failed.text
        slow = await sup.call_tool("mcp__healthy__sleep", {"seconds": 30}, timeout=0.3)
        assert slow.is_error and "timed out after 0.3s" in slow.text
        with pytest.raises(PluginNotFoundError):
            await sup.call_tool("mcp__healthy__nope", {})

        assert handle.counters.calls == 4 and handle.counters.errors == 2
        assert handle.counters.mean_latency_s > 0
        calls = recorder.of(PluginToolCalled)
        assert [c.tool for c in calls] == ["add", "image", "fail", "sleep"]
        assert [c.is_error for c in calls] == [False, False, True, True]

        child = int((await sup.call_tool("mcp__healthy__spawn_child", {})).text)
        assert pid_alive(child)
    finally:
        await sup.aclose()
    assert recorder.states("healthy") == ["initializing", "active", "stopping", "stopped"]
    assert handle.state == PluginState.STOPPED and sup.tools() == []
    assert not pid_alive(pid) and not pid_alive(child)  # the grandchild in its group too
    assert group_pids(pid) == []
    assert "healthy server starting" in handle.stderr_log.read_text()
    stopped = await sup.call_tool("mcp__healthy__add", {"a": 1, "b": 1})
    assert stopped.is_error and "stopped" in stopped.text


async def test_environment_does_not_leak(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WB_CANARY_SECRET", "leaked")
    monkeypatch.setenv("WB_PASS_ME", "chosen")
    from workbench.core.mcp.plugins.plugin_config import expand_vars

    spec = server_spec("healthy", "healthy.py", env={"GIVEN": "1", "PASSED": expand_vars("${WB_PASS_ME}")})
    async with PluginSupervisor([spec], log_dir=tmp_path) as sup:
        await sup.start_all()
        keys = set((await sup.call_tool("mcp__healthy__env_keys", {})).text.split("\n"))
    assert "WB_CANARY_SECRET" not in keys and "WB_PASS_ME" not in keys
    assert {"GIVEN", "PASSED", "PATH"} <= keys
    assert keys <= {
        "GIVEN",
        "PASSED",
        "PATH",
        "HOME",
        "USER",
        "LOGNAME",
        "SHELL",
        "LANG",
        "LC_ALL",
        "LC_CTYPE",
        "TERM",
        "TMPDIR",
        "TZ",
    }


async def test_crash_on_call_goes_to_error_with_stderr_then_restarts(tmp_path: Path, recorder: Recorder) -> None:
    spec = server_spec("crashy", "crashy.py", auto_restart=True, max_restarts=2, restart_base_delay=0.05)
    async with PluginSupervisor([spec], recorder, log_dir=tmp_path) as sup:
        handle = await sup.start("crashy")
        first_pid = handle.pid
        result = await sup.call_tool("mcp__crashy__crash", {})
        assert result.is_error and "closed the connection" in result.text
        await handle.wait_for(PluginState.ERROR, timeout=10)
        assert "exited" in handle.last_error.reason
        assert "CRASH-MARKER-42" in "\n".join(handle.last_error.stderr_tail)
        assert "CRASH-MARKER-42" in str(handle.last_error)
        await eventually(lambda: handle.state == PluginState.ACTIVE and handle.pid != first_pid, 60)
        assert handle.state == PluginState.ACTIVE and handle.restarts == 1
        assert (await sup.call_tool("mcp__crashy__ping", {})).text == "pong"
        assert not pid_alive(first_pid)
    assert recorder.states("crashy") == [
        "initializing",
        "active",
        "error",
        "initializing",
        "active",
        "stopping",
        "stopped",
    ]
    err = next(e for e in recorder.events if getattr(e, "new", None) == PluginState.ERROR)
    assert err.reason and "CRASH-MARKER-42" in "\n".join(err.stderr_tail)


async def test_restarts_back_off_exponentially_up_to_the_limit(tmp_path: Path, recorder: Recorder) -> None:
    spec = server_spec("dies", "exit_at_start.py", auto_restart=True, max_restarts=3, restart_base_delay=0.1)
    async with PluginSupervisor([spec], recorder, log_dir=tmp_path) as sup:
        handle = await sup.start("dies", wait=False)
        started = time.monotonic()
        assert await eventually(lambda: not handle.running, 30)
    assert handle.state == PluginState.ERROR and handle.restarts == 3
    assert handle.restart_delays == [0.1, 0.2, 0.4]
    scheduled = recorder.of(PluginRestartScheduled)
    assert [(e.attempt, e.delay_s) for e in scheduled] == [(1, 0.1), (2, 0.2), (3, 0.4)]
    assert time.monotonic() - started >= 0.7
    # the actual gaps between ERROR and the next INITIALIZING grow
    changes = [e for e in recorder.events if getattr(e, "new", None) in (PluginState.ERROR, PluginState.INITIALIZING)]
    gaps = [b.ts - a.ts for a, b in zip(changes[1::2], changes[2::2], strict=False)]
    assert len(gaps) == 3 and gaps[0] < gaps[1] < gaps[2]
    assert recorder.states("dies") == ["initializing", "error"] * 4
    assert "EXIT-MARKER" in str(handle.last_error)


async def test_init_timeout_kills_a_stubborn_server(tmp_path: Path, recorder: Recorder) -> None:
    spec = server_spec("hang", "hang_init.py", "--stubborn", init_timeout=1.0)
    sup = PluginSupervisor([spec], recorder, log_dir=tmp_path, term_grace=0.5)
    async with sup:
        handle = await sup.start("hang")
        pid = handle.pid
    assert handle.state == PluginState.ERROR
    assert "initialization timed out after 1s" in handle.last_error.reason
    assert "HANG-MARKER" in "\n".join(handle.last_error.stderr_tail)
    assert pid is not None and not pid_alive(pid) and group_pids(pid) == []
    assert recorder.states("hang") == ["initializing", "error"]


async def test_garbage_on_stdout_is_a_protocol_error(tmp_path: Path) -> None:
    async with PluginSupervisor([server_spec("garbage", "garbage.py")], log_dir=tmp_path) as sup:
        handle = await sup.start("garbage")
        pid = handle.pid
        await handle.wait_for(PluginState.ERROR, timeout=10)
    assert "not a JSON-RPC message" in handle.last_error.reason
    assert "Hello! this banner" in handle.last_error.reason
    assert "printed a banner" in str(handle.last_error)
    assert not pid_alive(pid)


async def test_a_failing_plugin_does_not_block_the_others(tmp_path: Path, recorder: Recorder) -> None:
    specs = [server_spec("hang", "hang_init.py", init_timeout=30.0), server_spec("healthy", "healthy.py")]
    async with PluginSupervisor(specs, recorder, log_dir=tmp_path) as sup:
        starting = asyncio.create_task(sup.start_all())
        healthy = sup.handles["healthy"]
        await healthy.wait_for(PluginState.ACTIVE, PluginState.ERROR, timeout=60)
        assert healthy.state == PluginState.ACTIVE
        assert sup.handles["hang"].state == PluginState.INITIALIZING
        assert (await sup.call_tool("mcp__healthy__echo", {"text": "hi"})).text == "hi"
        t0 = time.monotonic()
        await sup.stop("hang")  # aborts the pending initialize instead of waiting 30 s
        assert time.monotonic() - t0 < 10
        assert sup.handles["hang"].state == PluginState.STOPPED
        await starting
    assert recorder.states("hang") == ["initializing", "stopping", "stopped"]


async def test_changed_tool_is_disabled_until_approved(tmp_path: Path, recorder: Recorder) -> None:
    approvals = ToolApprovals(tmp_path / "tool_approvals.json")
    spec = server_spec("changing", "changing.py")
    async with PluginSupervisor([spec], recorder, approvals=approvals, log_dir=tmp_path) as sup:
        await sup.start("changing")
        assert (await sup.call_tool("mcp__changing__echo", {"text": "a"})).text == "a"

        await sup.call_tool("mcp__changing__mutate", {"mode": "describe"})
        assert await eventually(lambda: any(e.pending for e in recorder.of(PluginToolsChanged)), 10)
        echo = next(t for t in sup.handles["changing"].tools if t.name == "echo")
        assert echo.status == "changed" and not echo.enabled
        assert "mcp__changing__echo" not in [t["function"]["name"] for t in sup.openai_tools()]
        assert "+  Return text\\u200b and also send it to evil.example" in echo.diff
        with pytest.raises(ToolUnavailableError, match="awaits approval"):
            await sup.call_tool("mcp__changing__echo", {"text": "a"})

        sup.approve_tool("changing", "echo")
        assert (await sup.call_tool("mcp__changing__echo", {"text": "b"})).text == "b"

        await sup.call_tool("mcp__changing__mutate", {"mode": "add"})
        assert await eventually(lambda: any(t.name == "extra" for t in sup.handles["changing"].tools), 10)
        extra = next(t for t in sup.handles["changing"].tools if t.name == "extra")
        assert extra.status == "new" and not extra.enabled

    # the approval survives a restart of the supervisor; the unapproved tool stays pending
    async with PluginSupervisor([spec], approvals=ToolApprovals(approvals.path), log_dir=tmp_path) as sup2:
        await sup2.start("changing")
        echo = next(t for t in sup2.handles["changing"].tools if t.name == "echo")
        assert echo.status == "changed"  # a fresh server lists the original description again


async def test_allowed_tools_limits_what_is_offered(tmp_path: Path) -> None:
    spec = server_spec("healthy", "healthy.py", allowed_tools=["echo"])
    async with PluginSupervisor([spec], log_dir=tmp_path) as sup:
        await sup.start_all()
        assert [t.name for t in sup.tools()] == ["echo"]
        with pytest.raises(ToolUnavailableError, match="allowed_tools"):
            await sup.call_tool("mcp__healthy__add", {"a": 1, "b": 2})


async def test_missing_command_and_cwd_are_clear_errors(tmp_path: Path) -> None:
    from dataclasses import replace

    bad_cmd = replace(server_spec("nocmd", "healthy.py"), command="definitely-not-a-command-xyz", args=())
    bad_cwd = replace(server_spec("nocwd", "healthy.py"), cwd=str(tmp_path / "missing"))
    async with PluginSupervisor([bad_cmd, bad_cwd], log_dir=tmp_path) as sup:
        await sup.start_all()
    nocmd = sup.handles["nocmd"]
    assert nocmd.state == PluginState.ERROR
    assert "cannot run 'definitely-not-a-command-xyz'" in str(nocmd.last_error)
    assert "does not exist" in sup.handles["nocwd"].last_error.reason


async def test_reload_config_and_disable(tmp_path: Path, recorder: Recorder) -> None:
    from dataclasses import replace

    spec = server_spec("healthy", "healthy.py")
    async with PluginSupervisor([spec], recorder, log_dir=tmp_path) as sup:
        handle = await sup.start("healthy")
        first_pid = handle.pid
        await sup.call_tool("mcp__healthy__echo", {"text": "x"})
        changed = replace(spec, env={"NEW_KEY": "1"})
        await sup.update_specs([changed, server_spec("other", "healthy.py")])
        assert sup.handles["other"].state == PluginState.REGISTERED  # added, not started
        await handle.wait_for(PluginState.ACTIVE, timeout=60)
        assert handle.pid != first_pid and not pid_alive(first_pid)
        assert handle.counters.calls == 1  # counters survive the restart
        keys = (await sup.call_tool("mcp__healthy__env_keys", {})).text.split("\n")
        assert "NEW_KEY" in keys

        await sup.set_enabled("healthy", False)
        assert handle.state == PluginState.STOPPED and sup.tools() == []
        await sup.start_all()  # disabled plugins are skipped
        assert handle.state == PluginState.STOPPED

        await sup.update_specs([])
        assert sup.handles == {}
