"""Following the selected container's log in the Containers pane: the reader, pause, search, clear.

:class:`LogFollowing` is a mixin of :class:`~workbench.ui.containers.pane.ContainersPane`: the
selected container's output is followed by a :class:`~workbench.core.sandbox.logs.LogFollower`
(one reader thread) whose batches go through the pane's
:class:`~workbench.ui.containers.ingest.LineIngest` into its bounded
:class:`~workbench.ui.containers.logview.ContainerLog`; stderr lines start with ``▌``. Output of
commands (the agent's ``run_command`` or ``!`` in the pane) is fed into the same view and file.
While following is paused, new lines are held (bounded) and written when it resumes.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import TYPE_CHECKING, Any

from textual import work
from textual.content import Content
from textual.reactive import reactive
from textual.widget import Widget

from workbench.ui.containers.format import STDERR_MARK

if TYPE_CHECKING:
    from textual.containers import Vertical

    from workbench.core.sandbox.containers import ContainerInfo
    from workbench.core.sandbox.logs import LogBatch, LogFollower
    from workbench.core.sandbox.service import SandboxService
    from workbench.ui.containers.ingest import LineIngest
    from workbench.ui.containers.logview import ContainerLog

    _Base = Vertical
else:
    _Base = object


class StatusLine(Widget):
    """One line of plain text under the table (following/paused, held lines, search).

    Unlike ``Static.update``, which lays out the whole screen again, a new text only repaints
    this line: it changes with every batch while following is paused and lines are held.
    """

    DEFAULT_CSS = """
    StatusLine { height: 1; }
    """

    text: reactive[str] = reactive("", layout=False)
    """The text shown (no markup)."""

    def render(self) -> Content:
        """Return the text as plain content (no markup: it holds the user's search term)."""
        return Content(self.text)


class LogFollowing(_Base):
    """The log half of the Containers pane (a mixin: the pane provides the widgets and service)."""

    service: SandboxService | None
    followed: ContainerInfo | None
    follower: LogFollower | None
    ingest: LineIngest | None
    paused: bool
    _held: deque[str]
    _search: str
    _match: int | None
    _parser: Any

    if TYPE_CHECKING:  # provided by the pane

        @property
        def log_view(self) -> ContainerLog: ...
        def selected(self) -> ContainerInfo | None: ...

    # -- status line ---------------------------------------------------------------------------
    def _status_text(self) -> str:
        if self.followed is None:
            return ""
        state = "paused" if self.paused else "following"
        text = f"{state} {self.followed.name} · {STDERR_MARK.strip()} marks stderr"
        if self.paused and self._held:
            text += f" · {len(self._held)} new line(s) held, f to resume"
        if self._search:
            text += f" · search {self._search!r}: n/N next/previous"
        return text

    def _update_status(self) -> None:
        self.query_one("#containers-status", StatusLine).text = self._status_text()

    # -- following -----------------------------------------------------------------------------
    def _check_follow(self) -> None:
        """Follow the selected container; follow it again when it was (re)started."""
        info = self.selected()
        if info is None:
            return
        current = self.followed
        ended = self.follower is not None and self.follower.join(0)
        if current is None or current.id != info.id:
            self._follow(info, clear=current is not None)
        elif ended and info.running and not (current.running and current.started_at == info.started_at):
            self._follow(info, clear=True)
        else:
            self.followed = info

    @work(group="containers-logs", exclusive=True, exit_on_error=False)
    async def _follow(self, info: ContainerInfo, clear: bool) -> None:
        from workbench.core.sandbox.logs import FrameParser

        old, self.follower = self.follower, None
        self.followed = info
        self._parser = FrameParser()
        if old is not None:
            await asyncio.to_thread(old.stop)
        if clear:
            self.log_view.clear()
            self._held.clear()
        self._update_status()
        assert self.service is not None
        ingest = self.ingest
        assert ingest is not None

        def on_batch(batch: LogBatch) -> None:
            ingest.push(batch.texts(STDERR_MARK))

        try:
            follower = await self.service.follow(info, on_batch)
        except Exception as exc:  # noqa: BLE001 - removed meanwhile, or the engine went away
            self.notify(f"Cannot follow {info.name}: {exc}", severity="warning")
            return
        if self.followed is not None and self.followed.id == info.id:
            self.follower = follower
        else:  # pragma: no cover - superseded while starting
            await asyncio.to_thread(follower.stop)

    def feed(self, stream: str, data: bytes) -> None:
        """Add output of a command in the followed container (from any thread) to the view and file."""
        follower = self.follower
        if follower is not None:
            follower.feed(stream, data)
            return
        from workbench.core.sandbox.logs import FrameParser, LogBatch

        out = LogBatch()
        parser = self._parser or FrameParser()
        self._parser = parser
        parser.add(stream, data, out)
        if self.ingest is not None:
            self.ingest.push(out.texts(STDERR_MARK))

    def _write_lines(self, lines: list[str]) -> None:
        if self.paused:
            self._held.extend(lines)
            self._update_status()
            return
        self.log_view.write_lines(lines)

    def flush_partial(self) -> None:
        """Show the partial last line of a command's output (its command ended)."""
        if self.follower is not None:
            self.follower.flush_feed()
            return
        if self._parser is not None and self.ingest is not None:
            from workbench.core.sandbox.logs import LogBatch

            rest = LogBatch()
            self._parser.flush(rest)
            self.ingest.push(rest.texts(STDERR_MARK))

    async def _stop_following(self) -> None:
        """Stop the reader thread (when the pane unmounts)."""
        follower, self.follower = self.follower, None
        if follower is not None:
            await asyncio.to_thread(follower.stop)

    # -- log keys ------------------------------------------------------------------------------
    def action_toggle_follow(self) -> None:
        """Pause following (the view stays still; new lines are held) or resume it."""
        self.paused = not self.paused
        log = self.log_view
        if not self.paused:
            if self._held:
                lines = list(self._held)
                self._held.clear()
                log.write_lines(lines, scroll_end=False)
            log.auto_scroll = True
            log.scroll_end(animate=False, immediate=True)
        else:
            log.auto_scroll = False
        self._update_status()

    def action_end(self) -> None:
        """Jump to the end of the log and follow it again."""
        if self.paused:
            self.action_toggle_follow()
        else:
            self.log_view.scroll_end(animate=False, immediate=True)

    def action_clear(self) -> None:
        """Clear the view (the log file on disk keeps everything)."""
        self.log_view.clear()
        self._held.clear()
        self._match = None
        self.log_view.refresh()
        self._update_status()

    def action_next_match(self, backwards: bool = False) -> None:
        """Jump to the next (or previous) line matching the search; pauses following."""
        if not self._search:
            self.notify("Press / to search first.")
            return
        log = self.log_view
        start = self._match if self._match is not None else (log.scroll_offset.y + log.size.height // 2)
        found = log.find(self._search, start, backwards)
        if found is None:
            self.notify(f"No line matches {self._search!r}.", severity="warning")
            return
        if not self.paused:
            self.action_toggle_follow()
        self._match = found
        log.show_line(found)
