"""The pane's ingest path without an engine: stream frames -> ``LogBatch`` -> texts -> ``LineIngest``."""

from __future__ import annotations

import asyncio
import struct
import threading

from workbench.core.sandbox.logs import FrameParser, LogBatch, LogLine
from workbench.ui.containers.format import STDERR_MARK
from workbench.ui.containers.ingest import LineIngest


def frame(stream: int, payload: bytes) -> bytes:
    return struct.pack(">BxxxL", stream, len(payload)) + payload


def test_parser_batches_runs_whatever_the_chunking() -> None:
    data = (
        frame(1, b"one\ntw")
        + frame(1, b"o\nthree\n")
        + frame(2, "caf\u00e9 \u2713\n".encode())
        + frame(1, b"four\n")
        + frame(2, b"bad \xff\npartial")
    )
    for step in (1, 3, 7, len(data)):
        parser, batch, raw = FrameParser(), LogBatch(), []
        for i in range(0, len(data), step):
            parser.feed(data[i : i + step], batch, raw)
        parser.flush(batch)
        assert list(batch) == [
            LogLine("stdout", "one"),
            LogLine("stdout", "two"),
            LogLine("stdout", "three"),
            LogLine("stderr", "caf\u00e9 \u2713"),
            LogLine("stdout", "four"),
            LogLine("stderr", "bad \ufffd"),
            LogLine("stderr", "partial"),
        ]
        assert len(batch) == 7 and batch[3] == LogLine("stderr", "caf\u00e9 \u2713") and batch[-1].text == "partial"
        assert b"".join(raw).count(b"\n") == 6
    assert batch.texts(STDERR_MARK) == [
        "one",
        "two",
        "three",
        f"{STDERR_MARK}caf\u00e9 \u2713",
        "four",
        f"{STDERR_MARK}bad \ufffd",
        f"{STDERR_MARK}partial",
    ]
    batch.drop_first(4)
    assert batch.texts() == ["four", "bad \ufffd", "partial"] and len(batch) == 3


async def test_line_ingest_drains_on_the_loop_in_batches_and_bounded() -> None:
    loop = asyncio.get_running_loop()
    written: list[list[str]] = []
    done = asyncio.Event()

    def write(lines: list[str]) -> None:
        assert threading.current_thread() is threading.main_thread()
        written.append(lines)
        if lines and lines[-1] == "5999":
            done.set()

    ingest = LineIngest(loop, write, limit=1_000, interval=0.02, yield_s=0)

    def reader() -> None:
        for start in range(0, 6_000, 500):
            ingest.push([str(i) for i in range(start, start + 500)])

    await asyncio.to_thread(reader)
    await asyncio.wait_for(done.wait(), 5)
    lines = [line for batch in written for line in batch]
    assert ingest.received == 6_000 and lines[-1] == "5999"
    assert all(len(batch) <= 1_000 for batch in written)  # bounded: older lines dropped while waiting
    assert len(written) < 12  # large batches, not one write per push
