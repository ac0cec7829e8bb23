"""``workbench plugins [--json] [--path WS]``: start the configured plugins, report them, stop them.

Starts every enabled, trusted plugin (user-level ``[plugins.servers]`` and trusted servers of the
workspace's ``.mcp.json``) in parallel, waits until each is ACTIVE or ERROR, prints each one's
state and tools, and stops them all. Untrusted workspace servers are listed, not started (trust
them in the TUI's Plugins pane, key ``t``). No Textual or Rich here: output is ``print``.

Exit codes: 0 all started plugins are ACTIVE; 1 at least one ended in ERROR; 2 bad usage or an
invalid configuration.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from workbench.cli.common import check_workspace, command_errors, config_error


def add_plugins_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``plugins`` on ``subparsers`` (the parser is defined in :mod:`workbench.cli.plugins`)."""
    from workbench.cli.plugins import register

    return register(subparsers)


def _report(supervisor: Any, name: str) -> dict[str, Any]:
    handle = supervisor.handle(name)
    status = supervisor.trust_status(name)
    trusted = status.trusted
    state = handle.state.value
    if not trusted and state == "registered":
        state = {"changed": "changed since trusted", "legacy": "needs trust again"}.get(status.state, "untrusted")
    elif not handle.spec.settings.enabled and state == "registered":
        state = "disabled"
    return {
        "name": name,
        "source": handle.spec.source,
        "transport": handle.spec.transport,
        "state": state,
        "trust": status.state,
        "changes": list(status.changes),
        "error": handle.last_error.reason if handle.state.value == "error" and handle.last_error else None,
        "stderr_tail": list(handle.last_error.stderr_tail) if handle.state.value == "error" and handle.last_error else [],
        "tools": [
            {
                "name": t.name,
                "qualified_name": t.qualified_name,
                "description": t.description,
                "status": t.status,
                "enabled": t.enabled,
                "input_schema": t.input_schema,
            }
            for t in handle.tools
        ],
    }


async def collect_plugin_reports(workspace: Path, plugins_config: Any, *, timeout: float | None = None) -> list[dict[str, Any]]:
    """Start the enabled, trusted plugins of ``workspace``, describe every plugin, stop them.

    Args:
        workspace: the workspace root.
        plugins_config: the ``[plugins]`` section (:class:`PluginsConfig`).
        timeout: overall seconds to wait for start-up (default: each plugin's ``init_timeout``).

    Returns:
        One dict per plugin, sorted by name: ``name``, ``source``, ``transport``, ``state``
        (``active``, ``error``, ``untrusted``, ``changed since trusted``, ``needs trust again``,
        ``disabled``...), ``trust`` (:attr:`TrustStatus.state`), ``changes`` (what changed since
        it was trusted), ``error``, ``stderr_tail`` and
        ``tools`` (``name``, ``qualified_name``, ``description`` (sanitized), ``status``,
        ``enabled``, ``input_schema``). The states are those reached before the stop.

    Raises:
        PluginConfigError: ``.mcp.json`` or ``[plugins]`` is invalid.
    """
    import dataclasses

    from workbench.core.mcp.plugins import PluginSupervisor, ToolApprovals, TrustStore, load_specs
    from workbench.core.paths import workspace_data_dir

    warnings: list[str] = []
    specs = await asyncio.to_thread(lambda: load_specs(workspace, plugins_config, warnings=warnings))
    for message in warnings:
        print(f"workbench: {message}", file=sys.stderr)
    # A one-shot report: a plugin that fails its first start is reported as failed, not restarted
    # behind the report's back (a scheduled restart could move it out of ERROR before we look).
    specs = [dataclasses.replace(s, settings=s.settings.model_copy(update={"auto_restart": False})) for s in specs]
    supervisor = PluginSupervisor(
        specs,
        trust=TrustStore.for_workspace(workspace),
        approvals=ToolApprovals.for_workspace(workspace),
        log_dir=workspace_data_dir(workspace) / "plugins",
    )
    try:
        async with asyncio.timeout(timeout):
            await supervisor.start_all(wait=True)
        return [_report(supervisor, name) for name in sorted(supervisor.handles)]
    finally:
        await supervisor.aclose()


def _print_text(reports: list[dict[str, Any]]) -> None:
    if not reports:
        print(
            "no MCP plugins configured: add a .mcp.json at the workspace root "
            '({"mcpServers": {"NAME": {"command": "...", "args": []}}}) or [plugins.servers.NAME] to your config'
        )
        return
    for r in reports:
        print(f"{r['name']}: {r['state']} ({r['source']}, {r['transport']})")
        if r["trust"] in ("untrusted", "changed", "legacy") and r["state"] != "error":
            for change in r["changes"]:
                print(f"  changed: {change}")
            print(
                f"  not started: review and trust it first: workbench mcp trust {r['name']} "
                "(or the Plugins pane in the TUI, key t)"
            )
        if r["error"]:
            print(f"  error: {r['error']}")
            for line in r["stderr_tail"]:
                print(f"  | {line}")
        for t in r["tools"]:
            flag = "" if t["enabled"] else f"  [{t['status']}, disabled]"
            first = (t["description"].splitlines() or [""])[0]
            print(f"  {t['qualified_name']}{flag}  {first}")


@command_errors
def run_plugins_command(args: argparse.Namespace) -> int:
    """Run ``workbench plugins``; returns the exit code (0 ok, 1 a plugin in ERROR, 2 bad config).

    Args:
        args: parsed arguments with ``json`` and ``path``.
    """
    from workbench.core.config import ConfigError, load_settings
    from workbench.core.mcp.plugins import PluginConfigError

    workspace = check_workspace(getattr(args, "path", None))
    from workbench.cli.commands.trust import warn_untrusted

    warn_untrusted(workspace)
    try:
        settings = load_settings(workspace)
        reports = asyncio.run(collect_plugin_reports(workspace, settings.plugins))
    except (ConfigError, PluginConfigError) as exc:
        raise config_error(exc) from None
    if args.json:
        print(json.dumps(reports, indent=2, ensure_ascii=False))
    else:
        _print_text(reports)
    return 1 if any(r["state"] == "error" for r in reports) else 0


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry: ``python -m workbench.cli.commands.plugins [--json] [--path WS]``."""
    parser = argparse.ArgumentParser(prog="workbench")
    sub = parser.add_subparsers(dest="command", required=True)
    add_plugins_parser(sub)
    args = parser.parse_args(["plugins", *(sys.argv[1:] if argv is None else argv)])
    return run_plugins_command(args)


if __name__ == "__main__":
    raise SystemExit(main())
