"""``workbench spec new|list|lint|trace|status|update-tasks|approve``: spec documents (logic in ``workbench.cli.commands.spec``)."""

from __future__ import annotations

import argparse

from workbench.cli.common import add_path, workspace

HELP = "spec documents: new, list, lint, trace, status, update-tasks, approve"
DOCS = ("requirements", "design", "tasks")
"""Same as ``workbench.core.specs.models.DOC_KINDS`` (a test checks it); repeated here so that
building the parser does not import the specs core."""


def register(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add ``spec`` and its sub-commands (``args.spec_command``); ``--path`` works at both levels."""
    spec = sub.add_parser("spec", help=HELP, description=HELP)
    add_path(spec)
    cmds = spec.add_subparsers(dest="spec_command", metavar="COMMAND", required=True)

    new = cmds.add_parser(
        "new",
        help="create a spec folder with a requirements.md template (.kiro/specs/NAME/ when the workspace has .kiro/, else .workbench/specs/NAME/; setting [specs] dir)",
    )
    new.add_argument("name", metavar="NAME", help="feature name (kebab-case, e.g. user-login)")
    new.add_argument("--idea", default="", help="one-line idea recorded in the Introduction")
    new.add_argument(
        "--bugfix",
        action="store_true",
        help="a bugfix spec: bugfix.md (Current / Expected / Unchanged Behavior) instead of requirements.md",
    )
    new.add_argument(
        "--quick",
        action="store_true",
        help="quick spec: the model drafts all three documents from --idea in one pass (each still reviewed and approved)",
    )
    add_path(new)

    lst = cmds.add_parser("list", help="list the specs with each document's state and task progress")
    lst.add_argument("--json", action="store_true", help="print JSON")
    add_path(lst)

    for name, help_text in (
        ("lint", "parse and lint specs, errors first with counts (exit 1 when there are errors; codes: docs/spec-problems.md)"),
        (
            "trace",
            "traceability both ways: criterion -> tasks and design items, task -> criteria, design item -> criteria -> tasks; uncovered criteria, unknown references",
        ),
        ("status", "workflow state of each document and files changed since approval"),
    ):
        cmd = cmds.add_parser(name, help=help_text)
        cmd.add_argument("name", nargs="?", metavar="NAME", help="one spec (default: all)")
        cmd.add_argument("--json", action="store_true", help="print JSON")
        add_path(cmd)

    update = cmds.add_parser(
        "update-tasks",
        help="the model proposes tasks.md changes after the requirements changed; prints the diff, applies it with --yes",
    )
    update.add_argument("name", metavar="NAME")
    update.add_argument(
        "--yes", action="store_true", help="apply the proposal (else it is only shown and kept as tasks.proposed.md)"
    )
    add_path(update)

    approve = cmds.add_parser("approve", help="approve a document (records its hash and git commit)")
    approve.add_argument("name", metavar="NAME")
    approve.add_argument(
        "doc", choices=(*DOCS, "bugfix"), help="the document (bugfix: a bugfix spec's bugfix.md, same as requirements)"
    )
    approve.add_argument("--who", default=None, help="approver name (default: login name)")
    approve.add_argument("--force", action="store_true", help="approve even though the document has lint errors")
    add_path(approve)
    spec.set_defaults(handler=handle)
    return spec


def handle(args: argparse.Namespace) -> int:
    """Run the spec sub-command (exit codes in ``workbench.cli.commands.spec``)."""
    from workbench.cli.commands.spec import run_spec_command

    return run_spec_command(args, workspace(args))
