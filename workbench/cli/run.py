"""``workbench run -p PROMPT [PATH]``: one turn headless, the reply streamed to stdout."""

from __future__ import annotations

import argparse

from workbench.cli.common import add_llm_flags, add_mode_flag, add_path, fail, load, workspace

HELP = "send one prompt headless and stream the reply to stdout"


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``run`` to the top-level sub-parsers."""
    p = sub.add_parser("run", help=HELP, description=HELP)
    p.add_argument("-p", "--prompt", required=True, help="the prompt")
    p.add_argument("--session", help="continue this session (id or unique prefix)")
    p.add_argument("--json", action="store_true", help="print every event as JSON Lines")
    p.add_argument("--yes", action="store_true",
                   help="with mode ask: run file changes without asking (behaves as auto-edit)")
    add_path(p, positional=True)
    add_llm_flags(p)
    add_mode_flag(p)
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Run the turn; exit 0 done, 1 model/API error, 2 bad usage or config."""
    import asyncio

    ws = workspace(args)
    settings = load(ws, args)  # before the heavy imports: a bad config is reported at once
    from workbench.headless import run_prompt

    if settings.agent.mode == "ask":
        if not args.yes:
            return fail(
                "permission mode 'ask' needs someone to answer approvals, and `run` is headless. "
                "Use --yes (file changes run without asking, like auto-edit), or --mode auto-edit|full-auto|read-only."
            )
        settings.agent.mode = "auto-edit"
    return asyncio.run(run_prompt(ws, settings, args.prompt, session_id=args.session, as_json=args.json))
