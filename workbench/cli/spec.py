"""``workbench spec new|list|lint|trace|status|approve``: spec documents (logic in ``workbench.cli.commands.spec``)."""

from __future__ import annotations

import argparse

from workbench.cli.common import add_path, workspace

HELP = "spec documents: new, list, lint, trace, status, approve"
DOCS = ("requirements", "design", "tasks")
"""Same as ``workbench.core.specs.models.DOC_KINDS`` (a test checks it); repeated here so that
building the parser does not import the specs core."""


def register(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add ``spec`` and its sub-commands (``args.spec_command``); ``--path`` works at both levels."""
    spec = sub.add_parser("spec", help=HELP, description=HELP)
    add_path(spec)
    cmds = spec.add_subparsers(dest="spec_command", metavar="COMMAND", required=True)

    new = cmds.add_parser("new", help="create .workbench/specs/NAME/ with a requirements.md template")
    new.add_argument("name", metavar="NAME", help="feature name (kebab-case, e.g. user-login)")
    new.add_argument("--idea", default="", help="one-line idea recorded in the Introduction")
    add_path(new)

    lst = cmds.add_parser("list", help="list the specs with each document's state and task progress")
    lst.add_argument("--json", action="store_true", help="print JSON")
    add_path(lst)

    for name, help_text in (
        ("lint", "parse and EARS-lint specs (exit 1 when there are errors)"),
        ("trace", "criterion <-> task matrix, uncovered criteria, unknown references"),
        ("status", "workflow state of each document and files changed since approval"),
    ):
        cmd = cmds.add_parser(name, help=help_text)
        cmd.add_argument("name", nargs="?", metavar="NAME", help="one spec (default: all)")
        cmd.add_argument("--json", action="store_true", help="print JSON")
        add_path(cmd)

    approve = cmds.add_parser("approve", help="approve a document (records its hash and git commit)")
    approve.add_argument("name", metavar="NAME")
    approve.add_argument("doc", choices=DOCS)
    approve.add_argument("--who", default=None, help="approver name (default: login name)")
    approve.add_argument("--force", action="store_true", help="approve even though the document has lint errors")
    add_path(approve)
    spec.set_defaults(handler=handle)
    return spec


def handle(args: argparse.Namespace) -> int:
    """Run the spec sub-command (exit codes in ``workbench.cli.commands.spec``)."""
    from workbench.cli.commands.spec import run_spec_command

    return run_spec_command(args, workspace(args))
