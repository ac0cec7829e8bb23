"""``workbench sandbox build|status|prune`` against a REAL engine (busybox test image)."""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import tarfile
import uuid
from pathlib import Path

import docker
import pytest
from helpers.trust import trust_workspace

from workbench.cli.commands.sandbox import add_sandbox_parser, run_sandbox_command
from workbench.core.events import Event, EventKind
from workbench.core.runtime import event_log_path
from workbench.core.store import EventStore

from .conftest import BUSYBOX

pytestmark = pytest.mark.docker


def cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="workbench")
    add_sandbox_parser(parser.add_subparsers(dest="command"))
    return run_sandbox_command(parser.parse_args(["sandbox", *argv]))


@pytest.fixture
def configured(workspace: Path) -> Path:
    (workspace / ".workbench").mkdir(exist_ok=True)
    (workspace / ".workbench" / "config.toml").write_text(f'[sandbox]\nimage = "{BUSYBOX}"\nmem_limit = "64m"\n')
    trust_workspace(workspace)
    return workspace


def _sessions(ws: Path) -> dict[str, str]:
    """Sessions in the real event log: one open (this process), one closed, one crashed."""
    store = EventStore(event_log_path(ws))
    dead = subprocess.Popen(["true"])
    dead.wait()
    ids = {}
    for state in ("open", "closed", "crashed"):
        info = store.create_session(ws)
        pid = dead.pid if state == "crashed" else os.getpid()
        store.append(Event(EventKind.SESSION_OPENED, info.id, {"pid": pid, "model": "m"}))
        if state == "closed":
            store.append(Event(EventKind.SESSION_CLOSED, info.id, {}))
        ids[state] = info.id
    assert {s.id: s.status for s in store.sessions(ws)} == {v: k for k, v in ids.items()}
    store.close()
    return ids


async def test_status_json_and_prune(configured, make_service, docker_client, capsys):
    ws = configured
    ids = _sessions(ws)
    service = make_service()
    for sid in [*ids.values(), "never-logged"]:
        await service.ensure(sid)

    assert cli("status", "--json", "--path", str(ws)) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["engine"]["available"] is True and report["engine"]["version"]
    assert report["image"] == {"name": BUSYBOX, "present": True}
    by_session = {c["session"]: c for c in report["containers"]}
    assert {k: v["session_status"] for k, v in by_session.items()} == {
        ids["open"]: "open",
        ids["closed"]: "closed",
        ids["crashed"]: "crashed",
        "never-logged": "unknown",
    }
    assert all(c["status"] == "running" and c["started_at"] for c in report["containers"])

    assert cli("status", "--path", str(ws)) == 0
    text = capsys.readouterr().out
    assert text.startswith("engine: Docker ") and f"image: {BUSYBOX} (present)" in text and "containers (4):" in text

    # without --yes and without a terminal: list only
    assert cli("prune", "--path", str(ws)) == 2
    captured = capsys.readouterr()
    assert "pass --yes" in captured.err and len(captured.err.strip().splitlines()) == 1
    assert ids["open"] not in captured.out
    assert len(await service.list_containers()) == 4

    assert cli("prune", "--yes", "--path", str(ws)) == 0
    assert "removed 3 container(s)" in capsys.readouterr().out
    left = await service.list_containers()
    assert [c.session for c in left] == [ids["open"]]  # the open session's container stays

    assert cli("prune", "--yes", "--path", str(ws)) == 0
    assert "nothing to prune" in capsys.readouterr().out


def test_status_without_engine(configured, monkeypatch, capsys):
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/workbench-test/docker.sock")
    assert cli("status", "--path", str(configured)) == 1
    out = capsys.readouterr().out
    assert "engine: unreachable at unix:///nonexistent/workbench-test/docker.sock (DOCKER_HOST)" in out
    assert "fix: start the Docker engine" in out
    assert cli("status", "--json", "--path", str(configured)) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["engine"]["available"] is False and report["containers"] is None
    assert cli("prune", "--yes", "--path", str(configured)) == 1
    assert "no Docker engine" in capsys.readouterr().err


def test_build_without_dockerfile_says_what_to_do(configured, docker_client, capsys):
    assert cli("build", "--path", str(configured)) == 1
    err = capsys.readouterr().err
    assert ".workbench/sandbox/Dockerfile not found" in err and "--rootfs" in err and "debootstrap" in err


def test_build_from_dockerfile(configured, docker_client, capsys):
    tag = f"workbench-test/cli-build-{uuid.uuid4().hex[:8]}:latest"
    folder = configured / ".workbench" / "sandbox"
    folder.mkdir(parents=True)
    (folder / "hello.txt").write_text("built by workbench\n")
    (folder / "Dockerfile").write_text(f"FROM {BUSYBOX}\nCOPY hello.txt /hello.txt\n")
    trust_workspace(configured)
    try:
        assert cli("build", "--tag", tag, "--path", str(configured)) == 0
        out = capsys.readouterr().out
        assert f"built {tag}" in out and f'set image = "{tag}"' in out
        got = docker_client.containers.run(tag, ["cat", "/hello.txt"], remove=True, network_mode="none")
        assert got == b"built by workbench\n"
    finally:
        try:
            docker_client.images.remove(tag, force=True)
        except docker.errors.ImageNotFound:
            pass


def _busybox_binary(docker_client, tmp_path: Path) -> bytes:
    host = Path("/bin/busybox")
    if host.is_file():
        return host.read_bytes()
    # No busybox on this host: take the static binary out of the test image (still real).
    container = docker_client.containers.create(BUSYBOX, ["true"])
    try:
        stream, _ = container.get_archive("/bin/busybox")
        with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as tar:
            member = tar.extractfile("busybox")
            assert member is not None
            return member.read()
    finally:
        container.remove(force=True)


def test_build_rootfs_from_a_tiny_tar(configured, docker_client, tmp_path, capsys):
    binary = _busybox_binary(docker_client, tmp_path)
    rootfs = tmp_path / "rootfs.tar"
    with tarfile.open(rootfs, "w") as tar:
        info = tarfile.TarInfo("bin/busybox")
        info.size, info.mode = len(binary), 0o755
        tar.addfile(info, io.BytesIO(binary))
        link = tarfile.TarInfo("bin/sh")
        link.type, link.linkname = tarfile.SYMTYPE, "busybox"
        tar.addfile(link)
    tag = f"workbench-test/cli-rootfs-{uuid.uuid4().hex[:8]}:latest"
    try:
        assert cli("build", "--rootfs", str(rootfs), "--tag", tag, "--path", str(configured)) == 0
        assert f"imported {rootfs} as {tag}" in capsys.readouterr().out
        got = docker_client.containers.run(tag, ["sh", "-c", "echo from-rootfs"], remove=True, network_mode="none")
        assert got == b"from-rootfs\n"
    finally:
        try:
            docker_client.images.remove(tag, force=True)
        except docker.errors.ImageNotFound:
            pass
    assert cli("build", "--rootfs", str(tmp_path / "missing.tar"), "--tag", tag, "--path", str(configured)) == 1
    assert "does not exist" in capsys.readouterr().err
