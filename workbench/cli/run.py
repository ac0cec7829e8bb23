"""``workbench run -p PROMPT [PATH]``: one turn headless, the reply streamed to stdout."""

from __future__ import annotations

import argparse
import sys

from workbench.cli.common import add_llm_flags, add_mode_flag, add_path, config_error, fail, load, workspace

HELP = "send one prompt headless and stream the reply to stdout"


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``run`` to the top-level sub-parsers."""
    p = sub.add_parser("run", help=HELP, description=HELP)
    p.add_argument("-p", "--prompt", required=True, help="the prompt")
    p.add_argument("--session", help="continue this session (id or unique prefix)")
    p.add_argument("--json", action="store_true", help="print every event as JSON Lines")
    p.add_argument(
        "--yes",
        action="store_true",
        help="with mode ask: run file changes without asking (behaves as auto-edit); "
        "without it, calls that would ask are denied and listed at the end",
    )
    p.add_argument(
        "--allowed-tools",
        action="append",
        metavar="RULES",
        help="rules (as in [permissions] allow, comma-separated, repeatable) whose calls run without "
        'asking in this run, e.g. "read_file,run_command:pytest *"; deny rules, read-only mode, '
        "protected paths and the sandbox still apply",
    )
    p.add_argument(
        "--disallowed-tools",
        action="append",
        metavar="RULES",
        help="rules whose calls are refused in this run (a bare tool name is also not offered to the "
        "model); deny wins over allow",
    )
    p.add_argument(
        "--keep-sandbox",
        action="store_true",
        help="keep the session's sandbox container running after the run (default: stopped)",
    )
    p.add_argument(
        "--answer",
        action="append",
        metavar="KEY=VALUE",
        help="answer the agent's ask_user question whose id is KEY or whose text starts with KEY "
        "(* = any); repeatable. Unanswered questions are declined",
    )
    p.add_argument(
        "--answers", metavar="FILE", dest="answers_file", help="ask_user answers from a JSON object or .toml table of KEY = VALUE"
    )
    add_path(p, positional=True)
    add_llm_flags(p)
    add_mode_flag(p)
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Run the turn; exit 0 done, 1 model/API error, 2 bad usage, config or tool rule, 130 Ctrl-C.

    In ``ask`` mode calls that would ask are denied (nobody can approve headless) and listed at
    the end; ``--yes`` makes ``ask`` behave as ``auto-edit``. With no model configured and a base
    URL of the user's own, the model comes from the server's ``GET /models`` when it lists one.
    """
    import asyncio

    from workbench.core.tools.permissions import PermissionRuleError
    from workbench.core.tools.runrules import ALLOWED_FLAG, DISALLOWED_FLAG, apply_run_rules, split_flag_rules

    try:
        allowed = split_flag_rules(args.allowed_tools, ALLOWED_FLAG)
        disallowed = split_flag_rules(args.disallowed_tools, DISALLOWED_FLAG)
    except PermissionRuleError as exc:
        return fail(str(exc))
    ws = workspace(args)
    settings = load(ws, args, need_model=False)  # before the heavy imports: a bad config is reported at once
    apply_run_rules(settings.permissions, allowed, disallowed)
    if settings.agent.mode == "ask" and args.yes:
        settings.agent.mode = "auto-edit"
    return asyncio.run(_run(ws, settings, args))


async def _run(ws, settings, args: argparse.Namespace) -> int:  # noqa: ANN001 - Path, Settings
    from workbench.core.config import ConfigError
    from workbench.core.llm.discovery import discover_model
    from workbench.core.tools.ask import AnswersError, answers_from_flags

    try:  # ask_user answers (workbench.core.tools.ask.PresetAnswers)
        answers = answers_from_flags(args.answer, args.answers_file)
    except AnswersError as exc:
        return fail(str(exc))

    try:
        note = await discover_model(settings.llm)
    except ConfigError as exc:
        raise config_error(exc) from None
    if note:
        print(f"workbench: {note}", file=sys.stderr)
    from workbench.cli.commands.run import run_prompt

    if args.keep_sandbox:
        settings.sandbox.keep_on_exit = True
    return await run_prompt(ws, settings, args.prompt, session_id=args.session, as_json=args.json, answers=answers)
