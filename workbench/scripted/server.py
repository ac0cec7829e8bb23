"""A scripted OpenAI-compatible HTTP server for tests, benchmarks and the demo.

It speaks the Chat Completions wire format over real HTTP/1.1 (JSON, or server-sent events
``data: {...}`` ending with ``data: [DONE]``), so the real `openai.AsyncOpenAI` SDK can talk to
it. Each ``POST /v1/chat/completions`` pops the next script item (a `Reply`, or a `Fault` that
injects an HTTP error, a stall, a cut connection or a malformed chunk); when the script is empty
the `default` reply is used, or an echo ("You said: ..."). ``GET /v1/models`` lists the model.

The server runs on its own event loop in a daemon thread, so a busy client loop cannot slow the
stream down::

    with ScriptedServer([Reply(text="hi"), Fault(status=429, retry_after=1)]) as server:
        client = openai.AsyncOpenAI(base_url=server.base_url, api_key="any", max_retries=0)

Command line (prints the base URL on its first stdout line, serves until SIGTERM/SIGINT)::

    python -m workbench.scripted.server [--script FILE.json] [--port N] [--demo]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import itertools
import json
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from typing import Any

from workbench.scripted.demo_content import demo_reply, last_user_text, markdown_reply_corpus
from workbench.scripted.http11 import (
    MAX_HEAD_BYTES,
    BadRequest,
    ChunkedBody,
    HttpRequest,
    read_request,
    response_head,
    write_json,
)
from workbench.scripted.script import Fault, Reply, ScriptError, ToolCallSpec, load_script
from workbench.scripted.wire import completion_object, error_body, sse, stream_chunks

__all__ = [
    "Fault",
    "Reply",
    "ScriptError",
    "ScriptedServer",
    "ToolCallSpec",
    "demo_reply",
    "load_script",
    "main",
    "markdown_reply_corpus",
]

DefaultReply = Reply | Callable[[dict], Reply] | None


class ScriptedServer:
    """An OpenAI-compatible chat completions server that answers from a script.

    Usable as ``with ScriptedServer(...) as s`` and ``async with ScriptedServer(...) as s``;
    `start` and `stop` may also be called directly (both are idempotent).
    """

    def __init__(
        self,
        script: Iterable[Reply | Fault] = (),
        *,
        default: DefaultReply = None,
        model: str = "scripted-demo",
        host: str = "127.0.0.1",
        port: int = 0,
        models: Iterable[str] | None = None,
    ) -> None:
        """Create a stopped server.

        Args:
            script: Items answered in order, one per chat completions request.
            default: Reply used when the script is empty: a `Reply`, or a function given the
                parsed request body; None echoes the last user message.
            model: Model name listed by ``/v1/models`` and put in every response.
            host: Interface to bind.
            port: TCP port; 0 picks a free one (see `base_url` after `start`).
            models: Model ids listed by ``GET /v1/models`` (default: just ``model``; may be empty).
        """
        self.model = model
        """Model id reported in responses."""
        self.models = [model] if models is None else list(models)
        """Model ids listed by ``GET /v1/models``."""
        self.host = host
        self.port = port
        """Bound port (the real one once started)."""
        self.default = default
        self.requests: list[dict] = []
        """Every received request: ``{"method", "path", "headers", "body", "request_id"}``;
        ``headers`` has lower-case names, ``body`` is the parsed JSON (None when empty, the raw
        text when not JSON)."""
        self._script: collections.deque[Reply | Fault] = collections.deque(script)
        self._lock = threading.Lock()
        self._request_ids = itertools.count(1)
        self._call_ids = itertools.count(1)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.AbstractServer | None = None
        self._connections: set[asyncio.Task] = set()

    @property
    def base_url(self) -> str:
        """``http://<host>:<port>/v1``, the value for ``AsyncOpenAI(base_url=...)``."""
        return f"http://{self.host}:{self.port}/v1"

    @property
    def remaining(self) -> int:
        """Number of script items not yet used."""
        with self._lock:
            return len(self._script)

    def enqueue(self, *items: Reply | Fault) -> None:
        """Append items to the script (thread-safe; may be called while serving)."""
        with self._lock:
            self._script.extend(items)

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> ScriptedServer:
        """Bind the port and serve in a background thread; returns once accepting connections.

        Returns:
            The server itself (for chaining).

        Raises:
            OSError: When the port cannot be bound (e.g. already in use).
        """
        if self._thread is not None:
            return self
        ready = threading.Event()
        failure: list[BaseException] = []
        self._thread = threading.Thread(target=self._run, args=(ready, failure), name="scripted-server", daemon=True)
        self._thread.start()
        ready.wait()
        if failure:
            self._thread.join()
            self._thread = None
            raise failure[0]
        return self

    def stop(self) -> None:
        """Close the port, drop open connections (in-flight streams are cut) and join the thread."""
        thread, loop = self._thread, self._loop
        if thread is None or loop is None:
            return
        if loop.is_running():
            try:
                asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(timeout=5)
            finally:
                loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)
        self._thread = self._loop = None

    def __enter__(self) -> ScriptedServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def __aenter__(self) -> ScriptedServer:
        return await asyncio.to_thread(self.start)

    async def __aexit__(self, *exc: object) -> None:
        await asyncio.to_thread(self.stop)

    def _run(self, ready: threading.Event, failure: list[BaseException]) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            self._server = loop.run_until_complete(asyncio.start_server(self._handle, self.host, self.port, limit=MAX_HEAD_BYTES))
        except BaseException as err:  # noqa: BLE001 - handed to the caller of start()
            failure.append(err)
            loop.close()
            ready.set()
            return
        self.port = self._server.sockets[0].getsockname()[1]
        ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        tasks = list(self._connections)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # -- connections -----------------------------------------------------------------------

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._connections.add(task)
        try:
            while True:
                try:
                    request = await read_request(reader)
                except BadRequest as err:
                    await write_json(writer, 400, error_body(400, f"Bad HTTP request: {err}"), {"connection": "close"})
                    break
                if request is None:
                    break
                keep = await self._dispatch(request, writer)
                if not (keep and request.keep_alive):
                    break
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        except Exception:  # noqa: BLE001 - a server bug must show up in the test output, not vanish
            print("scripted server: internal error; connection closed", file=sys.stderr)
            traceback.print_exc()
        finally:
            self._connections.discard(task)
            writer.close()

    async def _dispatch(self, request: HttpRequest, writer: asyncio.StreamWriter) -> bool:
        """Answer one request; returns False when the connection must be closed."""
        rid = f"req_{next(self._request_ids)}"
        headers = {"x-request-id": rid}
        body: Any = None
        if request.body:
            try:
                body = json.loads(request.body)
            except ValueError:
                body = request.body.decode("utf-8", "replace")
        path = request.path.rstrip("/")
        self.requests.append(
            {"method": request.method, "path": path, "headers": dict(request.headers), "body": body, "request_id": rid}
        )
        if request.method == "POST" and path in ("/v1/chat/completions", "/chat/completions"):
            if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
                await write_json(writer, 400, error_body(400, "The body must be a JSON object with 'messages'."), headers)
                return True
            return await self._chat(body, writer, headers)
        if request.method == "GET" and path in ("/v1/models", "/models"):
            await write_json(writer, 200, {"object": "list", "data": [self._model_object(m) for m in self.models]}, headers)
            return True
        if request.method == "GET" and path.startswith(("/v1/models/", "/models/")):
            if path.rsplit("/", 1)[1] in (self.model, *self.models):
                await write_json(writer, 200, self._model_object(path.rsplit("/", 1)[1]), headers)
            else:
                await write_json(writer, 404, error_body(404), headers)
            return True
        message = f"Unknown endpoint {request.method} {path}; this scripted server serves /v1/chat/completions."
        await write_json(writer, 404, error_body(404, message), headers)
        return True

    def _model_object(self, name: str) -> dict:
        return {"id": name, "object": "model", "created": 0, "owned_by": "workbench-scripted"}

    def _next_item(self) -> Reply | Fault | None:
        with self._lock:
            return self._script.popleft() if self._script else None

    def _default_reply(self, body: dict) -> Reply:
        if isinstance(self.default, Reply):
            return self.default
        if callable(self.default):
            return self.default(body)
        return Reply(text=f"You said: {last_user_text(body)}")

    # -- chat completions ------------------------------------------------------------------

    async def _chat(self, body: dict, writer: asyncio.StreamWriter, headers: dict[str, str]) -> bool:
        item = self._next_item()
        fault = item if isinstance(item, Fault) else Fault()
        if fault.status is not None:
            if fault.stall_seconds:
                await asyncio.sleep(fault.stall_seconds)
            if fault.retry_after is not None:
                ra = fault.retry_after
                headers["retry-after"] = str(int(ra)) if float(ra).is_integer() else str(ra)
            await write_json(writer, fault.status, error_body(fault.status, fault.message), headers)
            return True
        try:
            reply = item if isinstance(item, Reply) else fault.reply or self._default_reply(body)
        except Exception as err:  # noqa: BLE001 - a broken default function becomes a 500 the test can see
            await write_json(writer, 500, error_body(500, f"scripted default reply failed: {err!r}"), headers)
            return True
        ids = [tc.id or f"call_{next(self._call_ids)}" for tc in reply.tool_calls]
        meta = {"id": f"chatcmpl-{headers['x-request-id']}", "created": int(time.time()), "model": self.model}
        if fault.stall_seconds and fault.after_chunks is None:
            await asyncio.sleep(fault.stall_seconds)
        if body.get("stream") is True:
            return await self._stream(reply, fault, body, writer, headers, ids, meta)
        data = json.dumps(completion_object(reply, ids=ids, meta=meta, body=body)).encode()
        if fault.malformed_after_chunks is not None:
            data = b"{not json"
        head = {"content-type": "application/json", "content-length": str(len(data)), **headers}
        if fault.cut_after_chunks is not None:
            writer.write(response_head(200, head) + data[: len(data) // 2])
            await writer.drain()
            return False
        writer.write(response_head(200, head) + data)
        await writer.drain()
        return True

    async def _stream(
        self,
        reply: Reply,
        fault: Fault,
        body: dict,
        writer: asyncio.StreamWriter,
        headers: dict[str, str],
        ids: list[str],
        meta: dict,
    ) -> bool:
        head = {
            "content-type": "text/event-stream; charset=utf-8",
            "cache-control": "no-cache",
            "transfer-encoding": "chunked",
            **headers,
        }
        writer.write(response_head(200, head))
        await writer.drain()
        out = ChunkedBody(writer)
        options = body.get("stream_options")
        include_usage = isinstance(options, dict) and options.get("include_usage") is True
        chunks = stream_chunks(
            reply, ids=ids, meta=meta, include_usage=include_usage, body=body, seed=int(headers["x-request-id"][4:])
        )
        loop = asyncio.get_running_loop()
        chars_per_second = reply.tokens_per_second * 4 if reply.tokens_per_second else None
        started, chars, sent = loop.time(), 0, 0
        for chunk, size in itertools.chain(chunks, [(None, 0)]):
            if fault.stall_seconds and fault.after_chunks == sent:
                await writer.drain()
                await asyncio.sleep(fault.stall_seconds)
            if fault.cut_after_chunks == sent:
                await writer.drain()
                writer.transport.abort()
                return False
            if fault.malformed_after_chunks == sent:
                out.write(sse("{not json"))
                await out.end()
                return True
            if chunk is None:
                break
            if writer.transport.is_closing():  # the client went away (e.g. the user cancelled)
                return False
            chars += size
            if chars_per_second:
                delay = started + chars / chars_per_second - loop.time()
                if delay > 0:
                    await writer.drain()
                    await asyncio.sleep(delay)
            out.write(sse(chunk))
            sent += 1
            if sent % 64 == 0:
                await writer.drain()
                await asyncio.sleep(0)
        out.write(sse("[DONE]"))
        await out.end()
        return True


def main(argv: list[str] | None = None) -> int:
    """Command line: serve a script (and/or the demo reply) until SIGTERM or SIGINT.

    Prints the base URL (``http://127.0.0.1:<port>/v1``) as the first stdout line.

    Args:
        argv: Arguments (default ``sys.argv[1:]``).

    Returns:
        Exit code: 0 after a signal, 2 for a bad script file or an unusable port.
    """
    parser = argparse.ArgumentParser(prog="python -m workbench.scripted.server", description=__doc__.split("\n")[0])
    parser.add_argument("--script", help='JSON script file: a list of reply or {"fault": ...} objects')
    parser.add_argument("--port", type=int, default=0, help="TCP port (default: a free one)")
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    parser.add_argument("--model", default="scripted-demo", help="model name to report")
    parser.add_argument("--demo", action="store_true", help="answer with the Markdown demo reply when the script is empty")
    args = parser.parse_args(argv)
    try:
        script = load_script(args.script) if args.script else []
    except ScriptError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    server = ScriptedServer(script, default=demo_reply if args.demo else None, model=args.model, host=args.host, port=args.port)
    try:
        server.start()
    except OSError as err:
        print(f"error: cannot listen on {args.host}:{args.port}: {err.strerror or err}", file=sys.stderr)
        return 2
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    print(server.base_url, flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
