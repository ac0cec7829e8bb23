"""``workbench config show [--json]``: the effective configuration, keys masked."""

from __future__ import annotations

import argparse

from workbench.cli.common import add_llm_flags, add_path, load, workspace

HELP = "show the effective configuration (keys masked)"


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``config`` (action ``show``) to the top-level sub-parsers."""
    p = sub.add_parser("config", help=HELP, description=HELP)
    p.add_argument("action", choices=["show"])
    p.add_argument("--json", action="store_true", help="print JSON instead of TOML")
    add_path(p)
    add_llm_flags(p)
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Print the settings as TOML (or JSON); works without a model; exit 2 on an invalid configuration."""
    import json

    from workbench.core.config import config_files, masked_dump

    ws = workspace(args)
    settings = load(ws, args, need_model=False)
    data = masked_dump(settings)
    r = settings.llm.resolved(require_model=False)
    data["effective_llm"] = {
        "base_url": r.base_url,
        "model": r.model or None,
        "api_key": "********" if r.api_key else None,
        "api_key_source": r.key_source,
    }
    if not r.model:
        data["effective_llm"]["problem"] = (
            "no model set: set model under [llm], WORKBENCH_LLM__MODEL or --model "
            "(with a base URL of your own, `workbench run` asks the server's GET /models)"
        )
    data["files"] = [{"path": str(p), "exists": p.exists()} for p in config_files(ws)]
    from workbench.core import trust

    report = trust.check(ws)
    data["files"][-1]["trust"] = report.file(trust.CONFIG).status
    data["workspace_trust"] = {
        "trusted": report.trusted,
        "ignored": [f.rel for f in report.pending],
        "command": trust.trust_command(ws),
    }
    if args.json:
        print(json.dumps(data, indent=2))
    else:
        from workbench.core.config_show import render_toml

        print(render_toml(data), end="")
    return 0
