"""The chat service against the scripted OpenAI-compatible server, through the real ``openai``
SDK over HTTP and a real event log: streamed replies, reasoning, every API fault as a one-line
``turn.error`` (the session stays usable, the key never leaks), and cancellation."""

from __future__ import annotations

import asyncio
import json

import pytest

from workbench.core.agent.context import cut_off
from workbench.core.chat.service import TurnInProgress
from workbench.core.events import EventKind
from workbench.core.store import EventStore
from workbench.scripted.server import Fault, Reply, ScriptedServer

from .conftest import CANARY, closed_port

pytestmark = pytest.mark.timeout(30)

LONG = "".join(f"Paragraph {i}: the quick brown fox jumps over the lazy dog. " for i in range(40))


def kinds(events) -> list[str]:
    return [e.kind for e in events]


def assert_no_key(events, *texts: str) -> None:
    blob = "\n".join(e.to_json() for e in events) + "\n".join(texts)
    assert CANARY not in blob
    assert CANARY[:16] not in blob  # not even a prefix of it


async def test_streamed_reply_is_stored_and_published(server: ScriptedServer, rig_factory, log_path) -> None:
    usage = {"prompt_tokens": 31, "completion_tokens": 17, "total_tokens": 48}
    server.enqueue(Reply(text=LONG, chunk_chars=3, tokens_per_second=800, usage=usage))  # ~0.75 s
    rig = await rig_factory(server.base_url, batch_ms=20)
    sub = rig.bus.subscribe()
    reader = EventStore(log_path)  # a second connection: what the bus shows must already be committed
    published = []
    uncommitted = []

    async def watch() -> None:
        async for event in sub:
            if event.seq not in {e.seq for e in reader.events(event.session_id)}:
                uncommitted.append(event)
            published.append(event)

    watcher = asyncio.create_task(watch())
    try:
        outcome = await rig.chat.send("Tell me a story")
        for _ in range(200):  # let the watcher drain its queue
            if sub.queue.empty() and published and published[-1].kind == EventKind.TURN_FINISHED:
                break
            await asyncio.sleep(0.01)
    finally:
        watcher.cancel()
        reader.close()
    assert uncommitted == [], "published before it was committed"
    assert outcome.status == "done" and outcome.text == LONG and outcome.usage == usage

    events = await rig.events()
    assert kinds(events)[:3] == [EventKind.SESSION_CREATED, EventKind.SESSION_OPENED, EventKind.USER_MESSAGE]
    assert kinds(events)[-2:] == [EventKind.ASSISTANT_MESSAGE, EventKind.TURN_FINISHED]
    deltas = [e for e in events if e.kind == EventKind.ASSISTANT_DELTA]
    assert len(deltas) >= 2, "a paced stream is written in several batches"
    assert len(deltas) < len(LONG) // 3 / 3, "deltas are batched, not one event per chunk"
    assert "".join(d.payload["text"] for d in deltas) == LONG
    turn_id = events[2].payload["turn_id"]
    assert events[2].payload == {"turn_id": turn_id, "text": "Tell me a story"}
    msg = events[-2].payload
    assert msg == {
        "turn_id": turn_id,
        "step": 1,
        "text": LONG,
        "reasoning": "",
        "tool_calls": [],
        "finish_reason": "stop",
        "interrupted": False,
        "usage": usage,
        "cost": None,
        "model": "scripted-demo",
        "request_id": server.requests[-1]["request_id"],
    }
    assert events[-1].payload == {"turn_id": turn_id, "status": "done", "steps": 1, "cost": None}
    # Everything after session.created (written by the store itself) went out on the bus, in order.
    assert [e.seq for e in published] == [e.seq for e in events[1:]]
    assert rig.chat.session_usage == usage

    info = await rig.store.session(rig.session_id)
    assert info.title == "Tell me a story" and info.message_count == 2
    assert (info.prompt_tokens, info.completion_tokens) == (31, 17)
    body = server.requests[-1]["body"]
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert server.requests[-1]["headers"]["authorization"] == f"Bearer {CANARY}"
    assert_no_key(events)


async def test_reasoning_is_stored_separately(server: ScriptedServer, rig_factory) -> None:
    server.enqueue(Reply(text="The answer is 42.", reasoning="Let me think about it step by step.", chunk_chars=5))
    rig = await rig_factory(server.base_url)
    outcome = await rig.chat.send("question")
    assert outcome.status == "done"
    events = await rig.events()
    deltas = [e for e in events if e.kind == EventKind.ASSISTANT_DELTA]
    assert "".join(d.payload["reasoning"] for d in deltas) == "Let me think about it step by step."
    assert "".join(d.payload["text"] for d in deltas) == "The answer is 42."
    msg = next(e for e in events if e.kind == EventKind.ASSISTANT_MESSAGE).payload
    assert msg["reasoning"] == "Let me think about it step by step." and msg["text"] == "The answer is 42."


# (id, fault, expected error_kind, substrings of the message, partial text expected, request id expected)
FAULTS = [
    ("401", Fault(status=401, message=f"Incorrect API key provided: {CANARY}."), "auth", ["401", "API key"], False, True),
    ("403", Fault(status=403), "forbidden", ["403 Forbidden", "scripted-demo"], False, True),
    ("404", Fault(status=404), "not_found", ["404", "llm.model", "llm.base_url"], False, True),
    ("429", Fault(status=429, retry_after=7), "rate_limit", ["429", "Retry after 7 s"], False, True),
    ("500", Fault(status=500), "server", ["500", "Server error"], False, True),
    ("503", Fault(status=503, message="overloaded"), "server", ["503", "overloaded"], False, True),
    ("timeout", Fault(stall_seconds=3), "timeout", ["Timed out", "llm.timeout"], False, False),
    (
        "stream-cut",
        Fault(cut_after_chunks=8, reply=Reply(text=LONG, chunk_chars=4)),
        "stream_cut",
        ["broke mid-reply", "What arrived is kept"],
        True,
        True,
    ),
    (
        "malformed",
        Fault(malformed_after_chunks=6, reply=Reply(text=LONG, chunk_chars=4)),
        "malformed",
        ["Malformed", "What arrived is kept"],
        True,
        True,
    ),
]


@pytest.mark.parametrize("case", FAULTS, ids=[c[0] for c in FAULTS])
async def test_api_fault_gives_one_line_error_and_session_stays_usable(case, server: ScriptedServer, rig_factory) -> None:
    _, fault, kind, needles, partial, with_request_id = case
    server.enqueue(fault)
    rig = await rig_factory(server.base_url, timeout=0.6)
    outcome = await rig.chat.send("first prompt")
    assert outcome.status == "error"
    events = await rig.events()
    [error] = [e for e in events if e.kind == EventKind.TURN_ERROR]
    message = error.payload["message"]
    assert outcome.error == message
    assert "\n" not in message and len(message) < 400
    assert error.payload["error_kind"] == kind, message
    for needle in needles:
        assert needle in message, f"{needle!r} not in {message!r}"
    if with_request_id:
        rid = server.requests[0]["request_id"]
        assert error.payload["request_id"] == rid and f"(request id {rid})" in message
    assert kinds(events)[-1] == EventKind.TURN_FINISHED and events[-1].payload["status"] == "error"
    replies = [e for e in events if e.kind == EventKind.ASSISTANT_MESSAGE]
    if partial:
        [reply] = replies
        assert reply.payload["interrupted"] is True
        assert reply.payload["text"] and LONG.startswith(reply.payload["text"]) and reply.payload["text"] != LONG
        assert outcome.text == reply.payload["text"]
    else:
        assert replies == []

    # The same session takes the next prompt.
    second = await rig.chat.send("second prompt")
    assert second.status == "done" and second.text == "You said: second prompt"
    assert (await rig.events())[-1].payload["status"] == "done"
    info = await rig.store.session(rig.session_id)
    assert info.message_count == (4 if partial else 3)
    assert_no_key(await rig.events(), message, second.text)


async def test_refused_connection(rig_factory) -> None:
    base_url = f"http://127.0.0.1:{closed_port()}/v1"
    rig = await rig_factory(base_url)
    outcome = await rig.chat.send("anyone there?")
    assert outcome.status == "error"
    [error] = [e for e in await rig.events() if e.kind == EventKind.TURN_ERROR]
    assert error.payload["error_kind"] == "connection"
    assert "Cannot connect to" in outcome.error and base_url in outcome.error and "llm.base_url" in outcome.error
    assert "\n" not in outcome.error and error.payload["request_id"] is None
    assert_no_key(await rig.events())
    # Once the server is there, the same session works.
    async with ScriptedServer() as srv:
        rig.llm.base_url = srv.base_url
        await rig.llm.close()  # the SDK client is rebuilt with the new URL
        again = await rig.chat.send("now?")
    assert again.status == "done" and again.text == "You said: now?"


async def test_timeout_mid_stream_keeps_partial_text(server: ScriptedServer, rig_factory) -> None:
    server.enqueue(Fault(stall_seconds=3, after_chunks=5, reply=Reply(text=LONG, chunk_chars=4)))
    rig = await rig_factory(server.base_url, timeout=0.5)
    outcome = await rig.chat.send("slow")
    assert outcome.status == "error"
    assert outcome.text and LONG.startswith(outcome.text)
    events = await rig.events()
    reply = next(e for e in events if e.kind == EventKind.ASSISTANT_MESSAGE)
    assert reply.payload["interrupted"] is True and reply.payload["text"] == outcome.text
    assert "\n" not in outcome.error and "Timed out" in outcome.error and "llm.timeout" in outcome.error
    error = next(e for e in events if e.kind == EventKind.TURN_ERROR)
    assert error.payload["error_kind"] == "timeout"
    assert f"(request id {server.requests[0]['request_id']})" in outcome.error


async def test_cancel_mid_stream_keeps_partial_text(server: ScriptedServer, rig_factory) -> None:
    server.enqueue(Reply(text=LONG, chunk_chars=4, tokens_per_second=300))
    rig = await rig_factory(server.base_url, batch_ms=20)
    sub = rig.bus.subscribe(lambda e: e.kind == EventKind.ASSISTANT_DELTA)
    task = asyncio.create_task(rig.chat.send("write a lot"))
    await asyncio.wait_for(sub.get(), 10)
    with pytest.raises(TurnInProgress):
        await rig.chat.send("impatient")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not rig.chat.running
    events = await rig.events()
    assert kinds(events)[-3:] == [EventKind.ASSISTANT_MESSAGE, EventKind.TURN_CANCELLED, EventKind.TURN_FINISHED]
    reply = events[-3].payload
    deltas = "".join(e.payload["text"] for e in events if e.kind == EventKind.ASSISTANT_DELTA)
    assert reply["interrupted"] is True
    assert reply["text"] == deltas and reply["text"] and LONG.startswith(reply["text"]) and reply["text"] != LONG
    assert events[-1].payload["status"] == "cancelled"
    assert [e.payload["text"] for e in events if e.kind == EventKind.USER_MESSAGE] == ["write a lot"]

    after = await rig.chat.send("short one please")
    assert after.status == "done" and after.text == "You said: short one please"
    # The interrupted reply is part of the conversation sent next.
    sent = server.requests[-1]["body"]["messages"]
    assert {"role": "assistant", "content": cut_off(reply["text"])} in sent  # marked as cut off


async def test_resume_sends_the_history(server: ScriptedServer, rig_factory) -> None:
    rig = await rig_factory(server.base_url)
    await rig.chat.send("remember the number 7")
    sid = rig.session_id
    await rig.chat.close()
    assert (await rig.store.session(sid)).status == "closed"

    again = await rig_factory(server.base_url)
    info = await again.chat.open(sid[:6])
    assert info.id == sid and info.status == "open" and info.message_count == 2
    outcome = await again.chat.send("which number?")
    assert outcome.status == "done"
    sent = [(m["role"], m["content"]) for m in server.requests[-1]["body"]["messages"]]
    assert sent[1:] == [
        ("user", "remember the number 7"),
        ("assistant", "You said: remember the number 7"),
        ("user", "which number?"),
    ]
    assert (await again.store.session(sid)).message_count == 4
    assert json.dumps(sent).count(CANARY) == 0
