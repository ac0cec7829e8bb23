"""``workbench trust [PATH] [--show] [--revoke]``: review and trust a workspace's own files
(registered in :mod:`workbench.cli.trust`).

Without a flag it prints what the workspace's files would change (see
:mod:`workbench.core.trust.describe`) and records that the user trusts exactly that content.
``--show`` only prints (and says what is ignored now); ``--revoke`` forgets the decision. Also
holds :func:`warn_untrusted`, the one-line stderr warning of the headless commands. Exit codes:
0 ok, 2 bad usage (not a folder) or the record cannot be written.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from workbench.cli.common import check_workspace, command_errors


def _as_json(report: Any, sections: list[Any], action: str) -> dict[str, Any]:
    return {
        "workspace": str(report.workspace),
        "action": action,
        "trusted": report.trusted,
        "problem": report.problem,
        "files": [
            {"path": f.rel, "status": f.status, "sha256": f.sha256, "trusted_sha256": f.trusted_sha256, "note": f.note}
            for f in report.files
        ],
        "changes": [
            {
                "path": s.rel,
                "heading": s.heading,
                "items": [{"text": i.text, "risk": i.risk, "hidden": i.hidden} for i in s.items],
            }
            for s in sections
        ],
    }


def _state_line(report: Any) -> str:
    if report.record is None:
        return f"Workspace {report.workspace} is not trusted."
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(float(report.record.get("trusted_at", 0))))
    via = report.record.get("via") or "?"
    if report.trusted:
        return f"Workspace {report.workspace} is trusted (since {when}, via {via}); its files are unchanged."
    return f"Workspace {report.workspace} was trusted ({when}, via {via}), but some files changed since."


@command_errors
def run_trust_command(args: argparse.Namespace) -> int:
    """Run ``workbench trust``; returns the exit code (see the module doc)."""
    from workbench.core import trust
    from workbench.core.trust.describe import describe, render_text

    ws = check_workspace(args.path)
    report = trust.check(ws)
    try:
        if args.revoke:
            had = trust.revoke(ws)
            if args.json:
                print(json.dumps(_as_json(trust.check(ws), [], "revoke"), indent=2))
            else:
                print(f"Trust revoked for {ws}." if had else f"{ws} was not trusted; nothing to revoke.")
                if had and report.present:
                    print("Its files are ignored from now on: " + ", ".join(f.rel for f in report.present) + ".")
            return 0
        sections = describe(report, reveal=args.reveal, include_trusted=args.show)
        if args.show:
            if args.json:
                print(json.dumps(_as_json(report, sections, "show"), indent=2, ensure_ascii=False))
                return 0
            print(_state_line(report))
            if report.pending:
                print(
                    "Ignored until you trust them (`"
                    + trust.trust_command(ws)
                    + "`): "
                    + ", ".join(f.rel for f in report.pending)
                    + "."
                )
            print()
            print(render_text(report, sections) if sections else "No workspace files that need trust are present.")
            return 0
        if not report.pending and report.record is not None:
            if args.json:
                print(json.dumps(_as_json(report, [], "unchanged"), indent=2))
            else:
                print(_state_line(report))
            return 0
        after = trust.trust(ws, report, via="cli")
    except trust.TrustStoreError as exc:
        print(f"workbench: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(_as_json(after, sections, "trust"), indent=2, ensure_ascii=False))
        return 0
    if sections:
        print(f"Trusting {ws}. These files now apply as shown:\n")
        print(render_text(report, sections))
    else:
        print(f"Trusted {ws}. It has none of the files that need trust; any added later will ask first.")
    if after.pending:  # a file changed between reading and recording: it stays ignored
        print("Changed while this ran, still ignored: " + ", ".join(f.rel for f in after.pending), file=sys.stderr)
    return 0


def warn_untrusted(workspace: Path) -> None:
    """Print the one-line warning of :func:`workbench.core.trust.warning_line` on stderr, if any."""
    from workbench.core import trust

    line = trust.warning_line(trust.check(workspace))
    if line:
        print(line, file=sys.stderr, flush=True)
