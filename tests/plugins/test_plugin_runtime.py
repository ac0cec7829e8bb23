"""plugin_runtime: one supervisor per services, events committed to the log then published, reload."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from helpers.trust import trust_workspace

from workbench.core.config import load_settings
from workbench.core.events import Event
from workbench.core.mcp.plugins import PluginState, TrustStore, load_specs
from workbench.core.mcp.plugins.service import (
    PLUGIN_CALL,
    PLUGIN_STATE,
    PLUGIN_TOOLS_CHANGED,
    WORKSPACE_SESSION,
    plugin_runtime,
    reload_plugins,
)
from workbench.core.runtime import start_services

from .conftest import SERVERS, eventually


def write_mcp_json(ws: Path, *names: str) -> None:
    """Each server runs healthy.py with its name as an extra argument (so each has its own trust)."""
    servers = {n: {"command": sys.executable, "args": [str(SERVERS / "healthy.py"), n]} for n in names}
    (ws / ".mcp.json").write_text(json.dumps({"mcpServers": servers}))
    trust_workspace(ws)


async def _services(ws: Path):
    settings = load_settings(ws, {"llm": {"model": "m", "api_key": "sk-test", "base_url": "http://127.0.0.1:9/v1"}})
    return await start_services(ws, settings)


async def test_runtime_logs_then_publishes_and_closes(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    write_mcp_json(ws, "healthy", "other")
    TrustStore.for_workspace(ws).trust(next(s for s in load_specs(ws) if s.name == "healthy"))
    services = await _services(ws)
    sub = services.bus.subscribe(lambda e: isinstance(e, Event) and e.kind.startswith("plugin."))
    closed = False
    try:
        sup = await plugin_runtime(services)
        assert await plugin_runtime(services) is sup and services.plugins is sup
        handle = sup.handle("healthy")
        await handle.wait_for(PluginState.ACTIVE, PluginState.ERROR, timeout=30)
        assert handle.state == PluginState.ACTIVE, handle.last_error
        assert sup.handle("other").state == PluginState.REGISTERED  # untrusted: not started
        result = await sup.call_tool("mcp__healthy__add", {"a": 1, "b": 2})
        assert result.text == "3"
        assert await eventually(lambda: sub.queue.qsize() >= 4)
        await services.aclose()
        closed = True
        published: list[Event] = []
        while not sub.queue.empty():
            published.append(sub.queue.get_nowait())
    finally:
        sub.close()
        if not closed:
            await services.aclose()
    assert handle.state == PluginState.STOPPED
    kinds = [e.kind for e in published]
    assert kinds[:3] == [PLUGIN_STATE, PLUGIN_TOOLS_CHANGED, PLUGIN_STATE]
    assert PLUGIN_CALL in kinds and kinds[-1] == PLUGIN_STATE
    assert [e.payload["new"] for e in published if e.kind == PLUGIN_STATE] == [
        "initializing",
        "active",
        "stopping",
        "stopped",
    ]
    assert all(e.seq > 0 and e.session_id == WORKSPACE_SESSION for e in published)
    call = next(e for e in published if e.kind == PLUGIN_CALL)
    assert call.payload["tool"] == "add" and call.payload["is_error"] is False
    # committed: the same events are in the log, in the same order
    from workbench.core.runtime import event_log_path
    from workbench.core.store import EventStore

    store = EventStore(event_log_path(ws))
    try:
        logged = store.events(WORKSPACE_SESSION)
    finally:
        store.close()
    assert [e.seq for e in logged] == [e.seq for e in published]


async def test_reload_adds_and_removes_plugins(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    write_mcp_json(ws, "one")
    services = await _services(ws)
    try:
        sup = await plugin_runtime(services)
        assert set(sup.handles) == {"one"}
        write_mcp_json(ws, "two")
        TrustStore.for_workspace(ws).trust(next(s for s in load_specs(ws) if s.name == "two"))
        await reload_plugins(services)
        assert set(sup.handles) == {"two"}
        state = await sup.handle("two").wait_for(PluginState.ACTIVE, PluginState.ERROR, timeout=30)
        assert state == PluginState.ACTIVE
    finally:
        await services.aclose()
    assert sup.handle("two").state == PluginState.STOPPED


async def test_events_go_to_the_open_chat_session(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    write_mcp_json(ws, "healthy")
    TrustStore.for_workspace(ws).trust(load_specs(ws)[0])
    services = await _services(ws)
    try:
        info = await services.chat.ensure_session()
        sup = await plugin_runtime(services)
        await sup.handle("healthy").wait_for(PluginState.ACTIVE, PluginState.ERROR, timeout=30)
        with services.bus.subscribe(lambda e: isinstance(e, Event) and e.kind == PLUGIN_CALL) as sub:
            await sup.call_tool("mcp__healthy__echo", {"text": "hi"})
            logged = await asyncio.wait_for(sub.get(), 10)
        assert logged.session_id == info.id and logged.payload["qualified_name"] == "mcp__healthy__echo"
    finally:
        await services.aclose()
