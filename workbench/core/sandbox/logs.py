"""Following a container's output: one reader thread per container, lines in batches, full log on disk.

Stream format: the Engine API multiplexes stdout/stderr of a non-TTY container into frames of an
8-byte header (stream id 1/2, 3 zero bytes, big-endian uint32 length) and the payload
(https://docs.docker.com/reference/api/engine/version/v1.43/#tag/Container/operation/ContainerAttach).

How output is read (measured with ``tests/bench/bench_sandbox.py --only logs``):

* a container that is created but not started, or running: ``attach`` (``logs=1`` replays what was
  already written, then the live stream follows). Frames follow the process's writes, so large
  reads of the hijacked socket parse few frames: several times faster than ``logs(follow=True)``,
  whose frames hold one line each. Attach before ``start()`` to get every line.
* an exited container: ``GET /logs`` (no follow).
* the private docker-py/urllib3 members this needs are used in ``engine_stream.py`` only.
* early end: if the stream ends while the container still runs (seen with ``logs(follow=True)``),
  reading resumes from ``logs(follow=True)`` skipping the lines already received.
"""

from __future__ import annotations

import os
import select
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple, overload

from workbench.core.sandbox.engine_stream import open_engine_stream

_HEADER = struct.Struct(">BxxxL")
_STREAMS = {0: "stdout", 1: "stdout", 2: "stderr"}
_READ_SIZE = 256 * 1024


class LogLine(NamedTuple):
    """One line of container output.

    A named tuple rather than a dataclass: a tuple of two strings is untracked by the cyclic
    garbage collector at its first collection, so hundreds of thousands of lines per second do
    not grow the old generation and trigger long full collections (measured: 6 full collections
    of up to 370 ms while the Containers pane took 200,000 lines with slotted dataclasses).

    Attributes:
        stream: ``"stdout"`` or ``"stderr"``.
        text: the line without its newline, decoded as UTF-8 (invalid bytes replaced).
    """

    stream: str
    text: str


class LogBatch(Sequence[LogLine]):
    """Lines delivered together, kept as runs of consecutive lines of one stream.

    A sequence of :class:`LogLine` (indexing and iteration build them on demand), stored without
    an object per line: a container printing 200,000 lines then allocates no garbage-collected
    object per line, so the reader thread no longer triggers most of the collector's runs (it
    triggered ~60% of them while the Containers pane took 200,000 lines, and every ~100th run is
    a full collection that pauses the UI for 40-110 ms). Consumers that only need the text use
    :meth:`texts`.

    Args:
        runs: initial runs as ``(stream, lines)`` pairs (the lists are taken over, not copied).
    """

    __slots__ = ("_len", "runs")

    def __init__(self, runs: list[tuple[str, list[str]]] | None = None) -> None:
        self.runs: list[tuple[str, list[str]]] = []
        """``(stream, lines)`` pairs in arrival order; neighbouring runs have different streams."""
        self._len = 0
        for stream, lines in runs or ():
            self.add(stream, lines)

    def add(self, stream: str, lines: list[str]) -> None:
        """Append ``lines`` (texts without newline) of ``stream``; the list is taken over."""
        if not lines:
            return
        runs = self.runs
        if runs and runs[-1][0] == stream:
            runs[-1][1].extend(lines)
        else:
            runs.append((stream, lines))
        self._len += len(lines)

    def drop_first(self, count: int) -> None:
        """Remove the first ``count`` lines (all of them if there are fewer)."""
        runs = self.runs
        while count > 0 and runs:
            _stream, lines = runs[0]
            if len(lines) <= count:
                runs.pop(0)
                count -= len(lines)
                self._len -= len(lines)
            else:
                del lines[:count]
                self._len -= count
                count = 0

    def texts(self, stderr_prefix: str = "") -> list[str]:
        """Return a new list of the lines' texts, stderr lines prefixed with ``stderr_prefix``."""
        out: list[str] = []
        for stream, lines in self.runs:
            if stream == "stderr" and stderr_prefix:
                out.extend([stderr_prefix + line for line in lines])
            else:
                out.extend(lines)
        return out

    def __len__(self) -> int:
        return self._len

    def __iter__(self) -> Iterator[LogLine]:
        for stream, lines in self.runs:
            for line in lines:
                yield LogLine(stream, line)

    @overload
    def __getitem__(self, index: int) -> LogLine: ...

    @overload
    def __getitem__(self, index: slice) -> list[LogLine]: ...

    def __getitem__(self, index: int | slice) -> LogLine | list[LogLine]:
        if isinstance(index, slice):
            return list(self)[index]
        if index < 0:
            index += self._len
        if not 0 <= index < self._len:
            raise IndexError("LogBatch index out of range")
        for stream, lines in self.runs:
            if index < len(lines):
                return LogLine(stream, lines[index])
            index -= len(lines)
        raise IndexError("LogBatch index out of range")  # pragma: no cover

    def __repr__(self) -> str:
        return f"LogBatch({self.runs!r})"


BatchCallback = Callable[[LogBatch], None]
"""Receives a batch of lines, from the reader thread (post it to the event loop yourself)."""


class FrameParser:
    """Turn multiplexed stream bytes (any chunking) into complete lines per stream."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self._carry: dict[str, bytes] = {"stdout": b"", "stderr": b""}

    def feed(self, data: bytes, out: LogBatch, raw: list[bytes]) -> None:
        """Parse ``data``; append complete lines to ``out`` and frame payloads to ``raw``."""
        buf = self._buf
        buf += data
        pos, end = 0, len(buf)
        unpack = _HEADER.unpack_from
        while end - pos >= 8:
            sid, size = unpack(buf, pos)
            if end - pos - 8 < size:
                break
            payload = bytes(buf[pos + 8 : pos + 8 + size])
            pos += 8 + size
            raw.append(payload)
            self.add(_STREAMS.get(sid, "stdout"), payload, out)
        del buf[:pos]

    def add(self, stream: str, payload: bytes, out: LogBatch) -> None:
        """Split ``payload`` of ``stream`` into lines, keeping a partial last line for later.

        The complete lines are decoded at once (a newline byte never occurs inside a UTF-8
        sequence, so this equals decoding line by line; invalid bytes become U+FFFD).
        """
        carry = self._carry[stream]
        data = carry + payload if carry else payload
        cut = data.rfind(b"\n")
        if cut < 0:
            self._carry[stream] = data
            return
        self._carry[stream] = data[cut + 1 :]
        out.add(stream, data[:cut].decode("utf-8", "replace").split("\n"))

    def flush(self, out: LogBatch) -> None:
        """Emit the partial lines kept back (at the end of the stream)."""
        for stream, rest in self._carry.items():
            if rest:
                out.add(stream, [rest.decode("utf-8", "replace")])
        self._carry = {"stdout": b"", "stderr": b""}


class LogFollower:
    """Follow one container's output on a reader thread, batching lines to ``on_batch``.

    Lines are delivered at most every ``batch_interval`` seconds or ``batch_lines`` lines, and as
    soon as the stream goes idle. Every byte is also appended to ``log_file``. Output of ``exec``
    commands (which is not in the container's log) can be added with :meth:`feed`.

    Args:
        api: a ``docker.APIClient`` (``client.api``).
        container_id: the container to follow.
        on_batch: called with each :class:`LogBatch`, from the reader thread (or the :meth:`feed`
            caller).
        log_file: file the full output is appended to (e.g.
            ``workspace_data_dir(ws) / "logs" / f"{name}.log"``); ``None`` for none.
        batch_interval: maximum delay of a line, in seconds.
        batch_lines: batch size that triggers delivery at once.
    """

    def __init__(
        self,
        api: Any,
        container_id: str,
        on_batch: BatchCallback,
        log_file: Path | None = None,
        batch_interval: float = 0.05,
        batch_lines: int = 500,
    ) -> None:
        self.api = api
        self.container_id = container_id
        self.on_batch = on_batch
        self.log_file = log_file
        self.batch_interval = batch_interval
        self.batch_lines = batch_lines
        self.lines_received = 0
        """Lines delivered so far (from the container's own output)."""
        self.resumed = 0
        """How many times an early end of the stream was detected and reading resumed."""
        self.error: BaseException | None = None
        """The exception that ended the reader thread, if any."""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._response: Any = None
        self._fp: Any = None
        self._file: Any = None
        self._lock = threading.Lock()
        self._feed_parser = FrameParser()

    # -- public -------------------------------------------------------------------------------
    def start(self) -> None:
        """Open the stream (blocking, short) and start the reader thread.

        For a created container, the attach is in place when this returns, so start the container
        afterwards to receive every line.

        Raises:
            docker.errors.NotFound: the container does not exist.
        """
        if self.log_file is not None:
            from workbench.core.paths import private_dir

            private_dir(self.log_file.parent)  # data-dir files 0600, folders 0700
            fd = os.open(self.log_file, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
            self._file = os.fdopen(fd, "ab")
        state = self.api.inspect_container(self.container_id)["State"]["Status"]
        if state in ("created", "running", "restarting", "paused"):
            self._open_attach(logs=state != "created")
            target = self._run_attach
        else:
            target = self._run_logs
        self._thread = threading.Thread(target=target, name=f"logs-{self.container_id[:12]}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        """Stop following (unblocks the reader, waits for it up to ``timeout`` seconds)."""
        self._stop.set()
        self._shutdown_stream()
        if self._thread is not None:
            self._thread.join(timeout)

    def join(self, timeout: float | None = None) -> bool:
        """Wait until the stream ended (the container exited); return ``True`` if it did."""
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def feed(self, stream: str, data: bytes) -> None:
        """Add output produced elsewhere (an ``exec``), e.g. as ``run_command``'s ``on_output``.

        Args:
            stream: ``"stdout"`` or ``"stderr"``.
            data: raw bytes (partial lines are kept until completed).
        """
        out = LogBatch()
        with self._lock:
            self._feed_parser.add(stream, data, out)
        self._write(data)
        with self._lock:  # command output is small and should be readable in the file at once
            if self._file is not None:
                self._file.flush()
        if out:
            self.on_batch(out)

    def flush_feed(self) -> None:
        """Deliver the partial last lines kept back by :meth:`feed` (call when a command ended)."""
        out = LogBatch()
        with self._lock:
            self._feed_parser.flush(out)
        if out:
            self.on_batch(out)

    # -- reading ------------------------------------------------------------------------------
    def _open_attach(self, logs: bool) -> None:
        api = self.api
        params = {"stdout": 1, "stderr": 1, "stream": 1, "logs": 1 if logs else 0}
        headers = {"Connection": "Upgrade", "Upgrade": "tcp"}
        # The buffered reader (not the raw socket): it may already hold bytes read with the headers.
        self._response, self._fp = open_engine_stream(
            api, "POST", "/containers/{0}/attach", self.container_id, params, headers=headers, socket_reader=True
        )

    def _run_attach(self) -> None:
        parser = FrameParser()
        pending = LogBatch()
        first = 0.0
        fp = self._fp
        fd = fp.fileno()
        try:
            while not self._stop.is_set():
                if pending:
                    wait = self.batch_interval - (time.monotonic() - first)
                    if wait <= 0 or not select.select([fd], [], [], wait)[0]:
                        self._deliver(pending)
                        pending = LogBatch()
                        continue
                data = fp.read1(_READ_SIZE)
                if not data:
                    break
                raw: list[bytes] = []
                had = len(pending)
                parser.feed(data, pending, raw)
                self._write(b"".join(raw))
                if not had and pending:
                    first = time.monotonic()
                if len(pending) >= self.batch_lines:
                    self._deliver(pending)
                    pending = LogBatch()
            parser.flush(pending)
            self._deliver(pending)
            self._close_response()
            if not self._stop.is_set() and self._still_running():
                self.resumed += 1
                self._run_logs(follow=True, skip=self.lines_received)
        except Exception as exc:  # noqa: BLE001 - reported through .error; stop() also lands here
            if not self._stop.is_set():
                self.error = exc
        finally:
            self._finish()

    def _run_logs(self, follow: bool = False, skip: int = 0) -> None:
        api = self.api
        params = {"stdout": 1, "stderr": 1, "follow": 1 if follow else 0, "timestamps": 0}
        try:
            res, body = open_engine_stream(api, "GET", "/containers/{0}/logs", self.container_id, params)
            self._response = res
            parser = FrameParser()
            pending = LogBatch()
            last = time.monotonic()
            while not self._stop.is_set():
                data = body.read1(_READ_SIZE) if follow else body.read(_READ_SIZE)
                if not data:
                    break
                raw: list[bytes] = []
                parser.feed(data, pending, raw)
                if skip:
                    dropped = min(skip, len(pending))
                    pending.drop_first(dropped)
                    skip -= dropped
                    if not skip:
                        self._write(b"".join(raw))
                else:
                    self._write(b"".join(raw))
                now = time.monotonic()
                if len(pending) >= self.batch_lines or now - last >= self.batch_interval:
                    self._deliver(pending)
                    pending = LogBatch()
                    last = now
            parser.flush(pending)
            self._deliver(pending)
        except Exception as exc:  # noqa: BLE001
            if not self._stop.is_set():
                self.error = exc
        finally:
            if threading.current_thread() is self._thread and not follow:
                self._finish()

    # -- helpers ------------------------------------------------------------------------------
    def _still_running(self) -> bool:
        try:
            return bool(self.api.inspect_container(self.container_id)["State"]["Running"])
        except Exception:  # noqa: BLE001 - gone: not running
            return False

    def _deliver(self, lines: LogBatch) -> None:
        if lines:
            self.lines_received += len(lines)
            self.on_batch(lines)

    def _write(self, data: bytes) -> None:
        if self._file is not None and data:
            with self._lock:
                if self._file is not None:
                    self._file.write(data)

    def _shutdown_stream(self) -> None:
        fp = self._fp
        if fp is not None:
            try:
                sock = socket.socket(fileno=os.dup(fp.fileno()))
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                finally:
                    sock.close()
            except OSError:
                pass
        res = self._response
        if res is not None:
            try:
                res.close()
            except Exception:  # noqa: BLE001
                pass

    def _close_response(self) -> None:
        if self._response is not None:
            try:
                self._response.close()
            except Exception:  # noqa: BLE001
                pass
        self._fp = None

    def _finish(self) -> None:
        self._close_response()
        if self._file is not None:
            with self._lock:
                self._file.close()
                self._file = None
