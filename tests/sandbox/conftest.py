"""Fixtures for the sandbox tests: a REAL Docker engine and the locally built test images.

The engine and images come from ``.ci/docker-setup.sh``. Without an engine the tests are skipped
locally, and fail when ``CI=true`` (so CI never counts a skipped sandbox test as passing).
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from helpers.docker import require_docker

from workbench.core.sandbox.policy import LABEL_WORKSPACE, SandboxSettings
from workbench.core.sandbox.service import SandboxService

BUSYBOX = "workbench-test/busybox:latest"
PYTHON = "workbench-test/python:latest"
HOST_UID = 1000
"""The tests run as root here; the workspace is chowned to this uid to stand for a normal user's
workspace, so ``user="auto"`` resolves to it (a root-owned workspace is tested separately)."""


@pytest.fixture(scope="session")
def docker_client():
    """A connected ``docker.DockerClient`` (skip locally / fail in CI when no engine answers)."""
    return require_docker()


def _require_image(client, tag: str) -> None:
    require_docker(tag)


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A workspace owned by uid/gid 1000 (when running as root), and a private WORKBENCH_HOME."""
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path / "home"))
    ws = tmp_path / f"ws-{uuid.uuid4().hex[:6]}"
    ws.mkdir()
    if os.geteuid() == 0:
        os.chown(ws, HOST_UID, HOST_UID)
    return ws


def _cleanup(client, workspace: Path) -> None:
    for c in client.containers.list(all=True, filters={"label": f"{LABEL_WORKSPACE}={workspace.resolve()}"}):
        c.remove(force=True)


@pytest.fixture
def make_service(docker_client, workspace: Path):
    """Factory of :class:`SandboxService` over ``workspace``; removes every container it made."""
    _require_image(docker_client, BUSYBOX)
    made: list[SandboxService] = []

    def factory(**overrides) -> SandboxService:
        values = {"image": BUSYBOX, "mem_limit": "64m", "pids_limit": 64, "command_timeout": 30.0}
        values.update(overrides)
        if values["image"] == PYTHON:
            _require_image(docker_client, PYTHON)
        service = SandboxService(SandboxSettings(**values), workspace, client_factory=lambda: docker_client)
        made.append(service)
        return service

    yield factory
    _cleanup(docker_client, workspace)


@pytest.fixture
def service(make_service) -> SandboxService:
    """A busybox sandbox service with small limits (64 MiB, 64 pids)."""
    return make_service()


@pytest.fixture
def session_id() -> str:
    """A fresh session id."""
    return f"test-{uuid.uuid4().hex[:10]}"
