"""Service lifecycle on a real engine: recovery by label, setup, listing, stats, prune, errors, logs."""

from __future__ import annotations

import asyncio
import os
import shutil
import tarfile
from pathlib import Path

import pytest
from helpers.trust import trust_workspace

from workbench.core.sandbox.engine import engine_status
from workbench.core.sandbox.errors import ImageMissing, RuntimeMissing, SetupFailed
from workbench.core.sandbox.images import build_image, import_rootfs
from workbench.core.sandbox.logs import LogFollower, LogLine
from workbench.core.sandbox.service import SandboxService

from .conftest import BUSYBOX

pytestmark = pytest.mark.docker


async def test_recovery_attached_started_recreated(make_service, session_id, docker_client):
    service = make_service()
    first = await service.ensure(session_id)
    assert first.outcome == "created" and first.container.running
    assert (await service.ensure(session_id)).outcome == "attached"

    await service.stop(first.container.id, timeout=1)
    assert (await service.list_containers())[0].status == "exited"
    again = await service.ensure(session_id)
    assert again.outcome == "started" and again.container.id == first.container.id

    await service.remove(first.container.id)
    recreated = await service.ensure(session_id)
    assert recreated.outcome == "recreated" and recreated.container.id != first.container.id

    # A fresh process (new service) resuming a session that had a container: found by label.
    fresh = make_service()
    assert (await fresh.ensure(session_id, had_container=True)).outcome == "attached"
    docker_client.containers.get(recreated.container.id).remove(force=True)
    assert (await fresh.ensure(session_id, had_container=True)).outcome == "recreated"


async def test_setup_runs_once_per_new_container(make_service, session_id, workspace):
    service = make_service(setup=["echo ran >> /workspace/setup.log"])
    info = await service.ensure(session_id)
    assert [r.exit_code for r in info.setup] == [0]
    await service.ensure(session_id)
    await service.stop(info.container.id, timeout=1)
    await service.ensure(session_id)  # started, not new: no setup
    assert (workspace / "setup.log").read_text() == "ran\n"
    await service.remove(info.container.id)
    await service.ensure(session_id)
    assert (workspace / "setup.log").read_text() == "ran\nran\n"


async def test_failing_setup_raises(make_service, session_id):
    service = make_service(setup=["echo broken >&2; exit 4"])
    with pytest.raises(SetupFailed, match="exited with 4"):
        await service.ensure(session_id)


async def test_list_stats_and_prune(service, workspace):
    a = await service.ensure("sess-a")
    b = await service.ensure("sess-b")
    infos = await service.list_containers()
    assert {i.session for i in infos} == {"sess-a", "sess-b"}
    assert all(i.image == BUSYBOX and i.started_at is not None for i in infos)
    stats = await service.stats(a.container.id)
    assert stats.memory_limit_bytes == 64 * 1024 * 1024
    assert 0 < stats.memory_bytes < stats.memory_limit_bytes
    assert stats.cpu_percent >= 0 and stats.pids >= 1
    stale = await service.stale_containers({"sess-a"})
    assert [c.session for c in stale] == ["sess-b"]
    removed = await service.prune({"sess-b"})
    assert [c.id for c in removed] == [b.container.id]
    assert [c.session for c in await service.list_containers()] == ["sess-a"]


async def test_missing_image_names_the_build_commands(make_service, session_id):
    service = make_service(image="workbench-test/does-not-exist:1")
    with pytest.raises(ImageMissing) as err:
        await service.ensure(session_id)
    assert "workbench sandbox build" in str(err.value)
    assert "workbench sandbox build --rootfs DIR_OR_TAR --tag NAME" in str(err.value)


async def test_missing_runtime_fails_closed(make_service, session_id, docker_client):
    service = make_service(runtime="runsc-not-installed")
    with pytest.raises(RuntimeMissing, match="Not falling back"):
        await service.ensure(session_id)
    assert await service.list_containers() == []


async def test_engine_status_available_and_unreachable(docker_client, monkeypatch):
    status = await engine_status(lambda: docker_client)
    assert status.available and status.version and "runc" in status.runtimes
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    down = await engine_status()
    assert not down.available
    assert "unix:///nonexistent/docker.sock" in down.reason
    assert "start the Docker engine" in down.fix


async def test_follow_logs_batches_streams_and_file(service, docker_client, workspace):
    container = docker_client.containers.create(
        BUSYBOX,
        ["sh", "-c", "seq 1 5000; echo oops >&2; printf tail-no-newline"],
        labels={"workbench.workspace": str(workspace.resolve()), "workbench.session": "logs"},
        network_mode="none",
    )
    info = (await service.list_containers())[0]
    batches: list[list[LogLine]] = []
    follower = await service.follow(info, batches.append)  # attached before start: every line
    container.start()
    assert await asyncio.to_thread(follower.join, 30)
    lines = [line for batch in batches for line in batch]
    assert [l.text for l in lines if l.stream == "stdout"][:5000] == [str(i) for i in range(1, 5001)]
    assert LogLine("stderr", "oops") in lines
    assert [l for l in lines if l.stream == "stdout"][-1] == LogLine("stdout", "tail-no-newline")
    assert follower.error is None and len(batches) < 5000  # batched, not line by line
    log = service.log_path(info).read_bytes()
    assert b"1\n2\n3\n" in log and b"4999\n5000\n" in log and b"oops\n" in log  # stream order may vary
    assert b"tail-no-newline" in log

    # Following an exited container replays its log.
    again: list[LogLine] = []
    f2 = await service.follow(info, again.extend)
    assert await asyncio.to_thread(f2.join, 30)
    assert len(again) == len(lines)


async def test_follow_running_container_and_stop(service, docker_client, workspace):
    container = docker_client.containers.run(
        BUSYBOX,
        ["sh", "-c", "echo first; while :; do sleep 0.2; echo tick; done"],
        detach=True,
        labels={"workbench.workspace": str(workspace.resolve()), "workbench.session": "live"},
        network_mode="none",
    )
    await asyncio.sleep(0.5)
    got: list[LogLine] = []
    follower = LogFollower(docker_client.api, container.id, got.extend)
    await asyncio.to_thread(follower.start)
    for _ in range(50):
        if sum(l.text == "tick" for l in got) >= 3:
            break
        await asyncio.sleep(0.1)
    assert got[0] == LogLine("stdout", "first")  # history replayed, then live
    assert sum(l.text == "tick" for l in got) >= 3
    await asyncio.to_thread(follower.stop)
    assert follower.join(0)
    follower.feed("stdout", b"from exec\n")
    assert got[-1] == LogLine("stdout", "from exec")


async def test_import_rootfs_and_build_image(docker_client, workspace, tmp_path):
    root = tmp_path / "rootfs"
    (root / "bin").mkdir(parents=True)
    shutil.copy2("/bin/busybox", root / "bin" / "busybox")
    for applet in ("sh", "echo", "cat"):
        os.symlink("busybox", root / "bin" / applet)
    tag = "workbench-test/imported:pytest"
    try:
        image_id = await asyncio.to_thread(import_rootfs, docker_client, root, tag)
        assert image_id.startswith("sha256:")
        out = docker_client.containers.run(tag, ["sh", "-c", "echo imported"], remove=True, network_mode="none")
        assert out == b"imported\n"
        tar_path = tmp_path / "rootfs.tar"
        with tarfile.open(tar_path, "w") as tar:
            tar.add(root, arcname=".")
        assert await asyncio.to_thread(import_rootfs, docker_client, tar_path, tag + "2")

        dockerfile = workspace / ".workbench" / "sandbox" / "Dockerfile"
        dockerfile.parent.mkdir(parents=True)
        dockerfile.write_text(f"FROM {tag}\nRUN echo built > /built.txt\n")
        trust_workspace(workspace)
        built_tag = "workbench-test/built:pytest"
        lines: list[str] = []
        await asyncio.to_thread(build_image, docker_client, workspace, built_tag, lines.append)
        out = docker_client.containers.run(built_tag, ["cat", "/built.txt"], remove=True, network_mode="none")
        assert out == b"built\n" and lines
    finally:
        for t in (tag, tag + "2", "workbench-test/built:pytest"):
            try:
                docker_client.images.remove(t, force=True)
            except Exception:  # noqa: BLE001 - not created
                pass


def test_service_is_import_cheap():
    import subprocess
    import sys

    code = (
        "import sys; import workbench.core.sandbox.service, workbench.core.sandbox.policy; "
        "print(sorted(m for m in ('docker', 'textual', 'rich') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_service_without_engine_raises_engine_unavailable(tmp_path: Path, monkeypatch):
    from workbench.core.sandbox.errors import EngineUnavailable
    from workbench.core.sandbox.policy import SandboxSettings

    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    service = SandboxService(SandboxSettings(), tmp_path)
    with pytest.raises(EngineUnavailable) as err:
        asyncio.run(service.run_command("s", "true"))
    assert "start the Docker engine" in err.value.fix
