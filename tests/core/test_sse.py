"""The event-stream decoder and the chunk reader used for streamed chat completions."""

from __future__ import annotations

import pytest

from workbench.core.llm.sse import ServerSentEvent, ServerStreamError, chunk_items, sse_events
from workbench.core.llm.stream import Finish, ReasoningDelta, TextDelta, ToolCallDelta, Usage


async def _lines(*lines: str):
    for line in lines:
        yield line


async def _events(*lines: str) -> list[ServerSentEvent]:
    return [e async for e in sse_events(_lines(*lines))]


async def test_events_follow_the_whatwg_rules():
    events = await _events(
        ": keep-alive comment",
        'data: {"a": 1}',
        "",
        "event: error",
        "data:first",
        "data: second",
        "id: 7",
        "retry: 100",
        "",
        "",  # a blank line with no data dispatches nothing
        "data: [DONE]",  # no final blank line: still delivered
    )
    assert events == [
        ServerSentEvent("message", '{"a": 1}'),
        ServerSentEvent("error", "first\nsecond"),
        ServerSentEvent("message", "[DONE]"),
    ]


async def test_only_one_leading_space_is_removed():
    assert await _events("data:  two spaces", "") == [ServerSentEvent("message", " two spaces")]


def test_chunk_items_text_reasoning_tools_finish_and_usage():
    items, finished = chunk_items(
        {
            "choices": [
                {
                    "index": 0,
                    "delta": {
                        "reasoning_content": "think",
                        "content": "Hello",
                        "tool_calls": [{"index": 1, "id": "call_1", "function": {"name": "read_file", "arguments": '{"pa'}}],
                    },
                    "finish_reason": "tool_calls",
                }
            ],
            "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
        }
    )
    assert finished
    assert items == [
        Usage(3, 2, 5),
        ReasoningDelta("think"),
        TextDelta("Hello"),
        ToolCallDelta(1, "call_1", "read_file", '{"pa'),
        Finish("tool_calls"),
    ]


def test_chunk_items_ollama_reasoning_and_empty_pieces():
    items, finished = chunk_items(
        {"choices": [{"delta": {"reasoning": "hm", "content": None, "tool_calls": None}, "finish_reason": None}], "usage": None}
    )
    assert items == [ReasoningDelta("hm")] and not finished
    assert chunk_items({"choices": []}) == ([], False)


def test_error_object_mid_stream_is_raised():
    with pytest.raises(ServerStreamError) as info:
        chunk_items({"error": {"message": "overloaded", "code": "server_busy"}})
    assert info.value.message == "overloaded" and info.value.code == "server_busy"


def test_non_object_chunk_is_malformed():
    with pytest.raises(ValueError):
        chunk_items([1, 2])
