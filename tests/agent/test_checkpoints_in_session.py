"""Checkpoints taken by the agent loop, rewind of files / conversation / both, undo, refusal."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

import pytest

from workbench.core.checkpoints.service import RewindRefused
from workbench.core.events import EventKind
from workbench.scripted.server import Reply, ToolCallSpec

from .conftest import args


def tree_hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.parts and "journal" not in p.parts  # the journal is regenerated, not checkpointed
    }


async def checkpoints(rig):
    return [e.payload for e in await rig.events() if e.kind == EventKind.CHECKPOINT_CREATED]


async def test_turn_with_changes_is_bracketed_by_checkpoints(make_rig, server, workspace):
    server.enqueue(
        Reply(tool_calls=[ToolCallSpec("write_file", args(path="new.txt", content="one\n"), id="w1")]),
        Reply(text="done"),
    )
    rig = await make_rig("auto-edit")
    await rig.chat.send("add new.txt")
    cps = await checkpoints(rig)
    assert [c["label"] for c in cps] == ["before: add new.txt", "after turn"]
    assert cps[1]["files_changed"] == [["A", "new.txt"]] and cps[1]["diffstat"][0] == 1
    kinds = await rig.kinds()
    assert kinds.index(EventKind.CHECKPOINT_CREATED) < kinds.index(EventKind.TOOL_CALL_REQUESTED)
    # a turn without tools takes no checkpoint
    server.enqueue(Reply(text="just talk"))
    await rig.chat.send("hello")
    assert len(await checkpoints(rig)) == 2
    await rig.services.aclose()


async def test_rewind_files_is_byte_identical_and_undoable(make_rig, server, workspace):
    (workspace / "bin.dat").write_bytes(bytes(range(256)) * 10)
    before = tree_hashes(workspace)
    server.enqueue(
        Reply(
            tool_calls=[
                ToolCallSpec("edit_file", args(path="src/app.py", old_text="41", new_text="42"), id="e1"),
                ToolCallSpec("delete_file", args(path="README.md"), id="d1"),
                ToolCallSpec("write_file", args(path="added.txt", content="x"), id="a1"),
            ]
        ),
        Reply(text="changed"),
    )
    rig = await make_rig("full-auto")
    await rig.chat.send("change things")
    after = tree_hashes(workspace)
    assert after != before
    first = (await checkpoints(rig))[0]
    result = await rig.services.checkpoints.rewind(first["checkpoint"], "files")
    assert tree_hashes(workspace) == before
    assert "added.txt" in result.deleted and "README.md" in result.written
    # undo the rewind: restore the checkpoint taken just before it
    await rig.services.checkpoints.rewind(result.before, "files")
    assert tree_hashes(workspace) == after
    restored = [e for e in await rig.events() if e.kind == EventKind.CHECKPOINT_RESTORED]
    assert [r.payload["scope"] for r in restored] == ["files", "files"]
    await rig.services.aclose()


async def test_rewind_conversation_forks_the_session(make_rig, server, workspace):
    server.enqueue(Reply(text="first answer"))
    rig = await make_rig("auto-edit")
    await rig.chat.send("first question")
    server.enqueue(
        Reply(tool_calls=[ToolCallSpec("write_file", args(path="f.txt", content="1"), id="w")]), Reply(text="second answer")
    )
    await rig.chat.send("second question")
    old_sid = rig.chat.session.id
    cp = (await checkpoints(rig))[0]
    result = await rig.services.checkpoints.rewind(cp["checkpoint"], "conversation")
    assert result.prompt == "second question"
    assert result.new_session and rig.chat.session.id == result.new_session
    assert (workspace / "f.txt").exists(), "a conversation-only rewind leaves files alone"
    new_info = await rig.services.store.session(result.new_session)
    assert new_info.parent_id == old_sid
    # the forked conversation ends before the checkpoint's turn
    server.enqueue(Reply(text="fresh"))
    await rig.chat.send("second question, edited")
    texts = [m.get("content") for m in server.requests[-1]["body"]["messages"][1:]]
    assert texts == ["first question", "first answer", "second question, edited"]
    # the old branch is intact and can be reopened
    old_events = await rig.services.store.events(old_sid, kinds=[EventKind.USER_MESSAGE])
    assert [e.payload["text"] for e in old_events] == ["first question", "second question"]
    await rig.services.aclose()


async def test_rewind_both(make_rig, server, workspace):
    server.enqueue(Reply(tool_calls=[ToolCallSpec("write_file", args(path="g.txt", content="1"), id="w")]), Reply(text="ok"))
    rig = await make_rig("auto-edit")
    await rig.chat.send("make g")
    cp = (await checkpoints(rig))[0]
    result = await rig.services.checkpoints.rewind(cp["checkpoint"], "both")
    assert not (workspace / "g.txt").exists() and result.new_session and result.prompt == "make g"
    await rig.services.aclose()


async def test_rewind_is_refused_while_the_agent_runs(make_rig, server, workspace):
    server.enqueue(Reply(tool_calls=[ToolCallSpec("write_file", args(path="h.txt", content="1"), id="w")]), Reply(text="ok"))
    rig = await make_rig("auto-edit")
    await rig.chat.send("make h")
    cp = (await checkpoints(rig))[0]
    server.enqueue(Reply(text="slow " * 400, tokens_per_second=50))
    task = asyncio.create_task(rig.chat.send("talk slowly"))
    await asyncio.sleep(0.3)
    with pytest.raises(RewindRefused, match="agent is running"):
        await rig.services.checkpoints.rewind(cp["checkpoint"], "files")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await rig.services.aclose()
