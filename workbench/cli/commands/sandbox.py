"""``workbench sandbox build|status|prune``: the sandbox image, the engine state and stale containers.

* ``workbench sandbox build [--path WS] [--tag NAME]``: build ``[sandbox] image`` (or ``NAME``) from
  ``WS/.workbench/sandbox/Dockerfile``.
* ``workbench sandbox build --rootfs DIR_OR_TAR --tag NAME``: import a root filesystem (e.g. made
  with ``debootstrap``) as an image, like ``docker import``.
* ``workbench sandbox status [--json]``: the engine (endpoint, version, runtimes, or why it is
  unreachable and the fix), whether the configured image is present, this workspace's containers.
* ``workbench sandbox prune [--yes]``: remove this workspace's containers whose session ended or
  crashed (never one of an open session). Without ``--yes`` it asks on a terminal; without a
  terminal it lists them and exits 2 with one line saying to pass ``--yes``.

Exit codes: 0 done; 1 the engine is unreachable or the operation failed; 2 bad usage or an invalid
configuration. No Textual or Rich here: output is ``print``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from workbench.cli.common import check_workspace, command_errors, config_error


def add_sandbox_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``sandbox`` on ``subparsers`` (the parser is defined in :mod:`workbench.cli.sandbox`)."""
    from workbench.cli.sandbox import register

    return register(subparsers)


def _fail(message: str, code: int = 1) -> int:
    print(f"workbench sandbox: {message}", file=sys.stderr)
    return code


def _settings(ws: Path) -> Any:
    from workbench.cli.commands.trust import warn_untrusted
    from workbench.core.config import ConfigError, load_settings

    warn_untrusted(ws)
    try:
        return load_settings(ws).sandbox
    except ConfigError as exc:
        raise config_error(exc) from None


def _sessions(ws: Path) -> list[Any]:
    from workbench.core.runtime import event_log_path
    from workbench.core.store import EventStore

    path = event_log_path(ws)
    if not path.exists():
        return []
    store = EventStore(path)
    try:
        return store.sessions(ws)
    finally:
        store.close()


@command_errors
def run_sandbox_command(args: argparse.Namespace) -> int:
    """Run ``workbench sandbox ...`` from parsed arguments; returns the exit code."""
    ws = check_workspace(getattr(args, "path", None))
    command = args.sandbox_command
    try:
        if command == "build":
            return _build(ws, args)
        if command == "status":
            return _status(ws, as_json=args.json)
        if command == "prune":
            return _prune(ws, yes=args.yes)
    except SystemExit as exc:
        return int(exc.code or 0)
    return 2  # pragma: no cover - argparse enforces the choices


def _client() -> Any:
    from workbench.core.sandbox.engine import connect, engine_status_sync
    from workbench.core.sandbox.errors import EngineUnavailable

    status = engine_status_sync()
    if not status.available:
        raise SystemExit(_fail(f"no Docker engine: {status.reason}\nFix: {status.fix}"))
    try:
        return connect()
    except EngineUnavailable as exc:
        raise SystemExit(_fail(str(exc))) from None


def _build(ws: Path, args: argparse.Namespace) -> int:
    from workbench.core.sandbox.errors import SandboxError
    from workbench.core.sandbox.images import DOCKERFILE, build_image, import_rootfs

    tag = args.tag or _settings(ws).image
    if args.rootfs is None and not (ws / DOCKERFILE).is_file():
        return _fail(
            f"{ws / DOCKERFILE} not found. Fix: write a Dockerfile there (FROM an image you have, then "
            "the tools you need), or import a root filesystem, e.g. one made with "
            "`debootstrap --variant=minbase --include=python3 bookworm DIR`: "
            '`workbench sandbox build --rootfs DIR --tag NAME`, then set [sandbox] image = "NAME" in '
            ".workbench/config.toml."
        )
    client = _client()
    try:
        if args.rootfs is not None:
            image_id = import_rootfs(client, Path(args.rootfs).expanduser(), tag)
            print(f"imported {args.rootfs} as {tag} ({image_id[:19]})")
        else:
            image_id = build_image(client, ws, tag, on_line=print)
            print(f"built {tag} from {ws / DOCKERFILE} ({image_id[:19]})")
    except SandboxError as exc:
        return _fail(str(exc))
    configured = _settings(ws).image
    if tag != configured and tag.split(":")[0] != configured.split(":")[0]:
        print(f'note: [sandbox] image is {configured!r}; set image = "{tag}" in .workbench/config.toml to use it')
    return 0


def status_report(ws: Path) -> dict[str, Any]:
    """Collect the engine state and the workspace's containers (blocking).

    Args:
        ws: the workspace root.

    Returns:
        ``{"workspace", "engine": {"available", "reason", "fix", "version", "endpoint",
        "runtimes"}, "image": {"name", "present"}, "containers": [{"id", "name", "image",
        "status", "started_at", "session", "session_status"}]}``; ``image.present`` and
        ``containers`` are ``None`` when the engine is unreachable.
    """
    from workbench.core.sandbox.engine import engine_status_sync
    from workbench.core.sandbox.service import SandboxService

    settings = _settings(ws)
    status = engine_status_sync()
    report: dict[str, Any] = {
        "workspace": str(ws),
        "engine": {
            "available": status.available,
            "reason": status.reason,
            "fix": status.fix,
            "version": status.version,
            "endpoint": status.endpoint,
            "runtimes": list(status.runtimes),
        },
        "image": {"name": settings.image, "present": None},
        "containers": None,
    }
    if not status.available:
        return report
    service = SandboxService(settings, ws)
    client = service.client()
    import docker

    try:
        client.images.get(settings.image)
        report["image"]["present"] = True
    except docker.errors.ImageNotFound:
        report["image"]["present"] = False
    sessions = {s.id: s.status for s in _sessions(ws)}
    report["containers"] = [
        {
            "id": c.id,
            "name": c.name,
            "image": c.image,
            "status": c.status,
            "started_at": c.started_at.isoformat() if c.started_at else None,
            "session": c.session,
            "session_status": sessions.get(c.session, "unknown"),
        }
        for c in service.list_containers_sync()
    ]
    return report


def _status(ws: Path, *, as_json: bool) -> int:
    report = status_report(ws)
    engine = report["engine"]
    if as_json:
        print(json.dumps(report, indent=2))
        return 0 if engine["available"] else _fail(f"no Docker engine: {engine['reason']}")
    if not engine["available"]:
        print(f"engine: unreachable at {engine['endpoint']}\n  reason: {engine['reason']}\n  fix: {engine['fix']}")
        return _fail(f"no Docker engine: {engine['reason']}")
    runtimes = ", ".join(engine["runtimes"]) or "none"
    print(f"engine: Docker {engine['version']} at {engine['endpoint']} (runtimes: {runtimes})")
    image = report["image"]
    print(f"image: {image['name']} ({'present' if image['present'] else 'MISSING: run `workbench sandbox build`'})")
    containers = report["containers"]
    if not containers:
        print("containers: none for this workspace")
        return 0
    print(f"containers ({len(containers)}):")
    for c in containers:
        print(f"  {c['name']:<40} {c['status']:<9} session {c['session']} ({c['session_status']})  {c['image']}")
    return 0


def _prune(ws: Path, *, yes: bool) -> int:
    from workbench.core.sandbox.reattach import stale_containers
    from workbench.core.sandbox.service import SandboxService

    _client()
    service = SandboxService(_settings(ws), ws)
    stale = stale_containers(service.list_containers_sync(), _sessions(ws))
    if not stale:
        print("nothing to prune: every container of this workspace belongs to an open session")
        return 0
    for s in stale:
        print(f"  {s.container.name:<40} {s.container.status:<9} session {s.container.session} ({s.session_status})")
    if not yes:
        if not sys.stdin.isatty():
            print(
                f"workbench sandbox: not a terminal, nothing removed: pass --yes to remove these {len(stale)} container(s)",
                file=sys.stderr,
            )
            return 2
        answer = input(f"Remove these {len(stale)} container(s)? [y/N] ").strip().lower()
        if answer not in ("y", "yes"):
            print("nothing removed")
            return 0
    removed = service.prune_sync({s.container.session for s in stale})
    print(f"removed {len(removed)} container(s)")
    return 0
