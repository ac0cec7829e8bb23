"""Command line: ``workbench [PATH]`` opens the TUI; ``workbench COMMAND ...`` runs a command.

One module per command under ``workbench/cli/``; each registers its parser *and* its handler
together, so a command can only ever reach its own handler::

    HELP = "one line shown by `workbench --help`"

    def register(sub: argparse._SubParsersAction) -> None:
        p = sub.add_parser("name", help=HELP, description=HELP)
        add_path(p)                      # --path WS (workbench.cli.common), after the command
        p.set_defaults(handler=handle)   # every (sub-)parser that can end a command line

    def handle(args: argparse.Namespace) -> int:
        from workbench.something_heavy import ...   # heavy imports inside the handler only
        return 0

To add a command: write that module and add one line to :data:`COMMAND_MODULES`. Command modules
import only argparse and :mod:`workbench.cli.common` at module level (``workbench --help`` and
``--version`` must stay under 150 ms); the README's command table lists every command (a test
compares it with ``workbench --help``).

Errors: a handler returns the exit code (0 ok, 1 model/API error or failed check, 2 bad usage or
config) or raises :class:`~workbench.cli.common.CommandError`; every non-zero exit prints at least
one line on stderr saying why (``main`` adds one when a handler returned non-zero silently).
Ctrl-C exits 130 with one line; an event log that cannot be written (full disk, I/O error,
read-only: :class:`~workbench.core.store.errors.LogWriteError`) exits 3 with one line.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import Any

COMMAND_MODULES: tuple[str, ...] = (
    "workbench.cli.run",
    "workbench.cli.sessions",
    "workbench.cli.resume",
    "workbench.cli.checkpoints",  # checkpoints, rewind, gc
    "workbench.cli.export",
    "workbench.cli.spec",
    "workbench.cli.sandbox",
    "workbench.cli.plugins",
    "workbench.cli.mcp",
    "workbench.cli.config",
    "workbench.cli.trust",
    "workbench.cli.demo",
)
"""The command modules, in ``--help`` order; each has ``register(subparsers)``."""


class _Parser(argparse.ArgumentParser):
    """argparse with the usage error on one line (``workbench: error: ...``, exit 2)."""

    def error(self, message: str) -> Any:  # noqa: D401 - argparse API
        self.exit(2, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def command_parser() -> argparse.ArgumentParser:
    """The parser of ``workbench COMMAND ...`` with every command of :data:`COMMAND_MODULES`."""
    p = _Parser(prog="workbench", description="Run one Workbench command.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True, parser_class=_Parser)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return p


def command_list(parser: argparse.ArgumentParser | None = None) -> list[tuple[str, str]]:
    """``(name, help)`` of every command of ``parser`` (default: a new :func:`command_parser`), in ``--help`` order."""
    p = parser or command_parser()
    action = next(a for a in p._actions if isinstance(a, argparse._SubParsersAction))
    return [(a.dest, a.help or "") for a in action._choices_actions]


def tui_parser(listed: list[tuple[str, str]] | None = None) -> argparse.ArgumentParser:
    """The parser of ``workbench [PATH]`` (the TUI); its help lists the commands (``listed``: :func:`commands`)."""
    from workbench import __version__
    from workbench.cli.tui import DESCRIPTION, add_arguments

    listing = "\n".join(f"  {name:<12} {text}" for name, text in (listed or command_list()))
    p = _Parser(
        prog="workbench",
        usage="workbench [PATH] [options]\n       workbench COMMAND [--path PATH] ...",
        description=DESCRIPTION,
        epilog=f"commands:\n{listing}\n\nRun `workbench COMMAND --help` for a command's options.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--version", action="version", version=f"workbench {__version__}")
    add_arguments(p)
    return p


class _StderrWatch:
    """Wraps ``sys.stderr`` to know whether anything was written (for the silent-failure check)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.written = False

    def write(self, text: str) -> int:
        if text:
            self.written = True
        return self.inner.write(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``workbench`` command; returns the exit code."""
    from workbench.cli.common import CommandError

    argv = list(sys.argv[1:] if argv is None else argv)
    if argv == ["--version"]:  # the fast path: no parser needed
        from workbench import __version__

        print(f"workbench {__version__}")
        return 0
    parser = command_parser()  # built once: it also lists the commands for the TUI's --help
    listed = command_list(parser)
    if argv and not argv[0].startswith("-") and argv[0] in dict(listed):
        args = parser.parse_args(argv)
    else:
        args = tui_parser(listed).parse_args(argv)
        from workbench.cli.tui import handle

        args.command, args.handler = None, handle
    watch = _StderrWatch(sys.stderr)
    sys.stderr = watch
    try:
        code = int(args.handler(args) or 0)
    except CommandError as exc:
        print(f"workbench: {exc}", file=sys.stderr)
        code = exc.code
    except KeyboardInterrupt:
        print("workbench: interrupted", file=sys.stderr)
        code = 130
    except Exception as exc:  # the event log's disk failed (any command): one line, exit 3
        from workbench.core.store.errors import LogWriteError

        if not isinstance(exc, LogWriteError):
            raise
        print(f"workbench: {exc}.", file=sys.stderr)
        code = 3
    finally:
        sys.stderr = watch.inner
    if code and not watch.written:
        what = f"`workbench {args.command}`" if args.command else "workbench"
        print(f"workbench: {what} failed (exit {code}); see the output above.", file=sys.stderr)
    return code


def run_tui(*args: Any, **kwargs: Any) -> int:
    """Compatibility alias of :func:`workbench.cli.tui.run_tui`."""
    from workbench.cli.tui import run_tui as _run_tui

    return _run_tui(*args, **kwargs)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
