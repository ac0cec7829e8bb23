"""Making the sandbox image without a registry: build a Dockerfile, or import a root filesystem.

Backs ``workbench sandbox build`` (``.workbench/sandbox/Dockerfile``) and
``workbench sandbox build --rootfs DIR_OR_TAR --tag NAME`` (the ``docker import`` equivalent,
Engine API ``POST /images/create?fromSrc=-``). All functions block: call them in a thread.
"""

from __future__ import annotations

import os
import tarfile
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .errors import SandboxError

DOCKERFILE = Path(".workbench") / "sandbox" / "Dockerfile"
"""The workspace-relative Dockerfile used by ``workbench sandbox build``."""

DEFAULT_CHANGES = [
    "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    'CMD ["/bin/sh"]',
]


def build_image(client: Any, workspace: Path, tag: str, on_line: Callable[[str], None] | None = None) -> str:
    """Build ``tag`` from ``<workspace>/.workbench/sandbox/Dockerfile`` (context: that folder).

    The Dockerfile must be trusted as it is now (:mod:`workbench.core.trust`); a changed one is
    refused rather than built from its older trusted version.

    Args:
        client: a ``docker.DockerClient``.
        workspace: the workspace root.
        tag: the image name to give the result (normally ``[sandbox] image``).
        on_line: receives each line of build output.

    Returns:
        The image id.

    Raises:
        SandboxError: no Dockerfile, an untrusted or changed one, or the build failed (with the
            engine's message).
    """
    dockerfile = Path(workspace) / DOCKERFILE
    if not dockerfile.is_file():
        raise SandboxError(
            f"{dockerfile} not found. Fix: write a Dockerfile there, or import a root filesystem with "
            "`workbench sandbox build --rootfs DIR_OR_TAR --tag NAME`."
        )
    from workbench.core import trust

    state = trust.check(workspace).file(trust.DOCKERFILE)
    if state.status != "trusted":
        why = "is not trusted yet" if state.status == "new" else "changed since you trusted it"
        raise SandboxError(
            f"{dockerfile} {why}: it is a recipe from the workspace and is not built before you trust it. "
            f"Fix: review and trust it with `{trust.trust_command(Path(workspace).resolve())}`."
        )
    import docker

    image_id = ""
    try:
        for chunk in client.api.build(path=str(dockerfile.parent), tag=tag, rm=True, decode=True):
            if "stream" in chunk and on_line is not None:
                for line in chunk["stream"].splitlines():
                    if line.strip():
                        on_line(line)
            if "error" in chunk:
                raise SandboxError(f"building {tag!r} from {dockerfile} failed: {chunk['error'].strip()}")
            if "aux" in chunk and "ID" in chunk["aux"]:
                image_id = chunk["aux"]["ID"]
    except docker.errors.APIError as exc:
        raise SandboxError(f"building {tag!r} from {dockerfile} failed: {exc.explanation or exc}") from exc
    return image_id or client.images.get(tag).id


def _tar_directory(root: Path) -> Path:
    fd, name = tempfile.mkstemp(prefix="workbench-rootfs-", suffix=".tar")
    os.close(fd)
    with tarfile.open(name, "w") as tar:
        for entry in sorted(root.iterdir()):
            tar.add(str(entry), arcname=entry.name, recursive=True)
    return Path(name)


def import_rootfs(client: Any, source: Path, tag: str, changes: list[str] | None = None) -> str:
    """Import a root filesystem (a directory, or a tar file) as image ``tag`` (``docker import``).

    Args:
        client: a ``docker.DockerClient``.
        source: a directory (tarred on the fly, ownership and modes kept) or a ``.tar[.gz|.xz]``.
        tag: ``name[:tag]`` of the new image.
        changes: Dockerfile instructions applied (default: a standard ``PATH`` and ``CMD sh``).

    Returns:
        The image id.

    Raises:
        SandboxError: the source does not exist or the engine refused it.
    """
    source = Path(source)
    if not source.exists():
        raise SandboxError(
            f"{source} does not exist. Fix: pass a root filesystem directory or tar file "
            "(e.g. made with `debootstrap --variant=minbase --include=python3 bookworm DIR`)."
        )
    if ":" in tag.rsplit("/", 1)[-1]:
        repository, version = tag.rsplit(":", 1)
    else:
        repository, version = tag, "latest"
    tmp: Path | None = None
    try:
        tar_path = source
        if source.is_dir():
            tmp = tar_path = _tar_directory(source)
        with open(tar_path, "rb") as fh:
            out = client.api.import_image_from_data(
                fh, repository=repository, tag=version, changes=changes if changes is not None else DEFAULT_CHANGES
            )
    except OSError as exc:
        raise SandboxError(f"reading {source} failed: {exc}") from exc
    except Exception as exc:  # docker.errors.APIError
        raise SandboxError(f"importing {source} as {tag!r} failed: {exc}") from exc
    finally:
        if tmp is not None:
            tmp.unlink(missing_ok=True)
    text = out.decode("utf-8", "replace") if isinstance(out, bytes) else str(out)
    if "errorDetail" in text:
        raise SandboxError(f"importing {source} as {tag!r} failed: {text.strip()}")
    image_id: str = client.images.get(f"{repository}:{version}").id
    return image_id
