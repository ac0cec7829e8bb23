"""Command line: the composition root of the TUI and the headless commands.

``workbench [PATH]`` opens the TUI; subcommands: ``run``, ``sessions``, ``resume``, ``config``,
``demo``, ``spec``. Exit codes: 0 ok, 1 model/API error or failed check, 2 bad usage or config.

Importing this module is cheap (argparse only): the TUI path imports Textual, and the app loads
pydantic-settings, the OpenAI SDK and the store after its first frame.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

SUBCOMMANDS = ("run", "sessions", "resume", "config", "demo", "spec", "plugins", "mcp", "checkpoints", "rewind", "gc", "export", "sandbox")


def _add_llm_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", help="model name (overrides llm.model)")
    p.add_argument("--base-url", help="OpenAI-compatible base URL (overrides llm.base_url)")
    p.add_argument(
        "--provider",
        choices=["openai", "deepseek", "moonshot", "ollama", "vllm"],
        help="provider preset (base URL, key variable, default model)",
    )


def _add_mode_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--mode",
        choices=["ask", "auto-edit", "full-auto", "read-only"],
        help="permission mode (overrides agent.mode)",
    )


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {}
    llm: dict[str, Any] = {}
    for key in ("model", "base_url", "provider"):
        value = getattr(args, key, None)
        if value:
            llm[key] = value
    if llm:
        out["llm"] = llm
    if getattr(args, "mode", None):
        out["agent"] = {"mode": args.mode}
    return out


def _workspace(path: str | None) -> Path:
    ws = Path(path or ".").expanduser()
    if not ws.is_dir():
        print(f"workbench: workspace {ws} is not a folder. Give an existing project folder.", file=sys.stderr)
        raise SystemExit(2)
    return ws.resolve()


def _tui_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="workbench",
        description="Keyboard-driven terminal workbench for LLM-assisted software engineering.",
        epilog="Subcommands: " + ", ".join(SUBCOMMANDS) + " (workbench SUBCOMMAND --help).",
    )
    p.add_argument("path", nargs="?", help="workspace folder (default: current folder)")
    p.add_argument("-c", "--continue", dest="continue_", action="store_true", help="reopen the latest session")
    _add_llm_flags(p)
    _add_mode_flag(p)
    return p


def _sub_parser(command: str | None = None) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="workbench")
    sub = p.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="send one prompt headless and stream the reply to stdout")
    run.add_argument("-p", "--prompt", required=True, help="the prompt")
    run.add_argument("--session", help="continue this session (id or unique prefix)")
    run.add_argument("--json", action="store_true", help="print every event as JSON Lines")
    run.add_argument("path", nargs="?", help="workspace folder (default: current folder)")
    run.add_argument("--yes", action="store_true", help="with mode ask: run file changes without asking (behaves as auto-edit)")
    _add_llm_flags(run)
    _add_mode_flag(run)

    ses = sub.add_parser("sessions", help="list this workspace's sessions, or show one")
    ses.add_argument("action", nargs="?", choices=["list", "show"], default="list")
    ses.add_argument("id", nargs="?", help="session id (for show)")
    ses.add_argument("--json", action="store_true", help="machine-readable output")
    ses.add_argument("--path", help="workspace folder (default: current folder)")

    res = sub.add_parser("resume", help="reopen a session in the TUI (latest by default)")
    res.add_argument("id", nargs="?", help="session id or unique prefix")
    res.add_argument("--path", help="workspace folder (default: current folder)")
    _add_llm_flags(res)
    _add_mode_flag(res)

    cfg = sub.add_parser("config", help="show the effective configuration (keys masked)")
    cfg.add_argument("action", choices=["show"])
    cfg.add_argument("--json", action="store_true")
    cfg.add_argument("--path", help="workspace folder (default: current folder)")
    _add_llm_flags(cfg)

    demo = sub.add_parser("demo", help="open the workbench on a sample project against a scripted model")
    demo.add_argument("--keep", action="store_true", help="print the sample project's folder and keep it")

    # Subcommands with heavy option sets are defined only when used (keeps `workbench run` fast).
    heavy = {
        "spec": ("workbench.specs_cli", "add_spec_parser", "spec documents: new, list, lint, trace, status, approve"),
        "plugins": ("workbench.plugins_cli", "add_plugins_parser", "start the configured MCP plugins and report them"),
        "mcp": ("workbench.mcp_server", "add_mcp_parser", "serve this workspace over MCP (stdio)"),
        "checkpoints": ("workbench.checkpoints_cli", "add_checkpoint_parsers", "list a session's checkpoints"),
        "rewind": ("workbench.checkpoints_cli", "add_checkpoint_parsers", "restore files and/or the conversation to a checkpoint"),
        "gc": ("workbench.checkpoints_cli", "add_checkpoint_parsers", "prune old checkpoints"),
        "export": ("workbench.export_cli", "add_export_parser", "write a whole session as md, json or html"),
        "sandbox": ("workbench.sandbox_cli", "add_sandbox_parser", "sandbox images and containers: build, status, prune"),
    }
    import importlib

    added: set[str] = set()
    for name, (module, func, help_text) in heavy.items():
        if name == command and func not in added:
            getattr(importlib.import_module(module), func)(sub)
            added.add(func)
    for name, (_, func, help_text) in heavy.items():
        if func not in added:
            sub.add_parser(name, help=help_text)
    if command == "spec":
        sub.choices["spec"].add_argument("--path", help="workspace folder (default: current folder)")
    return p


def _load(workspace: Path, args: argparse.Namespace):  # -> Settings
    from workbench.core.config import ConfigError, load_settings

    try:
        settings = load_settings(workspace, _overrides(args))
        settings.llm.resolved()
    except ConfigError as exc:
        print(f"workbench: configuration error:\n{exc}", file=sys.stderr)
        raise SystemExit(2) from None
    return settings


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``workbench`` command; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in SUBCOMMANDS:
        args = _sub_parser(argv[0]).parse_args(argv)
        from workbench.core.store.errors import LogWriteError

        try:
            return _dispatch(args)
        except LogWriteError as exc:  # any command: one line, exit 3 (see workbench.headless)
            print(f"workbench: {exc}.", file=sys.stderr)
            return 3
    args = _tui_parser().parse_args(argv)
    return run_tui(_workspace(args.path), _overrides(args), continue_=args.continue_)


def run_tui(
    workspace: Path,
    overrides: dict[str, Any],
    *,
    continue_: bool = False,
    session_id: str | None = None,
    demo_label: str | None = None,
) -> int:
    """Run the full-screen app; returns its exit code (2 on a configuration error)."""
    from workbench.ui.app import WorkbenchApp

    app = WorkbenchApp(workspace, overrides, continue_=continue_, session_id=session_id)
    app.run()
    return int(app.return_code or 0)


def _dispatch(args: argparse.Namespace) -> int:
    import asyncio

    if args.command == "run":
        ws = _workspace(args.path)
        settings = _load(ws, args)  # before the heavy imports: a bad config is reported at once
        from workbench.headless import run_prompt

        if settings.agent.mode == "ask":
            if not args.yes:
                print(
                    "workbench: permission mode 'ask' needs someone to answer approvals, and `run` is headless.\n"
                    "Use --yes (file changes run without asking, like auto-edit), or --mode auto-edit|full-auto|read-only.",
                    file=sys.stderr,
                )
                return 2
            settings.agent.mode = "auto-edit"
        return asyncio.run(run_prompt(ws, settings, args.prompt, session_id=args.session, as_json=args.json))
    if args.command == "sessions":
        from workbench.sessions_cli import list_sessions, show_session

        ws = _workspace(args.path)
        if args.action == "show":
            if not args.id:
                print("workbench: `sessions show` needs a session id (see `workbench sessions`).", file=sys.stderr)
                return 2
            return show_session(ws, args.id, as_json=args.json)
        return list_sessions(ws, as_json=args.json)
    if args.command == "resume":
        ws = _workspace(args.path)
        if args.id is None:
            return run_tui(ws, _overrides(args), continue_=True)
        return run_tui(ws, _overrides(args), session_id=args.id)
    if args.command == "config":
        import json

        from workbench.core.config import config_files, masked_dump

        ws = _workspace(args.path)
        settings = _load(ws, args)
        data = masked_dump(settings)
        r = settings.llm.resolved()
        data["effective_llm"] = {
            "base_url": r.base_url,
            "model": r.model,
            "api_key": "********" if r.api_key else None,
            "api_key_source": r.key_source,
        }
        data["files"] = [{"path": str(p), "exists": p.exists()} for p in config_files(ws)]
        if args.json:
            print(json.dumps(data, indent=2))
        else:
            from workbench.core.config_show import render_toml

            print(render_toml(data))
        return 0
    if args.command == "demo":
        from workbench.demo import run_demo

        return run_demo(keep=args.keep)
    if args.command == "spec":
        from workbench.specs_cli import run_spec_command

        return run_spec_command(args, _workspace(getattr(args, "path", None)))
    if args.command in ("checkpoints", "rewind", "gc", "export", "sandbox"):
        from workbench.checkpoints_cli import run_checkpoint_command

        return run_checkpoint_command(args, _workspace(args.path))
    if args.command == "sandbox":
        from workbench.sandbox_cli import run_sandbox_command

        return run_sandbox_command(args)
    if args.command == "export":
        from workbench.export_cli import run_export_command

        return run_export_command(args)
    if args.command == "plugins":
        from workbench.plugins_cli import run_plugins_command

        return run_plugins_command(args)
    if args.command == "mcp":
        from workbench.mcp_server import run_mcp_command

        return run_mcp_command(args)
    return 2  # pragma: no cover


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
