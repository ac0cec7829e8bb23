"""The agent loop end to end: scripted model over HTTP, real tools on real files, real event log."""

from __future__ import annotations

import asyncio

from helpers.trust import trust_workspace

from workbench.core.agent.approvals import ApprovalDecision
from workbench.core.events import EventKind
from workbench.scripted.server import Fault, Reply, ToolCallSpec

from .conftest import args, tool_messages


async def test_multi_step_read_then_edit_in_auto_edit(make_rig, server, workspace):
    server.enqueue(
        Reply(text="Let me look.", tool_calls=[ToolCallSpec("read_file", args(path="src/app.py"), id="c1")]),
        Reply(
            tool_calls=[ToolCallSpec("edit_file", args(path="src/app.py", old_text="return 41", new_text="return 42"), id="c2")]
        ),
        Reply(text="Fixed: the answer is now 42."),
    )
    rig = await make_rig("auto-edit")
    out = await rig.chat.send("fix the answer")
    assert out.status == "done" and out.steps == 3 and out.tool_calls == 2
    assert (workspace / "src" / "app.py").read_text() == "def answer():\n    return 42\n"
    # every step is an event, in order, before the next happens
    assert await rig.tool_events("c1") == [
        EventKind.TOOL_CALL_REQUESTED,
        EventKind.TOOL_CALL_APPROVED,
        EventKind.TOOL_CALL_STARTED,
        EventKind.TOOL_CALL_FINISHED,
    ]
    assert await rig.tool_events("c2") == [
        EventKind.TOOL_CALL_REQUESTED,
        EventKind.TOOL_CALL_APPROVED,
        EventKind.TOOL_CALL_STARTED,
        EventKind.TOOL_CALL_FINISHED,
    ]
    finished = [e for e in await rig.events() if e.kind == EventKind.TOOL_CALL_FINISHED]
    assert finished[1].payload["changed_paths"] == ["src/app.py"] and "+    return 42" in finished[1].payload["diff"]
    # what the model received back
    second, third = server.requests[1]["body"], server.requests[2]["body"]
    assert "return 41" in tool_messages(second)["c1"]
    assert tool_messages(third)["c2"].startswith("edited src/app.py") or "src/app.py" in tool_messages(third)["c2"]
    assert {t["function"]["name"] for t in second["tools"]} >= {
        "read_file",
        "edit_file",
        "write_file",
        "grep",
        "glob",
        "list_dir",
        "delete_file",
        "move_file",
    }
    assert "run_command" in {t["function"]["name"] for t in second["tools"]}
    await rig.services.aclose()


async def test_ask_mode_denial_reason_goes_back_to_the_model(make_rig, server, workspace):
    server.enqueue(
        Reply(tool_calls=[ToolCallSpec("write_file", args(path="notes.txt", content="hi"), id="w1")]),
        Reply(text="Understood, I will not write it."),
    )
    rig = await make_rig("ask", [ApprovalDecision("deny", "use docs/ instead")])
    out = await rig.chat.send("write notes")
    assert out.status == "done"
    assert not (workspace / "notes.txt").exists()
    assert len(rig.asked) == 1 and rig.asked[0].diff and "+hi" in rig.asked[0].diff
    assert tool_messages(server.requests[1]["body"])["w1"] == "Denied by the user: use docs/ instead"
    assert await rig.tool_events("w1") == [
        EventKind.TOOL_CALL_REQUESTED,
        EventKind.APPROVAL_REQUESTED,
        EventKind.TOOL_CALL_DENIED,
    ]
    await rig.services.aclose()


async def test_always_allow_adds_a_session_rule(make_rig, server, workspace):
    server.enqueue(
        Reply(tool_calls=[ToolCallSpec("write_file", args(path="a.txt", content="1"), id="a1")]),
        Reply(tool_calls=[ToolCallSpec("write_file", args(path="a.txt", content="2"), id="a2")]),
        Reply(text="done"),
    )
    rig = await make_rig("ask", [ApprovalDecision("always")])
    await rig.chat.send("write twice")
    assert (workspace / "a.txt").read_text() == "2"
    assert len(rig.asked) == 1, "the second identical call ran under the session rule"
    approved = [e for e in await rig.events() if e.kind == EventKind.TOOL_CALL_APPROVED]
    assert approved[0].payload["by"] == "user-always" and approved[0].payload["rule"] == "write_file:a.txt"
    assert approved[1].payload["by"] == "rule"
    await rig.services.aclose()


async def test_edit_before_apply(make_rig, server, workspace):
    server.enqueue(
        Reply(tool_calls=[ToolCallSpec("write_file", args(path="b.txt", content="model text"), id="b1")]), Reply(text="ok")
    )
    rig = await make_rig("ask", [ApprovalDecision("approve", edited_content="user text\n")])
    await rig.chat.send("write b")
    assert (workspace / "b.txt").read_text() == "user text\n"
    approved = [e for e in await rig.events() if e.kind == EventKind.TOOL_CALL_APPROVED][0]
    assert approved.payload["edited"] is True
    await rig.services.aclose()


async def test_invalid_arguments_and_unknown_tool_are_error_results(make_rig, server):
    server.enqueue(
        Reply(
            tool_calls=[
                ToolCallSpec("read_file", '{"path": 3}', id="bad"),
                ToolCallSpec("read_file", '{"path": "x.txt"', id="broken"),
                ToolCallSpec("launch_rockets", "{}", id="nope"),
            ]
        ),
        Reply(text="sorry"),
    )
    rig = await make_rig("full-auto")
    out = await rig.chat.send("go")
    assert out.status == "done"
    got = tool_messages(server.requests[1]["body"])
    assert "path" in got["bad"] and got["bad"].lower().startswith("error")
    assert "JSON" in got["broken"] or "json" in got["broken"]
    assert "unknown tool 'launch_rockets'" in got["nope"]
    for cid in ("bad", "broken", "nope"):
        assert await rig.tool_events(cid) == [EventKind.TOOL_CALL_REQUESTED, EventKind.TOOL_CALL_FINISHED]
    await rig.services.aclose()


async def test_edit_file_match_count_error_reaches_the_model(make_rig, server, workspace):
    (workspace / "dup.txt").write_text("x = 1\nx = 1\n")
    server.enqueue(
        Reply(tool_calls=[ToolCallSpec("edit_file", args(path="dup.txt", old_text="x = 1", new_text="x = 2"), id="e1")]),
        Reply(text="ok"),
    )
    rig = await make_rig("auto-edit")
    await rig.chat.send("edit")
    msg = tool_messages(server.requests[1]["body"])["e1"]
    assert "2" in msg and "match" in msg
    assert (workspace / "dup.txt").read_text() == "x = 1\nx = 1\n"
    await rig.services.aclose()


async def test_path_guard_through_the_agent(make_rig, server, workspace, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("keep")
    (workspace / "link").symlink_to(outside)
    calls = [
        ToolCallSpec("write_file", args(path="/etc/evil", content="x"), id="abs"),
        ToolCallSpec("write_file", args(path="../outside/secret.txt", content="x"), id="dots"),
        ToolCallSpec("write_file", args(path="link/secret.txt", content="x"), id="sym"),
        ToolCallSpec("read_file", args(path="a\u0000b"), id="nul"),
        ToolCallSpec("write_file", args(path="", content="x"), id="empty"),
    ]
    server.enqueue(Reply(tool_calls=calls), Reply(text="ok"))
    rig = await make_rig("full-auto")
    await rig.chat.send("try escapes")
    got = tool_messages(server.requests[1]["body"])
    for cid in ("abs", "dots", "sym", "nul", "empty"):
        assert got[cid].lower().startswith("error"), (cid, got[cid])
    assert (outside / "secret.txt").read_text() == "keep"
    assert sorted(p.name for p in outside.iterdir()) == ["secret.txt"]
    await rig.services.aclose()


async def test_protected_path_asks_even_in_full_auto(make_rig, server, workspace):
    server.enqueue(
        Reply(tool_calls=[ToolCallSpec("write_file", args(path="agents.md", content="new rules"), id="p1")]), Reply(text="ok")
    )
    rig = await make_rig("full-auto", [ApprovalDecision("deny")])
    await rig.chat.send("change instructions")
    assert len(rig.asked) == 1 and rig.asked[0].protected and rig.asked[0].rule is None
    assert not (workspace / "agents.md").exists()
    await rig.services.aclose()


async def test_read_only_mode_denies_writes_without_asking(make_rig, server, workspace):
    server.enqueue(Reply(tool_calls=[ToolCallSpec("delete_file", args(path="README.md"), id="d1")]), Reply(text="ok"))
    rig = await make_rig("read-only")
    await rig.chat.send("delete readme")
    assert (workspace / "README.md").exists() and not rig.asked
    assert "read-only" in tool_messages(server.requests[1]["body"])["d1"]
    await rig.services.aclose()


async def test_deny_rule_wins_over_allow(make_rig, server, workspace):
    from workbench.core.tools.permissions import PermissionRules

    server.enqueue(
        Reply(tool_calls=[ToolCallSpec("write_file", args(path="keys/server.pem", content="x"), id="k1")]), Reply(text="ok")
    )
    rig = await make_rig("full-auto")
    rig.chat.permissions.rules = PermissionRules.parse(allow=["write_file:**"], deny=["write_file:**/*.pem"])
    await rig.chat.send("write key")
    assert not (workspace / "keys" / "server.pem").exists()
    assert "denied by rule" in tool_messages(server.requests[1]["body"])["k1"]
    await rig.services.aclose()


async def test_tool_calls_from_a_length_cut_reply_never_run(make_rig, server, workspace):
    server.enqueue(
        Reply(tool_calls=[ToolCallSpec("write_file", args(path="c.txt", content="x"), id="l1")], finish_reason="length")
    )
    rig = await make_rig("full-auto")
    out = await rig.chat.send("go")
    assert out.status == "error" and "length" in out.error
    assert not (workspace / "c.txt").exists()
    kinds = await rig.kinds()
    assert EventKind.TOOL_CALLS_SKIPPED in kinds and EventKind.TOOL_CALL_STARTED not in kinds
    # the next turn's transcript does not contain the skipped call
    server.enqueue(Reply(text="fine"))
    await rig.chat.send("next")
    body = server.requests[-1]["body"]
    assert all("tool_calls" not in m for m in body["messages"] if m["role"] == "assistant")
    await rig.services.aclose()


async def test_tool_calls_from_a_cut_stream_never_run(make_rig, server, workspace):
    server.enqueue(
        Fault(
            cut_after_chunks=6,
            reply=Reply(tool_calls=[ToolCallSpec("write_file", args(path="d.txt", content="xyz" * 50), id="x1")]),
        )
    )
    rig = await make_rig("full-auto")
    out = await rig.chat.send("go")
    assert out.status == "error"
    assert not (workspace / "d.txt").exists()
    assert EventKind.TOOL_CALL_STARTED not in await rig.kinds()
    await rig.services.aclose()


async def test_max_steps_limit(make_rig, server):
    for i in range(5):
        server.enqueue(Reply(tool_calls=[ToolCallSpec("list_dir", args(path="."), id=f"s{i}")]))
    rig = await make_rig("auto-edit", max_steps=3)
    out = await rig.chat.send("loop")
    assert out.status == "error" and "max_steps" in out.error and out.steps == 3
    assert len(server.requests) == 3
    await rig.services.aclose()


async def test_cancel_during_a_running_tool_is_recorded(make_rig, server, workspace):
    from workbench.core.tools.base import Tool, ToolResult, ToolSpec

    class Slow(Tool):
        spec = ToolSpec("slow", "sleeps", {"type": "object", "properties": {}}, False, "read")

        async def run(self, args, ctx, *, override=None):
            await asyncio.sleep(30)
            return ToolResult("never", "never")

        async def preview(self, args, ctx):  # pragma: no cover - read tool
            raise NotImplementedError

    server.enqueue(Reply(tool_calls=[ToolCallSpec("slow", "{}", id="z1")]))
    rig = await make_rig("full-auto")
    rig.chat.registry.add(Slow())
    sub = rig.services.bus.subscribe()
    task = asyncio.create_task(rig.chat.send("slow please"))

    async def tool_started() -> None:  # wait for the event, not for a time (CI runs on loaded cores)
        async for event in sub:
            if getattr(event, "kind", None) == EventKind.TOOL_CALL_STARTED:
                return

    await asyncio.wait_for(tool_started(), 120)
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        pass
    events = await rig.events()
    finished = [e for e in events if e.kind == EventKind.TOOL_CALL_FINISHED]
    assert finished and finished[0].payload["outcome"] == "cancelled"
    assert events[-1].kind == EventKind.TURN_FINISHED and events[-1].payload["status"] == "cancelled"
    await rig.services.aclose()


async def test_tool_timeout(make_rig, server):
    from workbench.core.tools.base import Tool, ToolResult, ToolSpec

    class Hang(Tool):
        spec = ToolSpec("hang", "hangs", {"type": "object", "properties": {}}, False, "read")

        async def run(self, args, ctx, *, override=None):
            await asyncio.sleep(30)
            return ToolResult("never", "never")

        async def preview(self, args, ctx):  # pragma: no cover
            raise NotImplementedError

    server.enqueue(Reply(tool_calls=[ToolCallSpec("hang", "{}", id="h1")]), Reply(text="moving on"))
    rig = await make_rig("full-auto", tool_timeout=0.3)
    rig.chat.registry.add(Hang())
    out = await rig.chat.send("hang")
    assert out.status == "done"
    assert "timed out after 0.3 s" in tool_messages(server.requests[1]["body"])["h1"]
    await rig.services.aclose()


async def test_project_instructions_and_layout_in_system_prompt(make_rig, server, workspace):
    (workspace / "AGENTS.md").write_text("Always write tests first.\n")
    (workspace / "CLAUDE.md").write_text("Prefer small commits.\n")
    trust_workspace(workspace)
    server.enqueue(Reply(text="ok"))
    rig = await make_rig("ask")
    await rig.chat.send("hi")
    system = server.requests[0]["body"]["messages"][0]
    assert system["role"] == "system"
    assert "Always write tests first." in system["content"] and "Prefer small commits." in system["content"]
    assert "src/" in system["content"] and "README.md" in system["content"]
    await rig.services.aclose()


async def test_compaction_replaces_old_turns_with_a_summary(make_rig, server):
    rig = await make_rig("ask", keep_recent_turns=1)
    for i in range(3):
        server.enqueue(Reply(text=f"answer {i}"))
        await rig.chat.send(f"question {i}")
    server.enqueue(Reply(text="SUMMARY: asked three questions"))
    summary = await rig.chat.compact()
    assert summary == "SUMMARY: asked three questions"
    server.enqueue(Reply(text="next"))
    await rig.chat.send("question 3")
    msgs = server.requests[-1]["body"]["messages"]
    texts = [m["content"] for m in msgs[1:]]
    assert "SUMMARY: asked three questions" in texts[0]
    assert "question 0" not in " ".join(t or "" for t in texts)
    assert texts[-1] == "question 3" and "question 2" in texts
    assert EventKind.CONTEXT_COMPACTED in await rig.kinds()
    await rig.services.aclose()


async def test_compaction_keeps_the_current_plan(make_rig, server):
    """The update_plan calls are summarised away; the plan itself must reach the model afterwards."""
    rig = await make_rig("ask", keep_recent_turns=1)
    items = [
        {"text": "read the parser", "status": "done"},
        {"text": "fix the range bug", "status": "in_progress"},
        {"text": "add a test", "status": "pending"},
    ]
    server.enqueue(Reply(tool_calls=[ToolCallSpec("update_plan", args(items=items), id="p1")]), Reply(text="planned"))
    await rig.chat.send("make a plan")
    for i in range(2):
        server.enqueue(Reply(text=f"answer {i}"))
        await rig.chat.send(f"question {i}")
    server.enqueue(Reply(text="SUMMARY: planned, then two questions"))
    summary = await rig.chat.compact()
    assert summary is not None and "[~] fix the range bug" in summary and "[x] read the parser" in summary
    server.enqueue(Reply(text="next"))
    await rig.chat.send("go on")
    sent = server.requests[-1]["body"]["messages"]
    assert not any(m.get("tool_calls") for m in sent), "the update_plan call itself was compacted away"
    first = sent[1]["content"]
    assert "SUMMARY: planned" in first and "[ ] add a test" in first and "[~] fix the range bug" in first
    await rig.services.aclose()


async def test_auto_compaction_near_the_context_window(make_rig, server):
    rig = await make_rig("ask", keep_recent_turns=1, compact_at=0.5)
    rig.chat.models["scripted-agent"] = __import__("workbench.core.config", fromlist=["ModelInfo"]).ModelInfo(
        context_window=2000, input_price=1.0, output_price=2.0
    )
    for i in range(3):
        server.enqueue(Reply(text="x" * 1500))
        await rig.chat.send(f"q{i}")
    server.enqueue(Reply(text="short summary"), Reply(text="after"))
    await rig.chat.send("q3")
    kinds = await rig.kinds()
    assert EventKind.CONTEXT_COMPACTED in kinds
    assert rig.chat.session_cost is not None and rig.chat.session_cost > 0
    await rig.services.aclose()


async def test_outcome_unknown_after_a_crash_is_never_rerun(make_rig, server, workspace):
    """A started call with no result (the process died) is answered "outcome unknown", not re-run."""
    from workbench.core.events import Event

    rig = await make_rig("full-auto")
    sid = (await rig.chat.ensure_session()).id
    await rig.chat.emit(
        Event(EventKind.USER_MESSAGE, sid, {"turn_id": "t0", "text": "make e.txt"}),
        Event(
            EventKind.ASSISTANT_MESSAGE,
            sid,
            {
                "turn_id": "t0",
                "step": 1,
                "text": "",
                "tool_calls": [{"id": "u1", "name": "write_file", "arguments": args(path="e.txt", content="x")}],
                "finish_reason": "tool_calls",
                "interrupted": False,
                "usage": None,
                "model": "m",
                "request_id": None,
            },
        ),
        Event(
            EventKind.TOOL_CALL_REQUESTED,
            sid,
            {"turn_id": "t0", "step": 1, "call_id": "u1", "name": "write_file", "arguments": args(path="e.txt", content="x")},
        ),
        Event(EventKind.TOOL_CALL_STARTED, sid, {"call_id": "u1", "name": "write_file"}),
    )
    await rig.chat.close()
    await rig.chat.open(sid)
    server.enqueue(Reply(text="I see the outcome is unknown."))
    await rig.chat.send("what happened?")
    assert not (workspace / "e.txt").exists()
    got = tool_messages(server.requests[-1]["body"])
    assert got["u1"].startswith("outcome unknown")
    from workbench.core.agent.context import unfinished_calls

    assert [c["call_id"] for c in unfinished_calls(await rig.events())] == ["u1"]
    await rig.services.aclose()
