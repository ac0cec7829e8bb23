"""``workbench sandbox build|status|prune`` against the real Docker engine (``require_docker``)."""

from __future__ import annotations

import json
import uuid

import pytest
from helpers.docker import require_docker

from workbench.core.sandbox.policy import LABEL_SESSION, LABEL_WORKSPACE

from .conftest import one_line_reason

BUSYBOX = "workbench-test/busybox:latest"


@pytest.fixture
def docker_client():
    return require_docker(BUSYBOX)


def test_sandbox_build_status_and_missing_dockerfile(wb, e2e_ws, docker_client) -> None:
    tag = f"workbench-e2e-build:{uuid.uuid4().hex[:10]}"
    (e2e_ws / ".workbench" / "sandbox").mkdir(parents=True)
    (e2e_ws / ".workbench" / "config.toml").write_text(f'[sandbox]\nimage = "{tag}"\n')
    wb.trust(e2e_ws)
    missing = wb("sandbox", "build", "--path", e2e_ws)
    assert missing.returncode == 1
    assert "Dockerfile not found" in missing.stderr and "--rootfs" in missing.stderr

    before = wb("sandbox", "status", "--json", "--path", e2e_ws)
    assert before.returncode == 0, before.stderr
    report = json.loads(before.stdout)
    assert report["engine"]["available"] is True and report["image"] == {"name": tag, "present": False}
    assert report["containers"] == []
    text = wb("sandbox", "status", "--path", e2e_ws)
    assert "MISSING: run `workbench sandbox build`" in text.stdout

    (e2e_ws / ".workbench" / "sandbox" / "Dockerfile").write_text(f"FROM {BUSYBOX}\nRUN echo built > /built.txt\n")
    wb.trust(e2e_ws)  # the Dockerfile is one of the workspace's own files
    try:
        built = wb("sandbox", "build", "--path", e2e_ws, timeout=600)
        assert built.returncode == 0, built.stderr
        assert f"built {tag}" in built.stdout
        assert docker_client.containers.run(tag, ["cat", "/built.txt"], remove=True).decode().strip() == "built"
        after = json.loads(wb("sandbox", "status", "--json", "--path", e2e_ws).stdout)
        assert after["image"]["present"] is True
        assert f"image: {tag} (present)" in wb("sandbox", "status", "--path", e2e_ws).stdout
    finally:
        try:
            docker_client.images.remove(tag, force=True)
        except Exception:  # noqa: BLE001 - the build may have failed before tagging
            pass


def test_sandbox_prune_removes_containers_of_ended_sessions(wb, e2e_ws, docker_client) -> None:
    name = f"workbench-e2e-prune-{uuid.uuid4().hex[:10]}"
    container = docker_client.containers.create(
        BUSYBOX, ["true"], name=name, labels={LABEL_WORKSPACE: str(e2e_ws), LABEL_SESSION: "0123456789ab"}
    )
    try:
        status = json.loads(wb("sandbox", "status", "--json", "--path", e2e_ws).stdout)
        assert [c["name"] for c in status["containers"]] == [name]
        assert status["containers"][0]["session_status"] == "unknown"
        listed = wb("sandbox", "prune", "--path", e2e_ws)  # no terminal, no --yes: list only
        assert listed.returncode == 2
        assert name in listed.stdout and "pass --yes" in one_line_reason(listed)
        assert docker_client.containers.get(container.id)
        pruned = wb("sandbox", "prune", "--yes", "--path", e2e_ws)
        assert pruned.returncode == 0, pruned.stderr
        assert "removed 1 container(s)" in pruned.stdout
        assert not docker_client.containers.list(all=True, filters={"name": name})
        again = wb("sandbox", "prune", "--yes", "--path", e2e_ws)
        assert again.returncode == 0 and "nothing to prune" in again.stdout
    finally:
        for c in docker_client.containers.list(all=True, filters={"name": name}):
            c.remove(force=True)


def test_sandbox_without_an_engine_says_why(wb, e2e_ws) -> None:
    env = {"DOCKER_HOST": "unix:///nonexistent/docker.sock"}
    proc = wb("sandbox", "status", "--path", e2e_ws, env=env)
    assert proc.returncode == 1
    assert "unreachable" in proc.stdout
    assert one_line_reason(proc)
    prune = wb("sandbox", "prune", "--path", e2e_ws, env=env)
    assert prune.returncode == 1 and "no Docker engine" in prune.stderr
