"""The scripted server through the real `openai.AsyncOpenAI` SDK over HTTP."""

from __future__ import annotations

import asyncio
import json
import time

import httpx2
import openai
import pytest

from workbench.scripted.server import Fault, Reply, ScriptedServer, ToolCallSpec

pytestmark = pytest.mark.timeout(30)

MESSAGES = [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hello there"}]


@pytest.fixture
def server():
    with ScriptedServer() as srv:
        yield srv


_clients: dict[tuple, openai.AsyncOpenAI] = {}


def client_for(srv: ScriptedServer, timeout: float = 5.0, max_retries: int = 0) -> openai.AsyncOpenAI:
    """A real SDK client (no retries by default), reused within a test (building one costs
    ~0.1 s: it loads the TLS trust store) and closed by the `close_clients` fixture."""
    key = (srv.base_url, timeout, max_retries)
    if key not in _clients:
        _clients[key] = openai.AsyncOpenAI(base_url=srv.base_url, api_key="sk-test", max_retries=max_retries, timeout=timeout)
    return _clients[key]


@pytest.fixture(autouse=True)
async def close_clients():
    yield
    while _clients:
        await _clients.popitem()[1].close()


async def collect(srv: ScriptedServer, **kwargs) -> list:
    client = client_for(srv, kwargs.pop("timeout", 5.0))
    stream = await client.chat.completions.create(model="any", messages=MESSAGES, stream=True, **kwargs)
    return [chunk async for chunk in stream]


async def test_streamed_text_joins_to_the_reply(server):
    text = "Streaming works: " + "lorem ipsum " * 20
    server.enqueue(Reply(text=text, chunk_chars=5))
    chunks = await collect(server)
    deltas = [c.choices[0].delta for c in chunks]
    assert deltas[0].role == "assistant"
    assert "".join(d.content or "" for d in deltas) == text
    assert all(len(d.content or "") <= 5 for d in deltas)
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert [c.choices[0].finish_reason for c in chunks[:-1]] == [None] * (len(chunks) - 1)
    assert {c.object for c in chunks} == {"chat.completion.chunk"}
    assert {c.model for c in chunks} == {"scripted-demo"}
    assert len({c.id for c in chunks}) == 1


async def test_reasoning_content_streams_before_the_text(server):
    server.enqueue(Reply(text="The answer is 4.", reasoning="2 plus 2 is 4, obviously."))
    chunks = await collect(server)
    kinds = []
    for chunk in chunks:
        delta = chunk.choices[0].delta
        reasoning = (delta.model_extra or {}).get("reasoning_content")
        if reasoning:
            kinds.append(("r", reasoning))
        if delta.content:
            kinds.append(("t", delta.content))
    assert "".join(v for k, v in kinds if k == "r") == "2 plus 2 is 4, obviously."
    assert "".join(v for k, v in kinds if k == "t") == "The answer is 4."
    first_text = next(i for i, (k, _) in enumerate(kinds) if k == "t")
    assert all(k == "r" for k, _ in kinds[:first_text])


async def test_tool_call_arguments_arrive_split_and_join_exactly(server):
    args1 = json.dumps({"path": "src/main.py", "start": 10, "end": 42, "note": "ünïcode ✓"})
    args2 = '{"command": "pytest -q"}'
    server.enqueue(
        Reply(text="Let me look.", tool_calls=[ToolCallSpec("read_file", args1), ToolCallSpec("run", args2, id="call_custom")])
    )
    chunks = await collect(server)
    calls: dict[int, dict] = {}
    pieces: dict[int, list[str]] = {}
    for chunk in chunks:
        for tc in chunk.choices[0].delta.tool_calls or []:
            entry = calls.setdefault(tc.index, {"id": None, "name": None})
            if tc.id:
                entry["id"] = tc.id
            if tc.function and tc.function.name:
                entry["name"] = tc.function.name
            if tc.function and tc.function.arguments:
                pieces.setdefault(tc.index, []).append(tc.function.arguments)
    assert calls[0]["name"] == "read_file" and calls[0]["id"] == "call_1"
    assert calls[1] == {"id": "call_custom", "name": "run"}
    assert "".join(pieces[0]) == args1 and "".join(pieces[1]) == args2
    assert len(pieces[0]) > 5 and all(3 <= len(p) <= 8 for p in pieces[0][:-1])
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


async def test_usage_chunk_when_include_usage(server):
    server.enqueue(
        Reply(text="x" * 40), Reply(text="y" * 40, usage={"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10})
    )
    chunks = await collect(server, stream_options={"include_usage": True})
    last = chunks[-1]
    assert last.choices == [] and last.usage is not None
    assert last.usage.completion_tokens == 10
    assert last.usage.prompt_tokens == 5  # "be brief" + "hello there" = 19 chars -> ceil(19/4)
    assert last.usage.total_tokens == 15
    assert all(c.usage is None for c in chunks[:-1])
    custom = await collect(server, stream_options={"include_usage": True})
    assert custom[-1].usage.total_tokens == 10
    plain = await collect(server)  # echo, no usage requested
    assert all(c.usage is None for c in plain) and all(c.choices for c in plain)


async def test_non_stream_completion(server):
    server.enqueue(
        Reply(text="Plain answer.", reasoning="why", finish_reason="length"),
        Reply(tool_calls=[ToolCallSpec("ls", '{"dir": "."}')]),
    )
    client = client_for(server)
    raw = await client.chat.completions.with_raw_response.create(model="any", messages=MESSAGES)
    completion = raw.parse()
    assert raw.headers["x-request-id"] == "req_1"
    assert completion.object == "chat.completion"
    choice = completion.choices[0]
    assert choice.message.content == "Plain answer." and choice.finish_reason == "length"
    assert choice.message.model_extra["reasoning_content"] == "why"
    assert completion.usage.completion_tokens == 5
    tools = await client.chat.completions.create(model="any", messages=MESSAGES)
    assert tools.choices[0].message.content is None
    assert tools.choices[0].message.tool_calls[0].function.arguments == '{"dir": "."}'
    assert tools.choices[0].finish_reason == "tool_calls"


async def test_script_is_fifo_then_default_then_echo():
    calls = []

    def default(body: dict) -> Reply:
        calls.append(body)
        return Reply(text=f"default #{len(calls)}")

    with ScriptedServer([Reply(text="first"), Reply(text="second")], default=default) as srv:
        client = client_for(srv)
        texts = [
            (await client.chat.completions.create(model="m", messages=MESSAGES)).choices[0].message.content for _ in range(4)
        ]
        assert texts == ["first", "second", "default #1", "default #2"]
        assert calls[0]["messages"] == MESSAGES
    with ScriptedServer(default=Reply(text="fixed")) as srv:
        reply = await client_for(srv).chat.completions.create(model="m", messages=MESSAGES)
        assert reply.choices[0].message.content == "fixed"
    with ScriptedServer() as srv:
        multi = [{"role": "user", "content": [{"type": "text", "text": "part one, "}, {"type": "text", "text": "two"}]}]
        reply = await client_for(srv).chat.completions.create(model="m", messages=multi)
        assert reply.choices[0].message.content == "You said: part one, two"


async def test_request_recording_and_request_ids(server):
    server.enqueue(Reply(text="a"))
    client = client_for(server)
    stream = await client.chat.completions.with_raw_response.create(
        model="gpt-x", messages=MESSAGES, stream=True, temperature=0.2
    )
    assert stream.headers["x-request-id"] == "req_1"
    _ = [c async for c in stream.parse()]  # legacy raw response: parse() is sync
    models = await client.models.list()
    assert [m.id for m in models.data] == ["scripted-demo"]
    assert len(server.requests) == 2
    first = server.requests[0]
    assert first["method"] == "POST" and first["path"] == "/v1/chat/completions"
    assert first["headers"]["authorization"] == "Bearer sk-test"
    assert first["body"]["model"] == "gpt-x" and first["body"]["temperature"] == 0.2
    assert first["body"]["stream"] is True and first["body"]["messages"] == MESSAGES
    assert first["request_id"] == "req_1"
    assert server.requests[1]["path"] == "/v1/models"


@pytest.mark.parametrize(
    ("status", "error_type"),
    [
        (401, openai.AuthenticationError),
        (403, openai.PermissionDeniedError),
        (404, openai.NotFoundError),
        (500, openai.InternalServerError),
        (503, openai.InternalServerError),
    ],
)
async def test_status_faults(server, status, error_type):
    server.enqueue(Fault(status=status, message=f"scripted {status}"))
    with pytest.raises(error_type) as info:
        await collect(server)
    err = info.value
    assert err.status_code == status
    assert err.request_id == "req_1"
    assert err.body == {"message": f"scripted {status}", "type": err.body["type"], "param": None, "code": err.body["code"]}
    assert f"scripted {status}" in str(err)
    # The session goes on: the next request is served normally.
    assert "".join(c.choices[0].delta.content or "" for c in await collect(server)) == "You said: hello there"


async def test_429_with_retry_after_and_default_message(server):
    server.enqueue(Fault(status=429, retry_after=3), Fault(status=429, retry_after=0.5))
    with pytest.raises(openai.RateLimitError) as info:
        await collect(server)
    assert info.value.response.headers["retry-after"] == "3"
    assert info.value.code == "rate_limit_exceeded"
    assert "Rate limit" in info.value.message
    with pytest.raises(openai.RateLimitError) as info:
        await collect(server)
    assert info.value.response.headers["retry-after"] == "0.5"


async def test_429_is_retried_by_the_sdk_when_retries_are_on(server):
    server.enqueue(Fault(status=429, retry_after=0.1), Reply(text="after retry"))
    client = client_for(server, max_retries=1)
    reply = await client.chat.completions.create(model="m", messages=MESSAGES)
    assert reply.choices[0].message.content == "after retry"
    assert [r["headers"]["x-stainless-retry-count"] for r in server.requests] == ["0", "1"]


async def test_stall_before_first_byte_times_out(server):
    server.enqueue(Fault(stall_seconds=3))
    started = time.perf_counter()
    with pytest.raises(openai.APITimeoutError):
        await collect(server, timeout=0.3)
    assert time.perf_counter() - started < 2


async def test_stall_after_chunks_times_out_mid_stream(server):
    server.enqueue(Fault(stall_seconds=3, after_chunks=3, reply=Reply(text="abcdefghijkl")))
    client = client_for(server, timeout=0.3)
    stream = await client.chat.completions.create(model="m", messages=MESSAGES, stream=True)
    got = []
    with pytest.raises(openai.APITimeoutError):
        async for chunk in stream:
            got.append(chunk.choices[0].delta.content)
    assert got == ["", "abcd", "efgh"]


async def test_short_stall_then_normal_reply(server):
    server.enqueue(Fault(stall_seconds=0.2, reply=Reply(text="late")))
    started = time.perf_counter()
    chunks = await collect(server)
    assert time.perf_counter() - started >= 0.19
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == "late"


async def test_cut_stream_raises_connection_error_after_the_chunks(server):
    # Recorded SDK behaviour (openai 3.52): the chunked body ends without its terminator, httpx2
    # raises RemoteProtocolError, and the SDK turns it into APIConnectionError mid-iteration.
    server.enqueue(Fault(cut_after_chunks=3, reply=Reply(text="abcdefghijklmnop")))
    client = client_for(server)
    stream = await client.chat.completions.create(model="m", messages=MESSAGES, stream=True)
    got = []
    with pytest.raises(openai.APIConnectionError) as info:
        async for chunk in stream:
            got.append(chunk.choices[0].delta.content)
    assert not isinstance(info.value, openai.APITimeoutError)
    assert isinstance(info.value.__cause__, httpx2.RemoteProtocolError)
    assert got == ["", "abcd", "efgh"]


async def test_cut_non_stream_raises_connection_error(server):
    server.enqueue(Fault(cut_after_chunks=0))
    with pytest.raises(openai.APIConnectionError):
        await client_for(server).chat.completions.create(model="m", messages=MESSAGES)


async def test_malformed_chunk_raises_json_decode_error(server):
    # Recorded SDK behaviour (openai 3.52): a `data: {not json` event makes the stream iterator
    # raise json.JSONDecodeError (not an openai.APIError).
    server.enqueue(Fault(malformed_after_chunks=2, reply=Reply(text="abcdefgh")))
    client = client_for(server)
    stream = await client.chat.completions.create(model="m", messages=MESSAGES, stream=True)
    got = []
    with pytest.raises(json.JSONDecodeError):
        async for chunk in stream:
            got.append(chunk.choices[0].delta.content)
    assert got == ["", "abcd"]


async def test_paced_stream_follows_tokens_per_second(server):
    # 500 tokens at 2,000 tokens/s = 0.25 s. 16-char chunks keep the SDK's own parsing cost
    # (about 0.5 ms per chunk in openai 3.52) out of the measurement.
    text = "x" * 2000
    server.enqueue(Reply(text=text, tokens_per_second=2000, chunk_chars=16))
    client = client_for(server)
    stream = await client.chat.completions.create(model="m", messages=MESSAGES, stream=True)
    pieces = [(await stream.__anext__()).choices[0].delta.content]
    started = time.perf_counter()
    pieces += [c.choices[0].delta.content async for c in stream]
    elapsed = time.perf_counter() - started
    assert "".join(p or "" for p in pieces) == text
    assert 0.22 <= elapsed < 0.6


async def test_stop_cuts_an_in_flight_stream_quickly():
    srv = ScriptedServer([Reply(text="y" * 4000, tokens_per_second=100)]).start()
    client = client_for(srv)
    stream = await client.chat.completions.create(model="m", messages=MESSAGES, stream=True)
    await stream.__anext__()
    started = time.perf_counter()
    srv.stop()
    assert time.perf_counter() - started < 1
    with pytest.raises(openai.APIConnectionError):
        async for _ in stream:
            pass
    srv.stop()  # idempotent


async def test_async_context_manager_and_unknown_endpoint():
    async with ScriptedServer() as srv:
        assert srv.base_url.startswith("http://127.0.0.1:") and srv.base_url.endswith("/v1")
        client = client_for(srv)
        with pytest.raises(openai.NotFoundError) as info:
            await client.embeddings.create(model="m", input="x")
        assert "Unknown endpoint POST /v1/embeddings" in info.value.message
        model = await client.models.retrieve("scripted-demo")
        assert model.id == "scripted-demo"


async def test_concurrent_streams_and_second_server_on_taken_port():
    async with ScriptedServer(default=Reply(text="z" * 400, tokens_per_second=4000)) as srv:
        results = await asyncio.gather(*(collect(srv) for _ in range(3)))
        assert all("".join(c.choices[0].delta.content or "" for c in r) == "z" * 400 for r in results)
        with pytest.raises(OSError):
            ScriptedServer(port=srv.port).start()


def test_start_is_fast():
    started = time.perf_counter()
    srv = ScriptedServer().start()
    elapsed = time.perf_counter() - started
    srv.stop()
    assert elapsed < 0.5


async def test_client_closing_mid_stream_leaves_the_server_healthy(server, caplog):
    server.enqueue(Reply(text="w" * 20000, chunk_chars=4))
    client = client_for(server)
    stream = await client.chat.completions.create(model="m", messages=MESSAGES, stream=True)
    await stream.__anext__()
    await stream.__anext__()
    await stream.close()  # what the app does when the user presses Esc
    reply = await client.chat.completions.create(model="m", messages=MESSAGES)
    assert reply.choices[0].message.content == "You said: hello there"
    assert [r for r in caplog.records if r.levelno >= 30] == []
