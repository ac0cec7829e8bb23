"""Fixtures for the Containers pane tests: a REAL Docker engine and the busybox test image.

Without an engine the docker tests are skipped locally and fail with ``CI=true``.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from helpers.docker import require_docker, sandbox_workspace

from workbench.core.sandbox.policy import SandboxSettings, container_config

BUSYBOX = "workbench-test/busybox:latest"
LOOP = 'i=0; while :; do i=$((i+1)); echo "line $i"; echo "oops $i" >&2; sleep 0.05; done'
"""Prints a stdout and a stderr line every 50 ms."""


@pytest.fixture
def docker_client():
    """A connected ``docker.DockerClient`` with the busybox test image (skip/fail without)."""
    return require_docker(BUSYBOX)


@pytest.fixture
def docker_ws(workspace: Path, docker_client):
    """The UI workspace configured for the busybox sandbox; every container of it removed after."""
    with sandbox_workspace(workspace, docker_client, BUSYBOX) as ws:
        yield ws


@pytest.fixture
def make_container(docker_client, docker_ws: Path):
    """Create and start a hardened session container of the workspace running ``script`` (sh -c)."""

    def make(script: str = LOOP, session_id: str | None = None):
        sid = session_id or f"ui-{uuid.uuid4().hex[:10]}"
        kwargs = container_config(SandboxSettings(image=BUSYBOX, mem_limit="64m", pids_limit=64), docker_ws, sid)
        kwargs["command"] = ["/bin/sh", "-c", script]
        container = docker_client.containers.create(**kwargs)
        container.start()
        container.reload()
        return container

    return make
