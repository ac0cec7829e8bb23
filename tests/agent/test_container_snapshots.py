"""Optional container snapshots: with ``sandbox.snapshot_on_checkpoint`` a checkpoint also commits the
sandbox container, and a files rewind brings back what was installed inside it (real engine)."""

from __future__ import annotations

import json

import pytest
from helpers.trust import trust_workspace

from workbench.core.events import EventKind
from workbench.scripted.server import Reply, ToolCallSpec

from .test_run_command import BUSYBOX, docker_ws  # noqa: F401  (fixture)

pytestmark = pytest.mark.docker


def cmd(command: str, cid: str) -> Reply:
    return Reply(tool_calls=[ToolCallSpec("run_command", json.dumps({"command": command}), id=cid)])


async def test_rewind_restores_the_container_filesystem(make_rig, server, docker_ws):  # noqa: F811
    config = docker_ws / ".workbench" / "config.toml"
    # With the default read-only root only /workspace (checkpointed anyway) and a tmpfs /tmp are
    # writable; a container snapshot matters when the root is writable (e.g. to install packages).
    config.write_text(config.read_text() + "snapshot_on_checkpoint = true\nread_only = false\ntmpfs = {}\n")
    trust_workspace(docker_ws)
    server.enqueue(cmd("echo first > /tmp/state.txt", "a"), Reply(text="one"))
    rig = await make_rig("full-auto")
    await rig.chat.send("first")
    server.enqueue(cmd("echo second > /tmp/state.txt", "b"), Reply(text="two"))
    await rig.chat.send("second")
    cps = [e.payload for e in await rig.events() if e.kind == EventKind.CHECKPOINT_CREATED]
    before_second = [c for c in cps if c["label"] == "before: second"][0]
    assert before_second["container_image"], "the checkpoint committed the container"
    await rig.services.checkpoints.rewind(before_second["checkpoint"], "files")
    server.enqueue(cmd("cat /tmp/state.txt", "c"), Reply(text="read"))
    await rig.chat.send("read it")
    got = {m["tool_call_id"]: m["content"] for m in server.requests[-1]["body"]["messages"] if m["role"] == "tool"}
    assert "first" in got["c"] and "second" not in got["c"]
    restored = [e for e in await rig.events() if e.kind == EventKind.SANDBOX_CONTAINER and e.payload.get("outcome") == "restored"]
    assert restored
    import docker

    client = docker.from_env()
    for image in client.images.list(name=f"workbench-snapshot/{rig.chat.session.id}"):
        for tag in image.tags:
            client.images.remove(tag, force=True)
    await rig.services.aclose()


async def test_checkpoint_captures_edits_made_by_a_command_in_the_container(make_rig, server, docker_ws):  # noqa: F811
    import os

    (docker_ws / "keep.txt").write_text("original\n")
    if os.geteuid() == 0:
        os.chown(docker_ws / "keep.txt", 1000, 1000)  # the sandbox runs as the workspace owner
    server.enqueue(
        cmd("echo changed > /workspace/keep.txt && echo new > /workspace/made-in-container.txt", "k"), Reply(text="done")
    )
    rig = await make_rig("full-auto")
    await rig.chat.send("change files from the shell")
    assert (docker_ws / "made-in-container.txt").read_text() == "new\n"
    cps = [e.payload for e in await rig.events() if e.kind == EventKind.CHECKPOINT_CREATED]
    after = [c for c in cps if c["label"] == "after turn"][0]
    assert sorted(path for _, path in after["files_changed"]) == ["keep.txt", "made-in-container.txt"]
    before = [c for c in cps if c["label"].startswith("before:")][0]
    await rig.services.checkpoints.rewind(before["checkpoint"], "files")
    assert (docker_ws / "keep.txt").read_text() == "original\n"
    assert not (docker_ws / "made-in-container.txt").exists()
    await rig.services.aclose()
