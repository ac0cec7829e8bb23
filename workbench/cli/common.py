"""Shared helpers of the command modules: the workspace check, LLM and mode flags, settings,
configuration errors and exit handling (one copy of each for every command).

A command reports a failure by raising :class:`CommandError` (``main`` prints ``workbench:
MESSAGE`` and exits with its code); a ``run_*_command`` function that is also called directly
(stand-alone entries, tests) is wrapped with :func:`command_errors` to do the same itself.

Cheap to import (argparse only); everything heavy is imported inside the functions.
"""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., int])

PROVIDERS = ("openai", "deepseek", "moonshot", "ollama", "vllm")
MODES = ("ask", "auto-edit", "full-auto", "read-only")


class CommandError(Exception):
    """A failed command: ``main`` prints ``workbench: MESSAGE`` on stderr and exits with ``code``."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


def add_path(p: argparse.ArgumentParser, *, positional: bool = False) -> None:
    """Add the workspace arguments to ``p``: ``--path WS`` (and the positional ``PATH`` if asked).

    Both use ``default=SUPPRESS`` so ``--path`` given to a parent command (``spec --path X list``)
    is not reset by a nested sub-command; read the result with :func:`workspace`.
    """
    p.add_argument("--path", default=argparse.SUPPRESS, metavar="PATH", help="workspace folder (default: current folder)")
    if positional:
        p.add_argument("path_arg", nargs="?", default=argparse.SUPPRESS, metavar="PATH", help="workspace folder (same as --path)")


def workspace(args: argparse.Namespace) -> Path:
    """The resolved workspace folder of ``args`` (``--path`` or positional ``PATH``; default cwd).

    Raises:
        CommandError: the folder does not exist, or ``PATH`` and ``--path`` disagree (exit 2).
    """
    flag, positional = getattr(args, "path", None), getattr(args, "path_arg", None)
    if flag and positional and Path(flag).expanduser().resolve() != Path(positional).expanduser().resolve():
        raise CommandError(f"two workspaces given ({positional} and --path {flag}); give one")
    return check_workspace(flag or positional)


def check_workspace(path: str | Path | None) -> Path:
    """The resolved workspace folder ``path`` (``None``/empty: the current folder).

    Raises:
        CommandError: the folder does not exist (exit 2; the message says how to fix it).
    """
    ws = Path(path or ".").expanduser()
    if not ws.is_dir():
        raise CommandError(f"workspace {ws} is not a folder. Give an existing project folder with --path.")
    return ws.resolve()


def config_message(exc: BaseException) -> str:
    """The text reporting an invalid configuration (``ConfigError``/``PluginConfigError``, which
    name the file and key): ``configuration error:`` and the error on the next line."""
    return f"configuration error:\n{exc}"


def config_error(exc: BaseException) -> CommandError:
    """The :class:`CommandError` (exit 2) for an invalid configuration; ``raise config_error(exc) from None``."""
    return CommandError(config_message(exc))


def command_errors(run: F) -> F:
    """Decorate a ``run_*_command`` function: a :class:`CommandError` it raises is printed as
    ``workbench: MESSAGE`` on stderr and its code returned, as ``main`` does."""

    @functools.wraps(run)
    def wrapper(*args: Any, **kwargs: Any) -> int:
        try:
            return run(*args, **kwargs)
        except CommandError as exc:
            return fail(str(exc), exc.code)

    return wrapper  # type: ignore[return-value]


def add_llm_flags(p: argparse.ArgumentParser) -> None:
    """``--model``, ``--base-url``, ``--provider`` (overrides of ``[llm]``)."""
    p.add_argument("--model", help="model name (overrides llm.model)")
    p.add_argument("--base-url", help="OpenAI-compatible base URL (overrides llm.base_url)")
    p.add_argument("--provider", choices=PROVIDERS, help="provider preset (base URL, key variable, default model)")


def add_mode_flag(p: argparse.ArgumentParser) -> None:
    """``--mode`` (overrides ``agent.mode``)."""
    p.add_argument("--mode", choices=MODES, help="permission mode (overrides agent.mode)")


def overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The settings overrides given by the flags of :func:`add_llm_flags` / :func:`add_mode_flag`."""
    out: dict[str, Any] = {}
    llm = {key: getattr(args, key) for key in ("model", "base_url", "provider") if getattr(args, key, None)}
    if llm:
        out["llm"] = llm
    if getattr(args, "mode", None):
        out["agent"] = {"mode": args.mode}
    return out


def load(ws: Path, args: argparse.Namespace, *, need_model: bool = True) -> Any:  # -> Settings
    """Load the effective settings of ``ws`` with the flags' overrides.

    Workspace files not trusted (or changed since) are ignored, with one line on stderr saying which
    and how to trust them (:func:`workbench.cli.commands.trust.warn_untrusted`).

    Args:
        ws: the workspace root.
        args: parsed arguments (LLM/mode flags are optional).
        need_model: also resolve the LLM (fails when no model is known).

    Raises:
        CommandError: an invalid configuration (exit 2), message names the file and key.
    """
    from workbench.cli.commands.trust import warn_untrusted
    from workbench.core.config import ConfigError, load_settings

    warn_untrusted(ws)  # one line naming ignored workspace files and `workbench trust`
    try:
        settings = load_settings(ws, overrides(args))
        if need_model:
            settings.llm.resolved()
    except ConfigError as exc:
        raise config_error(exc) from None
    return settings


def fail(message: str, code: int = 2) -> int:
    """Print ``workbench: MESSAGE`` on stderr and return ``code``."""
    print(f"workbench: {message}", file=sys.stderr)
    return code
