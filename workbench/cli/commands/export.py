"""``workbench export SESSION --format md|json|html [--output FILE] [--path WS]``: a whole session.

``md`` is rendered like the journal (answers in full), ``json`` is every event as a list, ``html``
a standalone page with all text escaped. Without ``--output`` the export goes to stdout. The
``workbench.cli.export`` registers the parser with :func:`add_export_parser` and dispatches with
:func:`run_export_command`.

Exit codes: 0 written; 1 the output file cannot be written; 2 bad usage (no such workspace or
session, unknown format).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from workbench.cli.common import check_workspace, command_errors


def add_export_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``export`` on ``subparsers`` (the parser is defined in :mod:`workbench.cli.export`)."""
    from workbench.cli.export import register

    return register(subparsers)


@command_errors
def run_export_command(args: argparse.Namespace) -> int:
    """Run ``workbench export``; returns the exit code (see the module docstring)."""
    from workbench.core.journal.export import ExportFormatError, export_session
    from workbench.core.paths import event_log_path
    from workbench.core.store import EventStore, SessionNotFound

    workspace = check_workspace(getattr(args, "path", None))
    if not event_log_path(workspace).exists():
        print(f"workbench: no sessions in {workspace} yet (no event log). Check --path.", file=sys.stderr)
        return 2
    store = EventStore(event_log_path(workspace))
    try:
        from workbench.core.config import ConfigError, load_settings
        from workbench.core.redact import Redactor

        store.redactor = Redactor.for_settings(load_settings(workspace))
    except (ConfigError, ValueError):
        pass  # the default redactor still masks token shapes
    try:
        text = export_session(store, args.session, args.format)
    except (SessionNotFound, ExportFormatError) as exc:
        print(f"workbench: {exc}", file=sys.stderr)
        return 2
    finally:
        store.close()
    if not args.output:
        sys.stdout.write(text)
        return 0
    out = Path(args.output).expanduser()
    try:
        from workbench.core.fsutil import atomic_write

        atomic_write(out, text, parents=True)
    except OSError as exc:
        print(f"workbench: cannot write {out}: {exc.strerror or exc}. Choose another --output.", file=sys.stderr)
        return 1
    print(f"wrote {out} ({len(text.encode('utf-8'))} bytes, {args.format})", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry: ``python -m workbench.cli.commands.export SESSION --format html``."""
    parser = argparse.ArgumentParser(prog="workbench")
    sub = parser.add_subparsers(dest="command", required=True)
    add_export_parser(sub)
    return run_export_command(parser.parse_args(["export", *(sys.argv[1:] if argv is None else argv)]))


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
