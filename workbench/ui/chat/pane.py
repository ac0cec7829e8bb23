"""The Chat pane: conversation view, prompt input and status bar.

It renders committed events from the bus (so the screen never shows what the log does not hold)
and calls :class:`workbench.core.chat.service.ChatService` for turns, inside a worker that ``Esc``
cancels.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Button, Static
from textual.worker import Worker, WorkerState

from workbench.core import event_payloads as P
from workbench.core.agent.approvals import ApprovalRequest
from workbench.core.events import TOOL_KINDS, Event, EventKind
from workbench.ui.chat import interact
from workbench.ui.chat.messages import AssistantMessage, ErrorMessage, LiveReply, Note, UserMessage, code_theme
from workbench.ui.chat.prompt import PromptInput
from workbench.ui.chat.slash import SlashCommands, SlashHint
from workbench.ui.chat.status import ChatStatus
from workbench.ui.chat.tools import ToolCallView

if TYPE_CHECKING:
    from workbench.core.runtime import Services

CallPayload = (
    P.ToolCallRequested | P.ApprovalRequested | P.ToolCallApproved | P.ToolCallStarted | P.ToolCallDenied | P.ToolCallFinished
)
"""The payload of one tool call's event (every TOOL_KINDS kind but ``tool.skipped``, which names several calls)."""
_CALL_PAYLOADS = (
    P.ToolCallRequested,
    P.ApprovalRequested,
    P.ToolCallApproved,
    P.ToolCallStarted,
    P.ToolCallDenied,
    P.ToolCallFinished,
)


def _fmt_tokens(usage: dict[str, int]) -> str:
    total = usage.get("total_tokens") or (usage.get("prompt_tokens", 0) + usage.get("completion_tokens", 0))
    return f"{total:,} tokens"


class ChatView(VerticalScroll):
    """The scrolling conversation.

    Once the conversation is taller than the view it is anchored to its end (Textual's
    ``anchor``): as a reply grows, the compositor keeps the end in view in the same layout pass, so
    no separate scroll (and frame) follows each update; when the user scrolls up to read, the
    anchor is released and nothing moves under them until they scroll back to the end or send a
    prompt. A conversation shorter than the view is not anchored (an anchored view aligns short
    content with its bottom).
    """

    DEFAULT_CSS = """
    ChatView { height: 1fr; padding: 0 1; scrollbar-gutter: stable; }
    ChatView > #older { width: 100%; height: 1; border: none; min-width: 0; background: $boost; }
    ChatView > #empty { color: $text-muted; padding: 1 1; }
    ChatView > .-flash { background: $accent 30%; }
    """

    def follow(self, *, again: bool = False) -> None:
        """Keep the end in view from now on, once the content overflows.

        Args:
            again: also when the user had scrolled away (they just sent a prompt).
        """
        if self.is_anchored and not again:
            return  # Textual follows, or the user scrolled away and keeps their place
        if self.max_scroll_y > 0:
            self.anchor()
        elif self.is_anchored:
            self.anchor(False)


class ChatPane(Vertical):
    """Chat with the model (pane 1)."""

    BORDER_TITLE = "1 Chat"
    ALLOW_MAXIMIZE = True
    BINDINGS = [
        Binding(
            "escape",
            "cancel",
            "Cancel reply",
            id="chat.cancel",
            tooltip="Cancel the reply in flight; esc esc on an empty prompt opens the rewind screen",
        ),
        Binding("ctrl+n", "new_session", "New session", id="chat.new", tooltip="Start a new session"),
        Binding("ctrl+home", "load_older", "Older", id="chat.older", show=False, tooltip="Load older messages"),
        Binding(
            "shift+tab",
            "cycle_mode",
            "Mode",
            id="chat.mode",
            tooltip="Cycle the permission mode (ask, auto-edit, full-auto, read-only)",
        ),
        Binding(
            "ctrl+o",
            "tool_details",
            "Tool details",
            id="chat.tools",
            show=False,
            tooltip="Show or hide every tool call's full arguments and result (Enter or a click: one call)",
        ),
    ]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.services: Services | None = None
        self._live: dict[str, LiveReply] = {}
        self._calls: dict[str | None, ToolCallView] = {}  # by call id (None only in a malformed log)
        self._oldest_seq: int | None = None
        self._turn: Worker | None = None

    @property
    def turn(self) -> Worker | None:
        """The worker running the latest agent turn (None before the first prompt)."""
        return self._turn

    def compose(self) -> ComposeResult:
        with ChatView(id="chat-view"):
            yield Static("Starting… (loading settings and the event log)", id="empty")
        yield SlashHint(id="slash-hint")
        yield PromptInput(id="prompt")
        yield ChatStatus(id="chat-status")

    @property
    def view(self) -> ChatView:
        """The conversation view."""
        return self.query_one(ChatView)

    @property
    def status(self) -> ChatStatus:
        """The status bar."""
        return self.query_one(ChatStatus)

    # -- wiring --------------------------------------------------------------------------------
    async def attach(self, services: Services) -> None:
        """Bind to the running services and start following their events."""
        self.services = services
        llm = services.llm
        self.status.model = llm.label or llm.model
        self.status.mode = services.chat.permissions.mode.value
        self.status.state = "ready"
        self.slash = SlashCommands(self)
        self._follow()
        await self._show_empty()

    async def _show_empty(self) -> None:
        empty = self.view.query("#empty")
        if empty:
            empty.first(Static).update(
                "New session. Type a prompt below and press Enter (shift+enter or ctrl+j for a newline).\n"
                "F1 lists every key; ctrl+r resumes an earlier session."
            )

    def _update_session_label(self) -> None:
        assert self.services is not None
        info = self.services.chat.session
        if info is None:
            self.status.session = "new session"
        else:
            title = info.title or ""
            title = title if len(title) <= 32 else title[:31] + "…"
            self.status.session = f"{info.id} {title}".strip()
        self.status.tokens = _fmt_tokens(self.services.chat.session_usage)
        cost = self.services.chat.session_cost
        info = self.services.chat.model_info()
        self.status.cost = f"{info.currency}{cost:.4f}" if cost is not None and info is not None else ""

    @work(group="chat-events", exclusive=True)
    async def _follow(self) -> None:
        assert self.services is not None
        with self.services.bus.subscribe() as sub:
            async for event in sub:
                if isinstance(event, Event):
                    await self._on_event(event)
                elif isinstance(event, ApprovalRequest):
                    self._ask_approval(event)
                elif isinstance(event, interact.Question):  # ask_user
                    interact.show_question(self, event)

    def _current(self, event: Event) -> bool:
        info = self.services.chat.session if self.services else None
        return info is not None and info.id == event.session_id

    async def _on_event(self, event: Event) -> None:
        if not self._current(event):
            return
        kind = event.kind
        p = event.data  # the payload class of ``kind``: each case narrows it to that class
        view = self.view
        view.follow()
        match p:
            case P.UserMessage():
                await self._remove_empty()
                await view.mount(UserMessage(p.text, event.seq))
                self._update_session_label()
                self.call_after_refresh(view.follow, again=True)  # the user just sent it: follow the reply
            case P.AssistantDelta():
                live = await self._live_reply(p.turn_id, p.step or 0, event.seq)
                await live.add(p.text, p.reasoning)
            case P.AssistantMessage():
                if not p.text and not p.reasoning and not p.interrupted:
                    self._live.pop(f"{p.turn_id}:{p.step or 0}", None)
                    return
                live = await self._live_reply(p.turn_id, p.step or 0, event.seq)
                usage = p.usage
                note = None
                if usage:
                    note = f"{p.model or ''} · {usage.get('prompt_tokens', 0):,} in / {usage.get('completion_tokens', 0):,} out"
                await live.finish(text=p.text, interrupted=bool(p.interrupted), note=note)
                self._live.pop(f"{p.turn_id}:{p.step or 0}", None)
                self._update_session_label()
            case P.TurnError():
                await view.mount(ErrorMessage(p.message, event.seq))
            case _ if kind in TOOL_KINDS:
                await self._tool_event(event)
            case P.PlanUpdated():
                await view.mount(interact.PlanBlock(p.items or [], event.seq))
                self.status.plan = interact.latest_progress([event])
            case P.ModeChanged():
                self.status.mode = p.mode
            case P.ModelChanged():
                self.status.model = p.model
            case P.ContextCompacted():
                await view.mount(
                    Note(f"⇣ older turns compacted into a summary ({p.reason}, ~{p.tokens_before or 0:,} tokens before)")
                )
            case P.TurnCancelled():
                self.status.state = "cancelled"
            case P.TurnFinished():
                self.status.state = "ready" if p.status != "error" else "ready (last turn failed)"

    async def _live_reply(self, turn_id: str, step: int = 0, seq: int = 0) -> LiveReply:
        key = f"{turn_id}:{step}"
        live = self._live.get(key)
        if live is None:
            live = LiveReply(turn_id)
            live.seq = seq
            self._live[key] = live
            await self.view.mount(live)
        return live

    async def _tool_event(self, event: Event, *, mount: bool = True) -> ToolCallView | None:
        """Create or update the block of the tool call an event belongs to."""
        p = event.data  # one of the TOOL_KINDS payload classes
        if isinstance(p, P.ToolCallsSkipped):
            for call_id in p.call_ids:
                view = self._calls.get(call_id)
                if view is not None:
                    view.set_state("skipped", p.reason or "")
            if mount:
                await self.view.mount(Note(f"⊘ {len(p.call_ids)} tool call(s) not run: {p.reason}"))
            return None
        if not isinstance(p, _CALL_PAYLOADS):
            return None
        view = self._calls.get(p.call_id)
        if view is None:
            view = self._new_call_view(p, event.seq)
            if mount:
                await self.view.mount(view)
        match p:
            case P.ApprovalRequested():
                view.set_state("waiting", "waiting for your approval")
            case P.ToolCallApproved():
                view.set_state("running", "")
            case P.ToolCallStarted():
                view.set_state("running")
            case P.ToolCallDenied():
                view.set_state("denied", p.reason or "")
            case P.ToolCallFinished():
                ms = p.duration_ms or 0
                view.set_state(p.outcome or "ok", f"{p.summary or ''} ({ms:.0f} ms)")
                view.set_result(p.content, edited=bool(p.edited))
                if view.is_mounted:
                    await view.show_diff(p.diff, code_theme(self))
                else:
                    view.pending_diff = p.diff
        return view

    def _new_call_view(self, p: CallPayload, seq: int) -> ToolCallView:
        """The block of a call not seen yet (registered in ``_calls``; the caller mounts it)."""
        arguments = p.arguments if isinstance(p, (P.ToolCallRequested, P.ApprovalRequested)) else None
        view = ToolCallView(p.call_id, p.name or "?", arguments or "")
        view.seq = seq
        self._calls[p.call_id] = view
        return view

    def _ask_approval(self, request: ApprovalRequest) -> None:
        from workbench.ui.screens.approval import ApprovalScreen

        if request.future.done():
            return
        self.status.state = "waiting for approval"

        def done(_decision) -> None:
            self.status.state = "streaming…" if self.services and self.services.chat.running else "ready"

        self.app.push_screen(ApprovalScreen(request), done)

    async def _remove_empty(self) -> None:
        for w in self.view.query("#empty"):
            await w.remove()

    # -- history -------------------------------------------------------------------------------
    async def show_history(self) -> None:
        """Show the last page of the current session (older pages load on demand)."""
        assert self.services is not None
        chat = self.services.chat
        view = self.view
        await view.remove_children()
        self._live.clear()
        self._calls.clear()
        self._oldest_seq = None
        self._update_session_label()
        self.status.plan = ""
        if chat.session is None:
            await view.mount(Static("", id="empty"))
            await self._show_empty()
            return
        page_size = self.services.settings.ui.history_page
        events = await self.services.store.history_page(chat.session.id, limit=page_size)
        tail = await self.services.store.interrupted_tail(chat.session.id)
        if tail is not None:
            events.append(tail)
        more = len(events) >= page_size
        plans = await interact.plan_events(self.services.store, chat.session.id)
        self.status.plan = interact.latest_progress(plans)
        await self._mount_page(interact.merge_plans(events, plans, more=more), prepend=False, more=more)
        view.scroll_end(animate=False)
        self.call_after_refresh(view.follow, again=True)

    def _widgets_for(self, events: list[Event]) -> list:
        theme = code_theme(self)
        out = []
        for e in events:
            if e.kind == EventKind.USER_MESSAGE:
                out.append(UserMessage(P.UserMessage.of(e).text, e.seq))
            elif e.kind == EventKind.ASSISTANT_MESSAGE:
                reply = P.AssistantMessage.of(e)
                out.append(
                    AssistantMessage(
                        reply.text,
                        reasoning=reply.reasoning,
                        interrupted=bool(reply.interrupted),
                        seq=e.seq,
                        theme=theme,
                    )
                )
            elif e.kind == EventKind.TURN_ERROR:
                out.append(ErrorMessage(P.TurnError.of(e).message, e.seq))
            elif e.kind in TOOL_KINDS and isinstance(call := e.data, _CALL_PAYLOADS):  # not tool.skipped
                if call.call_id not in self._calls:
                    out.append(self._new_call_view(call, e.seq))
                self._replay_tool(call)
            elif e.kind == EventKind.PLAN_UPDATED:
                out.append(interact.PlanBlock(P.PlanUpdated.of(e).items or [], e.seq))
        for view in out:
            if isinstance(view, ToolCallView) and view.state in ("requested", "running", "waiting"):
                if not (self.services and self.services.chat.running):
                    view.set_state(
                        "unknown" if view.state == "running" else "skipped",
                        "outcome unknown: Workbench stopped before this call finished; it was not re-run"
                        if view.state == "running"
                        else "never ran",
                    )
        return out

    def _replay_tool(self, p: CallPayload) -> None:
        view = self._calls[p.call_id]
        match p:
            case P.ToolCallStarted():
                view.set_state("running")
            case P.ToolCallDenied():
                view.set_state("denied", p.reason or "")
            case P.ToolCallFinished():
                view.set_state(p.outcome or "ok", f"{p.summary or ''} ({(p.duration_ms or 0):.0f} ms)")
                view.set_result(p.content, edited=bool(p.edited))
                view.pending_diff = p.diff

    async def _mount_page(self, events: list[Event], *, prepend: bool, more: bool) -> None:
        view = self.view
        widgets = self._widgets_for(events)
        if events:
            self._oldest_seq = events[0].seq
        for old in view.query("#older"):
            await old.remove()
        if more:
            widgets.insert(0, Button("▲ older messages (ctrl+home)", id="older"))
        if prepend and len(view.children):
            await view.mount_all(widgets, before=0)
        else:
            await view.mount_all(widgets)

    @on(Button.Pressed, "#older")
    async def action_load_older(self) -> None:
        """Load the previous page of the conversation above what is shown."""
        if self.services is None or self.services.chat.session is None or self._oldest_seq is None:
            return
        size = self.services.settings.ui.history_page
        events = await self.services.store.history_page(self.services.chat.session.id, before_seq=self._oldest_seq, limit=size)
        more, before = len(events) >= size, self._oldest_seq
        plans = await interact.plan_events(self.services.store, self.services.chat.session.id)
        await self._mount_page(interact.merge_plans(events, plans, more=more, before_seq=before), prepend=True, more=more)

    # -- turns ---------------------------------------------------------------------------------
    @on(PromptInput.Changed)
    def _prompt_changed(self, event: PromptInput.Changed) -> None:
        self.query_one(SlashHint).show_for(event.text_area.text)

    @on(PromptInput.Submitted)
    def _submitted(self, message: PromptInput.Submitted) -> None:
        if message.text.startswith("/") and self.services is not None:
            self.run_worker(self.slash.run(message.text), group="slash", exit_on_error=False)
            return
        if self.services is None:
            self.notify("Still starting: the model client is not ready yet.", severity="warning")
            return
        if self.services.chat.running:
            self.notify("A reply is still streaming. Press Esc to cancel it.", severity="warning")
            return
        self.status.state = "streaming…"
        self._turn = self._run_turn(message.text)

    @work(group="chat-turn", exit_on_error=False)
    async def _run_turn(self, text: str) -> None:
        assert self.services is not None
        started = time.monotonic()
        await self.services.chat.send(text)
        self.log(f"turn took {time.monotonic() - started:.2f}s")

    @on(Worker.StateChanged)
    def _worker_state(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "chat-turn" and event.state == WorkerState.ERROR:
            from workbench.core.runtime import LogWriteError

            if isinstance(event.worker.error, LogWriteError):  # the disk, not the model: say how to fix it
                self.notify(f"The turn stopped: {event.worker.error}.", severity="error", timeout=30)
                self.status.state = "event log not writable: fix the disk, then send again"
                return
            self.notify(f"The turn failed: {event.worker.error}", severity="error")
            self.status.state = "ready"

    async def action_tool_details(self) -> None:
        """Expand every tool call's details, or collapse them all when all are expanded."""
        views = list(self.view.query(ToolCallView))
        expand = not all(v.expanded for v in views)
        for view in views:
            await view.set_expanded(expand)

    async def action_cycle_mode(self) -> None:
        """Switch to the next permission mode (ask -> auto-edit -> full-auto -> read-only)."""
        if self.services is None:
            return
        mode = await self.services.chat.set_mode(self.services.chat.permissions.mode.next())
        self.status.mode = mode.value
        self.notify(f"Permission mode: {mode.value}")

    def action_cancel(self) -> None:
        """Cancel the reply in flight; ``esc esc`` on an empty prompt opens the rewind screen."""
        if self._turn is not None and self._turn.is_running:
            self._turn.cancel()
            self.status.state = "cancelling…"
            return
        if self.services is not None and self.services.chat.running:
            # a turn started elsewhere (a spec task): Esc cancels it too
            for worker in self.app.workers:
                if worker.group == "spec-task-turn" and worker.is_running:
                    worker.cancel()
                    self.status.state = "cancelling…"
            return
        now = time.monotonic()
        prompt = self.query_one(PromptInput)
        if not prompt.text.strip() and now - getattr(self, "_last_escape", 0.0) < 0.6:
            self._last_escape = 0.0
            self.open_rewind()
        else:
            self._last_escape = now

    async def scroll_to_seq(self, seq: int) -> bool:
        """Scroll the conversation to the message at (or just after) event ``seq``, loading older
        pages as needed; returns False when it is not in the current session."""
        for _ in range(50):
            for widget in self.view.children:
                wseq = getattr(widget, "seq", 0)
                if wseq and wseq >= seq:
                    self.view.scroll_to_widget(widget, animate=False, top=True)
                    widget.add_class("-flash")
                    self.set_timer(1.5, lambda w=widget: w.remove_class("-flash"))
                    return True
            if self._oldest_seq is None or self._oldest_seq <= seq or not self.view.query("#older"):
                break
            await self.action_load_older()
        return False

    @work(group="rewind", exclusive=True)
    async def open_rewind(self, checkpoint: str | None = None) -> None:
        """Show the rewind screen; apply what it returns (reload the chat, put the prompt back)."""
        from workbench.ui.screens.rewind import RewindScreen

        if self.services is None:
            return
        service = self.services.checkpoints
        if service is None:
            self.notify("Checkpoints are off in this workspace.", severity="warning")
            return
        if self.services.chat.running:
            self.notify("The agent is running: wait for the turn to end (or Esc) before rewinding.", severity="warning")
            return
        checkpoints = await service.list()
        result = await self.app.push_screen_wait(RewindScreen(service, checkpoints, select=checkpoint))
        if result is None:
            return
        await self.show_history()
        if result.prompt:
            prompt = self.query_one(PromptInput)
            prompt.load_text(result.prompt)
            prompt.focus()
        what = {
            "files": "Files restored",
            "conversation": "Conversation forked",
            "both": "Files restored and conversation forked",
        }[result.scope]
        undo = f"; undo: rewind to {result.before[:8]}" if result.before else ""
        self.notify(f"{what} to checkpoint {result.checkpoint[:8]}{undo}.")

    async def action_new_session(self) -> None:
        """Start a new session (the current one is closed cleanly)."""
        if self.services is None:
            return
        if self.services.chat.running:
            self.notify("Cancel the reply in flight first (Esc).", severity="warning")
            return
        await self.services.chat.new_session()
        await self.show_history()
        self.query_one(PromptInput).focus()
        self.notify("New session.")

    async def open_session(self, session_id: str) -> None:
        """Resume ``session_id`` and show its history."""
        assert self.services is not None
        if self.services.chat.running:
            self.notify("Cancel the reply in flight first (Esc).", severity="warning")
            return
        await self.services.chat.open(session_id)
        await self.show_history()
        info = self.services.chat.session
        self.notify(f"Resumed {info.id}: {info.title or '(untitled)'}")
        await self._offer_continue()
        self._reattach_sandbox()

    async def _offer_continue(self) -> None:
        """Offer ``/continue`` when the resumed session's last reply was cut off."""
        from workbench.core.chat.resume import last_interrupted_reply

        assert self.services is not None
        store = self.services.store
        info = self.services.chat.session
        if info is None or await store.call(last_interrupted_reply, store.sync, info.id) is None:
            return
        self.notify(
            "The last reply was interrupted. Type /continue to continue the interrupted reply.", severity="warning", timeout=20
        )

    def continue_reply(self) -> bool:
        """Send the "continue where you were cut off" prompt; False when a turn is running."""
        from workbench.core.chat.resume import CONTINUE_PROMPT

        if self.services is None or self.services.chat.running:
            return False
        self.status.state = "streaming…"
        self._turn = self._run_turn(CONTINUE_PROMPT)
        return True

    @work(group="sandbox-reattach", exclusive=True, exit_on_error=False)
    async def _reattach_sandbox(self) -> None:
        """Find the resumed session's container again (attach, start or recreate), off the UI path."""
        from workbench.core.sandbox.reattach import reattach_on_resume

        if self.services is None:
            return
        result = await reattach_on_resume(self.services)
        if result.outcome == "failed":
            self.notify(result.message, severity="warning", timeout=10)
        elif result.outcome != "none":
            self.notify(f"Sandbox container {result.outcome}.", timeout=4)
