"""Test helper: a real Docker engine (and test images), or an honest skip.

Without an engine a docker test is skipped locally with the command that starts one; with
``CI=true`` it fails instead, so CI never counts a skipped docker test as passing.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def docker_unavailable(reason: str) -> None:
    """Skip the current test (locally) or fail it (``CI=true``) with ``reason`` and the fix."""
    import pytest

    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: docker tests must run; run .ci/docker-setup.sh)")
    pytest.skip(f"{reason}; run .ci/docker-setup.sh (as root) to start an engine and build test images")


def require_docker(*images: str) -> Any:
    """Return a connected ``docker.DockerClient`` that has ``images``, or skip/fail the test."""
    import docker

    try:
        client = docker.from_env()
        client.ping()
    except Exception as exc:  # noqa: BLE001 - any failure means no usable engine
        docker_unavailable(f"no Docker engine: {exc}")
    for image in images:
        try:
            client.images.get(image)
        except docker.errors.ImageNotFound:
            docker_unavailable(f"test image {image} missing")
    return client


@contextmanager
def sandbox_workspace(workspace: Path, client: Any, image: str) -> Iterator[Path]:
    """Configure ``workspace`` for a small sandbox on ``image`` and remove its containers after.

    Writes ``.workbench/config.toml`` (64 MiB, 64 pids, 20 s commands) and trusts it (through the
    normal trust record, in the current ``WORKBENCH_HOME``); when running as root the
    files are handed to uid 1000 so the sandbox user can write them. On exit every container
    labelled with the workspace is force-removed.
    """
    from workbench.core.sandbox.policy import LABEL_WORKSPACE

    (workspace / ".workbench").mkdir()
    (workspace / ".workbench" / "config.toml").write_text(
        f'[sandbox]\nimage = "{image}"\nmem_limit = "64m"\npids_limit = 64\ncommand_timeout = 20\n'
    )
    from helpers.trust import trust_workspace

    trust_workspace(workspace)
    if os.geteuid() == 0:
        for root, dirs, files in os.walk(workspace):
            for name in dirs + files:
                os.chown(os.path.join(root, name), 1000, 1000)
        os.chown(workspace, 1000, 1000)
    try:
        yield workspace
    finally:
        for c in client.containers.list(all=True, filters={"label": f"{LABEL_WORKSPACE}={workspace.resolve()}"}):
            c.remove(force=True)
