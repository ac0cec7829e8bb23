"""Benchmark of the first slice (issue 2, section "Performance"): ratios measured in one run.

Run::

    .venv/bin/python tests/bench/bench_first_slice.py [--quick] [--only launch|resume|stream] [--tokens N]

``--quick`` (a CI smoke run, under a minute): 5 launches each, 3 resumes each, one 5,000-token
stream each; the full run: 15 launches, 7 resumes, two 20,000-token streams (several minutes: the
baseline ``Markdown`` widget itself streams at a few hundred tokens/s).

Not a pytest test and no absolute-time asserts: machines are noisy, so each number is compared
with a baseline measured in the same run (see shared/PERFORMANCE.md). Three parts:

1. **Launch to first frame.** The real ``workbench PATH`` process on a pseudo-terminal (120x40,
   ``TERM=xterm-256color``) until its first frame shows the Chat pane's title ("1 Chat"), against
   a minimal Textual app (``Static`` + ``Footer``) launched the same way; runs interleaved; each
   process is killed after its first frame. Target: ratio of means <= 1.5.
2. **Resume.** ``WorkbenchApp(ws, overrides, session_id=ID)`` under ``run_test`` (headless) on a
   session of 10,000 events (user messages, batched assistant deltas, assistant messages, written
   with ``EventStore``) against an empty session: time from app start until ``app.ready`` is set
   (the history page is mounted by then) and until the next painted frame. Target: ratio <= 1.5.
3. **Streaming.** A 20,000-token Markdown reply (``markdown_reply_corpus(20000)``) served by the
   scripted OpenAI-compatible server at 2,000 tokens/s (8 characters per chunk, 8,000 chars/s;
   the server runs in a process of its own, as a real endpoint would) through the real SDK into the app (``run_test(size=(120, 40))``) with ~15,000 tokens of earlier
   conversation on screen. Measured: (a) from the end of the stream (the SDK's last chunk; also
   from the ``assistant.message`` event) until a painted frame shows the whole reply, target
   <= 100 ms; (b) p99 of the event loop's gaps (a 10 ms ticker on the app's loop: the longest a
   key press or a paint had to wait), target < 50 ms; also paint (layout + render) time per
   frame. Next to it, the baseline: one plain Textual ``Markdown`` fed by ``MarkdownStream`` with
   the same reply from the same server (no history; the Markdown widget is what a naive chat
   view would use). Headless paints are also encoded to terminal bytes
   (``CompositorUpdate.render_segments``), as a real terminal would need.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO))

from _tui_timing import LoopLagProbe, percentile, time_first_frame

TMP = Path(tempfile.mkdtemp(prefix="wb-bench-slice-"))
os.environ["WORKBENCH_HOME"] = str(TMP / "home")
for _name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "DEEPSEEK_API_KEY", "MOONSHOT_API_KEY"):
    os.environ.pop(_name, None)
for _name in [n for n in os.environ if n.startswith("WORKBENCH_") and n != "WORKBENCH_HOME"]:
    os.environ.pop(_name)

PYTHON = sys.executable
WORKBENCH = str(Path(PYTHON).with_name("workbench"))
LLM = {"model": "bench-model", "api_key": "bench-key-not-secret", "max_retries": 0, "timeout": 30}

MINIMAL_APP = """
from textual.app import App
from textual.widgets import Footer, Static


class Minimal(App):
    def compose(self):
        yield Static("bench-minimal-ready")
        yield Footer()


Minimal().run()
"""

RESULTS: list[tuple[str, str, str, str, str]] = []
"""Summary rows: (measure, workbench, baseline, ratio or value, target)."""


def ms(seconds: float) -> str:
    """Format seconds as milliseconds."""
    return f"{seconds * 1000:,.0f} ms" if seconds == seconds else "n/a"


def verdict(ok: bool) -> str:
    """'ok' or 'MISSED'."""
    return "ok" if ok else "MISSED"


# -- 1. launch to first frame --------------------------------------------------------------------
def bench_launch(runs: int) -> None:
    """Time launch -> first frame of ``workbench PATH`` and of a minimal Textual app (interleaved)."""
    print(f"\n== 1. launch to first frame ({runs} runs each, interleaved, pty 120x40) ==")
    workspace = TMP / "launch-project"
    workspace.mkdir()
    (workspace / "README.md").write_text("# launch benchmark\n")
    minimal = TMP / "minimal_app.py"
    minimal.write_text(MINIMAL_APP)
    env = dict(os.environ)
    env["WORKBENCH_HOME"] = str(TMP / "home-launch")
    # The app loads its settings after the first frame; give it a valid model so it boots normally.
    env["WORKBENCH_LLM__BASE_URL"] = "http://127.0.0.1:9/v1"
    env["WORKBENCH_LLM__MODEL"] = LLM["model"]
    env["WORKBENCH_LLM__API_KEY"] = LLM["api_key"]
    commands = {
        "workbench": ([WORKBENCH, str(workspace)], "1 Chat"),
        "minimal": ([PYTHON, str(minimal)], "bench-minimal-ready"),
    }
    for name, (argv, marker) in commands.items():  # warm-up: page cache, .pyc files
        time_first_frame(argv, marker, env=env, cwd=str(TMP))
    times: dict[str, list[float]] = {"workbench": [], "minimal": []}
    for i in range(runs):
        order = ("workbench", "minimal") if i % 2 == 0 else ("minimal", "workbench")
        for name in order:
            argv, marker = commands[name]
            times[name].append(time_first_frame(argv, marker, env=env, cwd=str(TMP)).seconds)
    wb, mn = times["workbench"], times["minimal"]
    for name, values in times.items():
        print(
            f"  {name:10s} mean {ms(statistics.fmean(values)):>8s}  median {ms(statistics.median(values)):>8s}"
            f"  min {ms(min(values)):>8s}  max {ms(max(values)):>8s}"
        )
    ratio_mean = statistics.fmean(wb) / statistics.fmean(mn)
    ratio_median = statistics.median(wb) / statistics.median(mn)
    print(f"  ratio of means {ratio_mean:.2f}, of medians {ratio_median:.2f} (target <= 1.5)")
    RESULTS.append(
        (
            "launch -> first frame (mean)",
            ms(statistics.fmean(wb)),
            ms(statistics.fmean(mn)) + " minimal app",
            f"{ratio_mean:.2f}x (median {ratio_median:.2f}x)",
            f"<= 1.5x  {verdict(ratio_mean <= 1.5)}",
        )
    )


# -- helpers for the in-process parts --------------------------------------------------------------
def write_session(workspace: Path, turns: list[tuple[str, str]], *, deltas_per_reply: int) -> tuple[str, int]:
    """Write a closed session with ``turns`` (prompt, reply) straight into the workspace's event log.

    Each reply is stored as ``deltas_per_reply`` ``assistant.delta`` events (the batches the chat
    service writes while streaming) followed by its ``assistant.message``.

    Returns:
        The session id and the number of events written.
    """
    from workbench.core.events import Event, EventKind
    from workbench.core.runtime import event_log_path
    from workbench.core.store import EventStore

    store = EventStore(event_log_path(workspace))
    try:
        info = store.create_session(workspace)
        sid, count = info.id, 1
        batch: list[Event] = [Event(EventKind.SESSION_OPENED, sid, {"pid": os.getpid(), "model": LLM["model"]})]
        for n, (prompt, reply) in enumerate(turns):
            turn_id = f"t{n:08d}"
            batch.append(Event(EventKind.USER_MESSAGE, sid, {"turn_id": turn_id, "text": prompt}))
            step = max(1, -(-len(reply) // deltas_per_reply))
            for k in range(0, len(reply), step):
                batch.append(
                    Event(EventKind.ASSISTANT_DELTA, sid, {"turn_id": turn_id, "text": reply[k : k + step], "reasoning": ""})
                )
            usage = {"prompt_tokens": 50, "completion_tokens": len(reply) // 4, "total_tokens": 50 + len(reply) // 4}
            batch.append(
                Event(
                    EventKind.ASSISTANT_MESSAGE,
                    sid,
                    {
                        "turn_id": turn_id,
                        "text": reply,
                        "reasoning": "",
                        "finish_reason": "stop",
                        "interrupted": False,
                        "usage": usage,
                        "model": LLM["model"],
                        "request_id": None,
                    },
                )
            )
            if len(batch) >= 1000:
                count += len(store.append_many(batch))
                batch = []
        batch.append(Event(EventKind.SESSION_CLOSED, sid, {}))
        count += len(store.append_many(batch))
        return sid, count
    finally:
        store.close()


def make_app(workspace: Path, session_id: str | None, base_url: str = "http://127.0.0.1:9/v1"):
    """A ``WorkbenchApp`` on ``workspace`` resuming ``session_id``, pointed at ``base_url``."""
    from workbench.ui.app import WorkbenchApp

    return WorkbenchApp(workspace, {"llm": {**LLM, "base_url": base_url}}, session_id=session_id)


@dataclass
class PaintRecorder:
    """Hooks ``app._display`` (called once per painted frame): records when frames are painted.

    Headless apps skip writing to a terminal; the hook still encodes each update to terminal bytes
    (``render_segments``) so a frame costs what it would on a real terminal.

    Attributes:
        times: ``perf_counter()`` after each painted frame.
        on_paint: called after each frame with its time (e.g. to test whether a text is visible).
    """

    times: list[float] = field(default_factory=list)
    on_paint: Callable[[float], None] | None = None

    def install(self, app: Any) -> None:
        """Wrap ``app._display`` on this app instance."""
        from textual._compositor import CompositorUpdate

        original = app._display

        def display(screen: Any, renderable: Any) -> None:
            original(screen, renderable)
            if renderable is None or app._batch_count:
                return
            if app.is_headless and isinstance(renderable, CompositorUpdate):
                renderable.render_segments(app.console)
            now = time.perf_counter()
            self.times.append(now)
            if self.on_paint is not None:
                self.on_paint(now)

        app._display = display

    async def next_paint(self, timeout: float = 10.0) -> float:
        """Wait for the next painted frame and return its time."""
        seen = len(self.times)
        end = time.perf_counter() + timeout
        while len(self.times) == seen:
            if time.perf_counter() > end:
                raise TimeoutError("no frame was painted")
            await asyncio.sleep(0.002)
        return self.times[seen]


class PaintTimer:
    """Times each screen update (``Screen._on_timer_update``: layout, render, encode) while installed."""

    def __init__(self) -> None:
        self.durations: list[float] = []
        self.active = False
        self._original: Any = None

    def install(self) -> None:
        """Wrap ``Screen._on_timer_update`` (class-wide, for this process)."""
        from textual.screen import Screen

        if self._original is not None:
            return
        original = self._original = Screen._on_timer_update
        timer = self

        def on_timer_update(screen: Any) -> None:
            started = time.perf_counter()
            original(screen)
            if timer.active:
                timer.durations.append(time.perf_counter() - started)

        Screen._on_timer_update = on_timer_update


# -- 2. resume ---------------------------------------------------------------------------------
async def bench_resume(runs: int) -> None:
    """Time resuming a 10,000-event session against an empty session (interleaved)."""
    from workbench.scripted.server import markdown_reply_corpus

    print(f"\n== 2. resume: 10,000-event session vs empty session ({runs} runs each, interleaved) ==")
    workspace = TMP / "resume-project"
    workspace.mkdir()
    started = time.perf_counter()
    turns = [(f"Question {n}: how does part {n} of the parser work?", markdown_reply_corpus(150, seed=n)) for n in range(1000)]
    long_id, long_events = write_session(workspace, turns, deltas_per_reply=8)
    empty_id, empty_events = write_session(workspace, [], deltas_per_reply=8)
    print(
        f"  wrote {long_events:,} events (1,000 turns) and an empty session ({empty_events} events) in {time.perf_counter() - started:.1f}s"
    )

    async def resume(session_id: str) -> tuple[float, float, int]:
        from workbench.ui.chat.messages import AssistantMessage, UserMessage

        t0 = time.perf_counter()
        app = make_app(workspace, session_id)
        paints = PaintRecorder()
        async with app.run_test(size=(120, 40)):
            paints.install(app)
            await asyncio.wait_for(app.ready.wait(), 60)
            t_ready = time.perf_counter()
            t_paint = await paints.next_paint()
            shown = len(app.query(UserMessage)) + len(app.query(AssistantMessage))
        return t_ready - t0, t_paint - t0, shown

    await resume(empty_id)  # warm-up: imports, first CSS parse
    await resume(long_id)
    ready: dict[str, list[float]] = {"long": [], "empty": []}
    painted: dict[str, list[float]] = {"long": [], "empty": []}
    shown: dict[str, int] = {}
    for i in range(runs):
        order = ("long", "empty") if i % 2 == 0 else ("empty", "long")
        for name in order:
            r, p, n = await resume(long_id if name == "long" else empty_id)
            ready[name].append(r)
            painted[name].append(p)
            shown[name] = n
    for name, label in (("long", "10,000 events"), ("empty", "empty")):
        print(
            f"  {label:14s} ready: mean {ms(statistics.fmean(ready[name])):>8s} median {ms(statistics.median(ready[name])):>8s}"
            f" | first paint after: mean {ms(statistics.fmean(painted[name])):>8s}  ({shown[name]} messages mounted)"
        )
    ratio = statistics.fmean(ready["long"]) / statistics.fmean(ready["empty"])
    ratio_p = statistics.fmean(painted["long"]) / statistics.fmean(painted["empty"])
    print(f"  ratio (ready) {ratio:.2f}, (painted) {ratio_p:.2f} (target <= 1.5)")
    RESULTS.append(
        (
            "resume 10k events -> ready (mean)",
            ms(statistics.fmean(ready["long"])),
            ms(statistics.fmean(ready["empty"])) + " empty",
            f"{ratio:.2f}x (painted {ratio_p:.2f}x)",
            f"<= 1.5x  {verdict(ratio <= 1.5)}",
        )
    )


# -- 3. streaming --------------------------------------------------------------------------------
@dataclass
class StreamResult:
    """One streamed reply: timings in seconds (``perf_counter``) and gap lists."""

    label: str
    t_send: float = 0.0
    t_first: float = float("nan")
    t_sdk_end: float = float("nan")
    t_message: float = float("nan")
    t_visible: float = float("nan")
    loop_gaps: list[float] = field(default_factory=list)
    paint_times: list[float] = field(default_factory=list)
    paint_durations: list[float] = field(default_factory=list)
    tokens: int = 0

    def row(self) -> dict[str, float]:
        """Derived figures."""
        stream = self.t_sdk_end - self.t_first
        return {
            "end_to_visible": self.t_visible - self.t_sdk_end,
            "message_to_visible": self.t_visible - self.t_message,
            "tokens_per_s": self.tokens / stream if stream > 0 else float("nan"),
            "gap_p50": percentile(self.loop_gaps, 50),
            "gap_p99": percentile(self.loop_gaps, 99),
            "gap_max": max(self.loop_gaps) if self.loop_gaps else float("nan"),
            "paint_p50": percentile(self.paint_durations, 50),
            "paint_p99": percentile(self.paint_durations, 99),
            "fps": len(self.paint_times) / (self.t_visible - self.t_first) if self.t_visible > self.t_first else float("nan"),
        }


def _in_window(values_at: list[float], start: float, end: float) -> int:
    return sum(1 for t in values_at if start <= t <= end)


class _ServerProcess:
    """The scripted server in a process of its own (``python -m workbench.scripted.server``).

    A real endpoint never shares the app's process; in-process, the server's thread (encoding
    1,000 SSE chunks a second) would compete with the app for the GIL, in both the workbench and
    the baseline runs.
    """

    def __init__(self, reply: str, tokens_per_second: float) -> None:
        import json
        import subprocess

        script = Path(tempfile.mkdtemp(prefix="server-", dir=TMP)) / "script.json"
        script.write_text(json.dumps([{"text": reply, "tokens_per_second": tokens_per_second, "chunk_chars": 8}]))
        self._proc = subprocess.Popen(
            [PYTHON, "-m", "workbench.scripted.server", "--script", str(script), "--model", LLM["model"]],
            stdout=subprocess.PIPE,
            text=True,
            cwd=str(REPO),
        )
        assert self._proc.stdout is not None
        self.base_url = self._proc.stdout.readline().strip()
        if not self.base_url.startswith("http"):
            self.close()
            raise RuntimeError(f"the scripted server did not start: {self.base_url!r}")

    def close(self) -> None:
        """Stop the server process."""
        self._proc.terminate()
        self._proc.wait(10)

    def __enter__(self) -> _ServerProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def server_process(reply: str, tokens_per_second: float) -> _ServerProcess:
    """Start the scripted server (one streamed ``reply``) in its own process."""
    return _ServerProcess(reply, tokens_per_second)


async def stream_workbench(
    reply: str, tokens_per_second: float, history_turns: list[tuple[str, str]], paint_timer: PaintTimer
) -> StreamResult:
    """Stream ``reply`` into the real app (resumed session with ``history_turns`` on screen)."""
    from workbench.core.events import EventKind
    from workbench.ui.chat.messages import LiveReply

    workspace = Path(tempfile.mkdtemp(prefix="stream-", dir=TMP))
    sid, _ = write_session(workspace, history_turns, deltas_per_reply=8)
    result = StreamResult("workbench", tokens=len(reply) // 4)
    with server_process(reply, tokens_per_second) as server:
        app = make_app(workspace, sid, server.base_url)
        paints = PaintRecorder()
        async with app.run_test(size=(120, 40)) as pilot:
            paints.install(app)
            await asyncio.wait_for(app.ready.wait(), 60)
            # A user takes a moment to type: let the app finish what it does after start-up (it
            # imports the OpenAI SDK in the background) so the stream is measured on its own.
            await pilot.pause(1.0)
            services = app.services
            assert services is not None

            # Stream end as the SDK sees it: the wrapped stream_chat finishes.
            llm = services.llm
            original_stream = llm.stream_chat

            async def timed_stream(*args: Any, **kwargs: Any):
                async for item in original_stream(*args, **kwargs):
                    if result.t_first != result.t_first:  # nan: first item
                        result.t_first = time.perf_counter()
                    yield item
                result.t_sdk_end = time.perf_counter()

            llm.stream_chat = timed_stream  # type: ignore[method-assign]
            original_publish = services.bus.publish

            def publish(item: Any) -> None:
                if getattr(item, "kind", None) == EventKind.ASSISTANT_MESSAGE and item.payload.get("text") == reply:
                    result.t_message = time.perf_counter()
                original_publish(item)

            services.bus.publish = publish  # type: ignore[method-assign]

            def check_visible(now: float) -> None:
                if result.t_visible == result.t_visible:
                    return
                lives = list(app.query(LiveReply))
                if not lives or lives[-1].rendered_text != reply:
                    return
                # The reply's widget is painted with all of the reply's lines (the whole text is on
                # screen; the end-of-turn note may follow), and the chat view is scrolled to its end
                # (the last line of the reply is on screen).
                view = app.query_one("#chat-view")
                if lives[-1].markdown in app.screen._compositor.visible_widgets and view.scroll_y >= view.max_scroll_y:
                    result.t_visible = now

            paints.on_paint = check_visible
            probe = LoopLagProbe()
            probe.start()
            paint_timer.durations.clear()
            paint_timer.active = True
            result.t_send = time.perf_counter()
            await pilot.press("g", "o", "enter")
            end = time.perf_counter() + 60
            while result.t_visible != result.t_visible or result.t_message != result.t_message:
                if time.perf_counter() > end:
                    lives = list(app.query(LiveReply))
                    state = [
                        (
                            w.finished,
                            len(w.rendered_text),
                            [(type(c).__name__, len(getattr(c, "source", "") or "")) for c in w.children],
                        )
                        for w in lives
                    ]
                    raise TimeoutError(
                        f"the reply never became fully visible: first={result.t_first} sdk_end={result.t_sdk_end} "
                        f"message={result.t_message} live replies (finished, chars)={state}, reply chars={len(reply)}"
                    )
                await asyncio.sleep(0.01)
            paint_timer.active = False
            await probe.stop()
            result.loop_gaps = probe.gaps
            result.paint_times = [t for t in paints.times if result.t_first <= t <= result.t_visible]
            result.paint_durations = list(paint_timer.durations)
    return result


async def stream_baseline(reply: str, tokens_per_second: float, paint_timer: PaintTimer) -> StreamResult:
    """Stream ``reply`` into one plain ``Markdown`` via ``MarkdownStream`` (the naive approach)."""
    import openai
    from textual.app import App, ComposeResult
    from textual.containers import VerticalScroll
    from textual.widgets import Markdown

    class Baseline(App[None]):
        CSS = "VerticalScroll { height: 1fr; }"

        def compose(self) -> ComposeResult:
            with VerticalScroll():
                yield Markdown()

    result = StreamResult("baseline", tokens=len(reply) // 4)
    with server_process(reply, tokens_per_second) as server:
        app = Baseline()
        paints = PaintRecorder()
        done = asyncio.Event()
        async with app.run_test(size=(120, 40)) as pilot:
            paints.install(app)
            await pilot.pause()
            markdown = app.query_one(Markdown)
            view = app.query_one(VerticalScroll)
            view.anchor()  # keep the end in view as the document grows

            def check_visible(now: float) -> None:
                if done.is_set() and result.t_visible != result.t_visible and markdown.source == reply:
                    result.t_visible = now

            paints.on_paint = check_visible
            client = openai.AsyncOpenAI(base_url=server.base_url, api_key=LLM["api_key"], max_retries=0)
            probe = LoopLagProbe()
            probe.start()
            paint_timer.durations.clear()
            paint_timer.active = True
            result.t_send = time.perf_counter()
            stream = Markdown.get_stream(markdown)
            response = await client.chat.completions.create(
                model=LLM["model"], messages=[{"role": "user", "content": "go"}], stream=True
            )
            async for chunk in response:
                if not chunk.choices:
                    continue
                text = chunk.choices[0].delta.content
                if text:
                    if result.t_first != result.t_first:
                        result.t_first = time.perf_counter()
                    await stream.write(text)
            result.t_sdk_end = time.perf_counter()
            await stream.stop()
            result.t_message = time.perf_counter()
            view.scroll_end(animate=False)
            done.set()
            end = time.perf_counter() + 60
            while result.t_visible != result.t_visible:
                if time.perf_counter() > end:
                    raise TimeoutError("the baseline reply never became fully visible")
                await asyncio.sleep(0.01)
            paint_timer.active = False
            await probe.stop()
            await client.close()
            result.loop_gaps = probe.gaps
            result.paint_times = [t for t in paints.times if result.t_first <= t <= result.t_visible]
            result.paint_durations = list(paint_timer.durations)
    return result


async def bench_streaming(runs: int, tokens: int) -> None:
    """Stream a long Markdown reply into the app (with history) and into the baseline."""
    from workbench.scripted.server import markdown_reply_corpus

    tps = 2000.0
    reply = markdown_reply_corpus(tokens)
    history = [(f"Earlier question {n} about module {n}", markdown_reply_corpus(1500, seed=100 + n)) for n in range(10)]
    history_tokens = sum(len(a) + len(q) for q, a in history) // 4
    print(
        f"\n== 3. streaming: {len(reply) // 4:,}-token Markdown reply at {tps:,.0f} tokens/s (8-char chunks), "
        f"{runs} run(s) each ==\n  workbench: resumed session with {history_tokens:,} tokens of history on screen; "
        "baseline: one Markdown + MarkdownStream, no history"
    )
    paint_timer = PaintTimer()
    paint_timer.install()
    rows: dict[str, list[dict[str, float]]] = {"workbench": [], "baseline": []}
    for i in range(runs):
        order = ("workbench", "baseline") if i % 2 == 0 else ("baseline", "workbench")
        for name in order:
            if name == "workbench":
                res = await stream_workbench(reply, tps, history, paint_timer)
            else:
                res = await stream_baseline(reply, tps, paint_timer)
            row = res.row()
            rows[name].append(row)
            print(
                f"  {name:9s} run {i + 1}: {row['tokens_per_s']:,.0f} tok/s received, end->visible {ms(row['end_to_visible'])}"
                f" (from assistant.message/stop {ms(row['message_to_visible'])}), loop gap p50/p99/max"
                f" {ms(row['gap_p50'])}/{ms(row['gap_p99'])}/{ms(row['gap_max'])}, paint p50/p99"
                f" {ms(row['paint_p50'])}/{ms(row['paint_p99'])}, {row['fps']:.1f} fps"
            )

    def worst(name: str, key: str) -> float:
        return max(r[key] for r in rows[name])

    wb_vis, bl_vis = worst("workbench", "end_to_visible"), worst("baseline", "end_to_visible")
    wb_gap, bl_gap = worst("workbench", "gap_p99"), worst("baseline", "gap_p99")
    wb_paint, bl_paint = worst("workbench", "paint_p99"), worst("baseline", "paint_p99")
    wb_tps = min(r["tokens_per_s"] for r in rows["workbench"])
    bl_tps = min(r["tokens_per_s"] for r in rows["baseline"])
    RESULTS.append(
        (
            "stream end -> fully visible (worst)",
            ms(wb_vis),
            ms(bl_vis) + " Markdown",
            f"{wb_vis / bl_vis:.2f}x" if bl_vis > 0 else "-",
            f"<= 100 ms  {verdict(wb_vis <= 0.100)}",
        )
    )
    RESULTS.append(
        (
            "loop gap p99 during stream (worst)",
            ms(wb_gap),
            ms(bl_gap) + " Markdown",
            f"{wb_gap / bl_gap:.2f}x",
            f"< 50 ms  {verdict(wb_gap < 0.050)}",
        )
    )
    RESULTS.append(
        (
            "paint time p99 during stream (worst)",
            ms(wb_paint),
            ms(bl_paint) + " Markdown",
            f"{wb_paint / bl_paint:.2f}x",
            "(info)",
        )
    )
    RESULTS.append(
        (
            "tokens/s received (slowest run)",
            f"{wb_tps:,.0f}",
            f"{bl_tps:,.0f} Markdown",
            f"{wb_tps / bl_tps:.2f}x",
            f"served at {tps:,.0f}",
        )
    )


def print_summary() -> None:
    """Print the summary table."""
    headers = ("measure", "workbench", "baseline", "ratio", "target")
    widths = [max(len(str(r[i])) for r in [headers, *RESULTS]) for i in range(5)]
    line = "  ".join("-" * w for w in widths)
    print("\n== summary (ratios are workbench / baseline, measured in this run) ==")
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths)))
    print(line)
    for r in RESULTS:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths)))


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; returns 0 (targets are reported, not asserted)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs (a CI smoke run)")
    parser.add_argument("--only", choices=["launch", "resume", "stream"], action="append", help="run only these parts")
    parser.add_argument(
        "--tokens", type=int, default=None, help="size of the streamed reply (default 20,000; 5,000 with --quick)"
    )
    args = parser.parse_args(argv)
    parts = set(args.only or ["launch", "resume", "stream"])
    launch_runs, resume_runs, stream_runs = (5, 3, 1) if args.quick else (15, 7, 2)
    started = time.perf_counter()
    try:
        if "launch" in parts:
            bench_launch(launch_runs)
        if "resume" in parts:
            asyncio.run(bench_resume(resume_runs))
        if "stream" in parts:
            asyncio.run(bench_streaming(stream_runs, args.tokens or (5000 if args.quick else 20000)))
        print_summary()
        print(f"\n(total {time.perf_counter() - started:.0f}s; python {sys.version.split()[0]}, {os.cpu_count()} CPUs)")
    finally:
        shutil.rmtree(TMP, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
