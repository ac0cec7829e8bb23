"""``workbench checkpoints``, ``workbench rewind`` and ``workbench gc``."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

from workbench.cli.common import command_errors, config_error


def add_checkpoint_parsers(sub: argparse._SubParsersAction) -> None:
    """Register ``checkpoints``, ``rewind`` and ``gc`` (defined in :mod:`workbench.cli.checkpoints`)."""
    from workbench.cli.checkpoints import register

    register(sub)


def _events_of_all(ws: Path, kind: str):
    from workbench.core.paths import event_log_path
    from workbench.core.store import EventStore

    store = EventStore(event_log_path(ws))
    try:
        out = []
        for s in store.sessions(ws):
            out += [(s, e) for e in store.events(s.id, kinds=[kind])]
        return out, [s.id for s in store.sessions(ws)]
    finally:
        store.close()


def _unstored(skipped) -> list:
    from workbench.core.checkpoints.rewind_record import could_not_store

    return [x for x in skipped or [] if could_not_store(x[1])]


def _recover_first(workspace: Path, settings=None) -> bool:
    """Complete a rewind cut midway and record cut rewinds before listing or pruning; each thing
    done is one stderr line. Returns False (after a message) when the recovery failed."""
    from workbench.core.checkpoints import ShadowRepo
    from workbench.core.checkpoints.rewind_record import recover_rewinds_sync
    from workbench.core.paths import event_log_path
    from workbench.core.store import EventStore

    if not event_log_path(workspace).exists():
        return True
    try:
        if settings is None:
            from workbench.core.config import load_settings

            settings = load_settings(workspace)
        repo = ShadowRepo(workspace, settings=settings.checkpoints)
    except Exception:  # no git or bad config: nothing to recover here (the command reports its own errors)
        return True
    store = EventStore(event_log_path(workspace))
    try:
        messages = recover_rewinds_sync(repo, store, workspace)
    except Exception as exc:
        print(f"workbench: an interrupted rewind could not be completed: {exc}", file=sys.stderr)
        return False
    finally:
        store.close()
    for message in messages:
        print(f"workbench: {message}", file=sys.stderr)
    return True


@command_errors
def run_checkpoint_command(args: argparse.Namespace, workspace: Path) -> int:
    """Run ``checkpoints`` / ``rewind`` / ``gc``; returns the exit code (2 for bad input).

    ``checkpoints`` and ``gc`` first complete a rewind that was cut midway (and say so on stderr),
    so a pending restore never makes them fail and its pre-rewind checkpoint is listed.
    """
    from workbench.core.events import EventKind

    if args.command == "checkpoints":
        _recover_first(workspace)
        rows, sessions = _events_of_all(workspace, EventKind.CHECKPOINT_CREATED)
        if args.session:
            rows = [(s, e) for s, e in rows if s.id.startswith(args.session)]
            if not rows and not any(sid.startswith(args.session) for sid in sessions):
                print(f"workbench: no session {args.session!r}; list them with `workbench sessions`", file=sys.stderr)
                return 2
        elif rows:
            latest = max(rows, key=lambda r: r[0].updated)[0].id
            rows = [(s, e) for s, e in rows if s.id == latest]
        from workbench.core.event_payloads import CheckpointCreated

        data = [
            {
                "checkpoint": cp.checkpoint,
                "session": s.id,
                "label": cp.label,
                "created": e.ts,
                "turn_id": cp.turn_id,
                "event_seq": cp.event_seq,
                "files_changed": cp.files_changed,
                "diffstat": cp.diffstat,
                "skipped": _unstored(cp.skipped),
            }
            for s, e in rows
            for cp in (CheckpointCreated.of(e),)
        ]
        if args.json:
            print(json.dumps(data, indent=2))
        elif not data:
            print("No checkpoints yet: they are taken before the first change of each agent turn.")
        else:
            for d in data:
                when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(d["created"]))
                print(f"{d['checkpoint'][:12]}  {when}  {len(d['files_changed']):>3} files  {d['label']}")
                if d["skipped"]:
                    from workbench.core.checkpoints.rewind_record import describe_skipped

                    print("              not stored: " + ", ".join(describe_skipped(p, r) for p, r in d["skipped"][:10]))
        return 0
    if args.command == "rewind":
        return asyncio.run(_rewind(workspace, args))
    if args.command == "gc":
        from workbench.core.checkpoints import ShadowRepo
        from workbench.core.config import ConfigError, load_settings

        try:
            settings = load_settings(workspace)
        except ConfigError as exc:
            raise config_error(exc) from None
        if not _recover_first(workspace, settings):
            return 1
        _, sessions = _events_of_all(workspace, EventKind.CHECKPOINT_CREATED)
        repo = ShadowRepo(workspace, settings=settings.checkpoints)
        keep = args.keep_days if args.keep_days is not None else settings.checkpoints.keep_days
        result = repo.gc(keep, sessions)
        print(f"Pruned {len(result.pruned)} checkpoint(s), kept {result.kept}.")
        return 0
    return 2


async def _rewind(workspace: Path, args: argparse.Namespace) -> int:
    from workbench.core.checkpoints.service import RewindRefused
    from workbench.core.config import ConfigError, load_settings
    from workbench.core.events import EventKind
    from workbench.core.runtime import start_services

    _recover_first(workspace)
    rows, _ = _events_of_all(workspace, EventKind.CHECKPOINT_CREATED)
    from workbench.core.event_payloads import CheckpointCreated

    matches = [
        (s, e)
        for s, e in rows
        if CheckpointCreated.of(e).checkpoint.startswith(args.checkpoint) and (not args.session or s.id.startswith(args.session))
    ]
    sessions = {s.id for s, _ in matches}
    if not matches:
        print(f"workbench: no checkpoint {args.checkpoint!r}; list them with `workbench checkpoints`", file=sys.stderr)
        return 2
    if len(sessions) > 1:
        print(
            f"workbench: checkpoint {args.checkpoint!r} is in several sessions ({', '.join(sorted(sessions))}); add --session",
            file=sys.stderr,
        )
        return 2
    try:
        settings = load_settings(workspace)
    except ConfigError as exc:
        raise config_error(exc) from None
    services = await start_services(workspace, settings)
    for notice in services.notices:
        print(f"workbench: {notice}", file=sys.stderr)
    try:
        session = matches[0][0]
        if session.status == "open":
            print(
                f"workbench: session {session.id} is open in another Workbench; rewind it there (esc esc) or close it first.",
                file=sys.stderr,
            )
            return 1
        await services.chat.open(session.id)
        if services.checkpoints is None:
            print(
                f"workbench: checkpoints are off in this workspace ({'; '.join(services.notices) or 'no git'}); nothing to rewind.",
                file=sys.stderr,
            )
            return 1
        try:
            result = await services.checkpoints.rewind(args.checkpoint, args.scope or "files")
        except RewindRefused as exc:
            print(f"workbench: {exc}", file=sys.stderr)
            return 1
    finally:
        await services.aclose()
    print(
        f"Rewound {result.scope} to {result.checkpoint[:12]}: {len(result.written)} file(s) written, {len(result.deleted)} removed."
    )
    for line in result.warnings():
        print(line)
    if result.new_session:
        print(f"Conversation forked into session {result.new_session} (resume it with `workbench resume {result.new_session}`).")
        if result.prompt:
            print(f"The prompt of that turn was: {result.prompt}")
    if result.before:
        print(f"Undo with: workbench rewind {result.before[:12]} --files")
    return 0
