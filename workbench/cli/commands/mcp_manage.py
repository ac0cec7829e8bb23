"""``workbench mcp add|list|remove|trust``: manage MCP servers in the shape of ``claude mcp``.

* ``workbench mcp add NAME [-e K=V ...] [-H "K: V" ...] [-t stdio|sse|http] [-s project|user] -- COMMAND ARGS...``
* ``workbench mcp add -t sse NAME URL`` (``-t http`` for streamable HTTP; a lone ``http(s)://`` target
  without ``-t`` is streamable HTTP)
* ``workbench mcp list [--json]``: every server, its trust state and command line (nothing is started)
* ``workbench mcp remove NAME [-s project|user]``: delete the entry (and its trust record)
* ``workbench mcp trust NAME [--show-secrets] [--revoke]``: print exactly what would run
  (command line, working directory, env values — secret-looking ones masked unless
  ``--show-secrets`` — and the hashes of the workspace files it runs) and record the trust;
  never prompts.

The parsers are in :mod:`workbench.cli.mcp`. Scope ``project`` (default) edits the workspace's ``.mcp.json`` (the file Claude Code, Cursor and
VS Code read; other entries and keys are kept in order); ``user`` edits ``[plugins.servers.NAME]``
of the user config (``tomlkit``, comments kept). Options may come before NAME, or between NAME
and ``--``. Exit codes: 0 done; 1 no such server, or it cannot be trusted as it is; 2 bad usage
or an unreadable/invalid file (never overwritten).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from workbench.cli.common import config_message

MANAGE_COMMANDS = ("add", "list", "remove", "trust")
"""``workbench mcp`` sub-commands handled here (``serve`` is :mod:`workbench.cli.commands.mcp_serve`)."""


class _Usage(Exception):
    """A usage or file error: printed as one line, exit 2."""


# -- files -------------------------------------------------------------------------------------


def _workspace(args: argparse.Namespace) -> Path:
    from workbench.cli.common import CommandError, workspace

    try:
        return workspace(args)
    except CommandError as exc:
        raise _Usage(str(exc)) from None


def _read_mcp_json(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {"mcpServers": {}}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _Usage(f"{path}: cannot be read as JSON ({exc}); fix it by hand, it was not changed") from None
    if not isinstance(data, dict) or not isinstance(data.get("mcpServers", {}), dict):
        raise _Usage(f'{path}: expected an object with an "mcpServers" object; fix it by hand, it was not changed')
    data.setdefault("mcpServers", {})
    return data


def _write_text_atomic(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` (UTF-8) atomically, keeping its mode (``core/fsutil.py``)."""
    from workbench.core.fsutil import atomic_write

    atomic_write(path, text, parents=True)


def _read_user_toml(path: Path) -> Any:
    import tomlkit

    if not path.exists():
        return tomlkit.document()
    try:
        return tomlkit.parse(path.read_text(encoding="utf-8"))
    except Exception as exc:  # tomlkit raises its own ParseError subclasses
        raise _Usage(f"{path}: invalid TOML ({exc}); fix it by hand, it was not changed") from None


def _user_servers(doc: Any) -> dict[str, Any]:
    plugins = doc.get("plugins")
    servers = plugins.get("servers") if hasattr(plugins, "get") else None
    return servers if hasattr(servers, "keys") else {}


def _mcp_json_status(ws: Path) -> str:
    """The workspace-trust status of ``.mcp.json`` before an edit (see :mod:`workbench.core.trust`)."""
    from workbench.core import trust

    return trust.check(ws).file(trust.MCP_JSON).status


def _write_mcp_json(ws: Path, path: Path, data: dict[str, Any]) -> str | None:
    """Write ``.mcp.json`` and carry the workspace trust over to the user's own edit.

    The edit is the user's (typed on this command line), so when the file was trusted before (or
    absent with nothing else pending), the workspace trust record is updated to the new content
    of ``.mcp.json`` only: other files keep their state, and per-server trust is still asked
    (``workbench mcp trust``). When the file held untrusted content, nothing is trusted and the
    returned line says how to review it.
    """
    from workbench.core import trust
    from workbench.core.trust import store

    before = _mcp_json_status(ws)
    _write_text_atomic(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    if before not in ("trusted", "absent"):
        return (
            f"the workspace's .mcp.json held changes you have not trusted, so this edit does not apply "
            f"until you review it: {trust.trust_command(ws)}"
        )
    report = trust.check(ws)
    if report.record is None:
        if any(f.status != "absent" for f in report.files if f.rel != trust.MCP_JSON):
            return f"this workspace is not trusted yet; review and trust it: {trust.trust_command(ws)}"
        trust.trust(ws, report, via="workbench mcp")
        return None
    new = report.file(trust.MCP_JSON).data
    digest = store.save_content(new) if new is not None else None
    key = str(report.workspace)

    def change(records: dict[str, dict[str, Any]]) -> None:
        record = records.get(key)
        if record is not None:
            record.setdefault("files", {})[trust.MCP_JSON] = digest

    store.update_records(change)
    return None


# -- add ---------------------------------------------------------------------------------------


def _merge_options(args: argparse.Namespace, words: list[str], *, known_only: bool) -> list[str]:
    """Parse add-options found in ``words`` into ``args``; return the words that are not options."""
    from workbench.cli.mcp import add_server_options

    mini = argparse.ArgumentParser(prog="workbench mcp add NAME", add_help=False, exit_on_error=False)
    add_server_options(mini)
    try:
        extra, rest = mini.parse_known_args(words) if known_only else (mini.parse_args(words), [])
    except (argparse.ArgumentError, SystemExit) as exc:
        raise _Usage(f"mcp add: cannot read the options {' '.join(words)} ({exc})") from None
    args.env += extra.env
    args.header += extra.header
    for key in ("transport", "scope", "path"):
        if getattr(extra, key, None) is not None:
            setattr(args, key, getattr(extra, key))
    return rest


def _split_target(args: argparse.Namespace) -> list[str]:
    """Options written after NAME are parsed here; returns the command or URL words.

    ``NAME [OPTIONS] -- COMMAND ARGS``: everything after ``--`` is the command, as written (argparse
    drops a ``--`` that directly follows NAME, so ``NAME COMMAND ARGS`` is read the same way).
    ``NAME URL [OPTIONS]``: options after a URL are read (``add -t sse NAME URL -H "K: V"``).
    """
    words = list(args.target)
    if "--" in words:
        cut = words.index("--")
        if words[:cut]:
            _merge_options(args, words[:cut], known_only=False)
        return words[cut + 1 :]
    if words and words[0].startswith("-"):
        raise _Usage(
            "mcp add: write -- before the command when options follow NAME: "
            "workbench mcp add NAME -e KEY=VALUE -- COMMAND ARGS..."
        )
    if words and words[0].startswith(("http://", "https://")):
        rest = _merge_options(args, words, known_only=True)
        if any(w.startswith("-") for w in rest):
            raise _Usage(f"mcp add: unknown option in {' '.join(words[1:])}")
        return rest
    return words


def _pairs(items: list[str], sep: str, what: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        key, found, value = item.partition(sep)
        if not found or not key.strip():
            raise _Usage(f"mcp add: {what} {item!r} must look like KEY{sep.strip() or sep}VALUE")
        out[key.strip()] = value.strip() if sep == ":" else value
    return out


def _build_entry(args: argparse.Namespace, words: list[str]) -> dict[str, Any]:
    from pydantic import ValidationError

    from workbench.core.mcp.plugins.plugin_config import PluginServerConfig

    transport = args.transport
    if transport is None:
        transport = "http" if len(words) == 1 and words[0].startswith(("http://", "https://")) else "stdio"
    if not words:
        raise _Usage("mcp add: give the command after -- (stdio) or the URL (sse/http)")
    if transport == "stdio":
        if args.header:
            raise _Usage("mcp add: --header is for sse/http servers")
        entry: dict[str, Any] = {"command": words[0], "args": words[1:]}
        env = _pairs(args.env, "=", "--env")
        if env:
            entry["env"] = env
    else:
        if len(words) != 1:
            raise _Usage(f"mcp add: a {transport} server takes one URL, got: {' '.join(words)}")
        if args.env:
            raise _Usage("mcp add: --env is for stdio servers (use --header for sse/http)")
        entry = {"type": transport, "url": words[0]}
        headers = _pairs(args.header, ":", "--header")
        if headers:
            entry["headers"] = headers
    try:
        PluginServerConfig.model_validate(entry)
    except ValidationError as exc:
        msg = exc.errors()[0].get("msg", "invalid").removeprefix("Value error, ")
        raise _Usage(f"mcp add: {msg}") from None
    return entry


def _cmd_add(args: argparse.Namespace) -> int:
    from workbench.core.mcp.plugins.plugin_config import _NAME_RE, MCP_JSON

    words = _split_target(args)
    if not _NAME_RE.match(args.name):
        raise _Usage(f"mcp add: server name {args.name!r} may only contain letters, digits, '_' and '-' (at most 48)")
    entry = _build_entry(args, words)
    ws = _workspace(args)
    if (args.scope or "project") == "project":
        path = ws / MCP_JSON
        data = _read_mcp_json(path)
        if args.name in data["mcpServers"]:
            raise _Usage(
                f"mcp add: {path} already has a server named {args.name!r}; remove it first (workbench mcp remove {args.name})"
            )
        data["mcpServers"][args.name] = entry
        note = _write_mcp_json(ws, path, data)
        print(f"Added {entry.get('type', 'stdio')} MCP server {args.name!r} to {path}")
        if note:
            print(f"workbench: {note}", file=sys.stderr)
        print(f"It starts once you trust it: workbench mcp trust {args.name}")
        return 0
    import tomlkit

    from workbench.core.paths import user_config_file

    path = user_config_file()
    doc = _read_user_toml(path)
    if args.name in _user_servers(doc):
        raise _Usage(
            f"mcp add: {path} already has [plugins.servers.{args.name}]; remove it first "
            f"(workbench mcp remove {args.name} --scope user)"
        )
    plugins = doc.get("plugins")
    if plugins is None:
        plugins = tomlkit.table(is_super_table=True)
        doc["plugins"] = plugins
    servers = plugins.get("servers")
    if servers is None:
        servers = tomlkit.table(is_super_table=True)
        plugins["servers"] = servers
    table = tomlkit.table()
    for key, value in entry.items():
        table[key] = value
    servers[args.name] = table
    _write_text_atomic(path, tomlkit.dumps(doc))
    print(
        f"Added {entry.get('type', 'stdio')} MCP server {args.name!r} to {path} (user config: trusted, starts in every workspace)"
    )
    return 0


# -- list / remove / trust -----------------------------------------------------------------------


def _load(ws: Path) -> tuple[list[Any], list[str]]:
    from workbench.cli.commands.trust import warn_untrusted
    from workbench.core.config import ConfigError, load_settings
    from workbench.core.mcp.plugins import PluginConfigError, load_specs

    warn_untrusted(ws)  # an untrusted .mcp.json lists no server: say why
    try:
        settings = load_settings(ws)
        warnings: list[str] = []
        specs = load_specs(ws, settings.plugins, warnings=warnings)
    except (ConfigError, PluginConfigError) as exc:
        raise _Usage(config_message(exc)) from None
    return specs, warnings


def _describe_state(status: Any, spec: Any) -> str:
    if spec.error:
        return "invalid"
    return {
        "user": "trusted (user config)",
        "trusted": "trusted",
        "untrusted": "not trusted",
        "changed": "changed since trusted",
        "legacy": "needs trust again",
    }[status.state]


def _cmd_list(args: argparse.Namespace) -> int:
    from workbench.core.mcp.plugins.plugin_trust import TrustStore, command_line

    ws = _workspace(args)
    specs, warnings = _load(ws)
    for message in warnings:
        print(f"workbench: {message}", file=sys.stderr)
    store = TrustStore.for_workspace(ws)
    rows = []
    for spec in specs:
        status = store.status(spec)
        rows.append(
            {
                "name": spec.name,
                "source": spec.source,
                "origin": spec.origin,
                "transport": spec.transport,
                "state": _describe_state(status, spec),
                "trust": status.state,
                "changes": list(status.changes),
                "command_line": command_line(spec) or None,
                "url": spec.url,
                "error": spec.error,
            }
        )
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    if not rows:
        print("No MCP servers. Add one: workbench mcp add NAME -- COMMAND ARGS...")
        return 0
    for r in rows:
        target = r["url"] or r["command_line"] or ""
        print(f"{r['name']}: {r['state']} [{r['source']}, {r['transport']}]  {target}".rstrip())
        if r["error"]:
            print(f"  error: {r['error']}")
        for change in r["changes"]:
            print(f"  changed: {change}")
        if r["trust"] in ("untrusted", "changed", "legacy") and not r["error"]:
            print(f"  trust it with: workbench mcp trust {r['name']}")
    return 0


def _cmd_remove(args: argparse.Namespace) -> int:
    from workbench.core.mcp.plugins.plugin_config import MCP_JSON
    from workbench.core.mcp.plugins.plugin_trust import TrustStore
    from workbench.core.paths import user_config_file

    ws = _workspace(args)
    project = ws / MCP_JSON
    user = user_config_file()
    data = _read_mcp_json(project) if args.scope in (None, "project") else {"mcpServers": {}}
    doc = _read_user_toml(user) if args.scope in (None, "user") else None
    in_project = args.name in data["mcpServers"]
    in_user = doc is not None and args.name in _user_servers(doc)
    if in_project and in_user and args.scope is None:
        raise _Usage(f"mcp remove: {args.name!r} is in both {project} and {user}; say which with --scope project|user")
    if in_project:
        del data["mcpServers"][args.name]
        note = _write_mcp_json(ws, project, data)
        if note:
            print(f"workbench: {note}", file=sys.stderr)
        TrustStore.for_workspace(ws).revoke(args.name)
        print(f"Removed MCP server {args.name!r} from {project}")
        return 0
    if in_user:
        del _user_servers(doc)[args.name]
        import tomlkit

        _write_text_atomic(user, tomlkit.dumps(doc))
        print(f"Removed MCP server {args.name!r} from {user}")
        return 0
    where = {"project": str(project), "user": str(user)}.get(args.scope or "", f"{project} or {user}")
    print(f"workbench: no MCP server named {args.name!r} in {where} (see workbench mcp list)", file=sys.stderr)
    return 1


def _cmd_trust(args: argparse.Namespace) -> int:
    from workbench.core.mcp.plugins.plugin_trust import TrustStore, describe_for_approval

    ws = _workspace(args)
    specs, _ = _load(ws)
    spec = next((s for s in specs if s.name == args.name), None)
    if spec is None:
        from workbench.core import trust as workspace_trust

        if workspace_trust.check(ws).file(workspace_trust.MCP_JSON).pending:
            print(
                f"workbench: {ws / '.mcp.json'} is not trusted (or changed since), so its servers have no "
                f"effect; review the workspace first: `{workspace_trust.trust_command(ws)}`",
                file=sys.stderr,
            )
            return 1
        known = ", ".join(s.name for s in specs) or "none"
        print(f"workbench: no MCP server named {args.name!r} (configured: {known})", file=sys.stderr)
        return 1
    store = TrustStore.for_workspace(ws)
    if args.revoke:
        found = store.revoke(spec)
        print(f"{'Revoked' if found else 'There was no'} trust for MCP server {args.name!r} in {ws}")
        return 0
    if spec.error:
        print(f"workbench: {spec.error}", file=sys.stderr)
        return 1
    if spec.source == "user":
        print(
            f"MCP server {args.name!r} comes from your user config ([plugins.servers.{args.name}]) and is trusted by being there."
        )
        return 0
    status = store.status(spec)
    print(describe_for_approval(spec, reveal=args.show_secrets, workspace=ws, changes=status.changes))
    if status.trusted:
        print("\nAlready trusted as shown; nothing changed.")
        return 0
    store.trust(spec)
    print(f"\nTrusted MCP server {args.name!r} for {ws}. Any change to the above asks again.")
    return 0


def run_mcp_manage_command(args: argparse.Namespace) -> int:
    """Run ``workbench mcp add|list|remove|trust``; returns the exit code (see the module docstring)."""
    handlers = {"add": _cmd_add, "list": _cmd_list, "remove": _cmd_remove, "trust": _cmd_trust}
    try:
        return handlers[args.mcp_command](args)
    except _Usage as exc:
        print(f"workbench: {exc}", file=sys.stderr)
        return 2
