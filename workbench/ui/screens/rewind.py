"""The rewind screen: the session's checkpoints, a diff preview against now, and restore.

Opened with ``esc esc`` on an empty prompt, ``/rewind`` or the palette. Keys: up/down choose a
checkpoint (the diff against the workspace now is previewed), ``f`` restore files, ``c`` restore
the conversation (forks the session; the prompt of that turn comes back into the input), ``b``
both, ``escape`` closes.
"""

from __future__ import annotations

import time

from rich.syntax import Syntax
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from workbench.core.event_payloads import CheckpointCreated
from workbench.core.events import Event


class RewindScreen(ModalScreen[object]):
    """Lists checkpoints (time, label, turn, files changed); dismisses with the RewindResult or None."""

    DEFAULT_CSS = """
    RewindScreen { align: center middle; }
    RewindScreen > Vertical { width: 95%; height: 90%; border: thick $accent; background: $surface; }
    RewindScreen #cp-list { width: 45%; height: 1fr; border: none; }
    RewindScreen #cp-diff { width: 55%; height: 1fr; border-left: solid $border; padding: 0 1; }
    RewindScreen #cp-keys { height: auto; color: $text-muted; padding: 0 1; }
    """
    BINDINGS = [
        Binding("f", "restore('files')", "Files", id="rewind.files", tooltip="Restore the workspace files to this checkpoint"),
        Binding(
            "c",
            "restore('conversation')",
            "Conversation",
            id="rewind.conversation",
            tooltip="Fork the conversation at this checkpoint",
        ),
        Binding("b", "restore('both')", "Both", id="rewind.both", tooltip="Restore files and fork the conversation"),
        Binding("escape", "close", "Close", id="rewind.close", tooltip="Close without restoring"),
    ]

    def __init__(self, service, checkpoints: list[Event], select: str | None = None) -> None:
        super().__init__()
        self._select = select
        self.service = service
        self.checkpoints = list(reversed(checkpoints))  # newest first
        self.preview_text = ""
        """The diff currently previewed (against the workspace now)."""

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(" [b]Rewind[/b]: choose a checkpoint (newest first)", markup=True)
            with Horizontal():
                options = []
                for e in self.checkpoints:
                    p = CheckpointCreated.of(e)
                    t = Text()
                    t.append(time.strftime("%H:%M:%S ", time.localtime(e.ts)), style="dim")
                    t.append(p.label or "checkpoint", style="bold")
                    n = len(p.files_changed or [])
                    t.append(f"  {p.checkpoint[:8]}", style="dim")
                    t.append(f"  {n} file{'s' if n != 1 else ''} changed")
                    options.append(Option(t, id=f"cp-{e.seq}"))  # unique per checkpoint: commits repeat
                if not options:
                    options.append(
                        Option(
                            "No checkpoints in this session yet: they are taken before the first change of a turn.", disabled=True
                        )
                    )
                yield OptionList(*options, id="cp-list")
                with VerticalScroll(id="cp-diff"):
                    yield Static("", id="cp-diff-body")
            yield Static(
                "f restore files · c restore conversation (fork) · b both · esc close — every restore takes a checkpoint first, so it can be undone",
                id="cp-keys",
            )

    def on_mount(self) -> None:
        if self.checkpoints:
            index = 0
            if self._select:
                for i, e in enumerate(self.checkpoints):
                    if CheckpointCreated.of(e).checkpoint.startswith(self._select):
                        index = i
            self.query_one(OptionList).highlighted = index
            self.query_one(OptionList).focus()

    def _checkpoint_of(self, option_id: str | None) -> Event | None:
        """The ``checkpoint.created`` event an option stands for (ids are ``cp-<event seq>``)."""
        for e in self.checkpoints:
            if option_id == f"cp-{e.seq}":
                return e
        return None

    @on(OptionList.OptionHighlighted, "#cp-list")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        chosen = self._checkpoint_of(event.option.id)
        if chosen is not None:
            self._preview(CheckpointCreated.of(chosen).checkpoint)

    @work(exclusive=True, group="rewind-diff")
    async def _preview(self, checkpoint: str) -> None:
        body = self.query_one("#cp-diff-body", Static)
        try:
            stat = await self.service.diff(checkpoint, stat=True)
            diff = await self.service.diff(checkpoint)
        except Exception as exc:
            body.update(Text(f"Cannot diff: {exc}", style="red"))
            return
        self.preview_text = diff
        warning = self._unstored_note(checkpoint)
        if not diff.strip():
            body.update(Text(warning + "No difference: the workspace equals this checkpoint.", style="green"))
            return
        from rich.console import Group

        body.update(
            Group(
                Text(warning, style="bold yellow"),
                Text(stat.rstrip() + "\n", style="bold"),
                Syntax(diff[:200_000], "diff", word_wrap=False),
            )
        )

    def _unstored_note(self, checkpoint: str) -> str:
        """ "Not stored (a rewind cannot restore them): big.bin (52 MB, over max_file_bytes)" or ""."""
        from workbench.core.checkpoints.rewind_record import could_not_store, describe_skipped

        for e in self.checkpoints:
            created = CheckpointCreated.of(e)
            if created.checkpoint == checkpoint:
                lost = [(p, r) for p, r in created.skipped or [] if could_not_store(r)]
                if lost:
                    return (
                        "Not stored in this checkpoint (a rewind cannot restore them): "
                        + ", ".join(describe_skipped(p, r) for p, r in lost[:10])
                        + "\n"
                    )
        return ""

    @property
    def selected(self) -> Event | None:
        """The highlighted checkpoint's ``checkpoint.created`` event (None when there is none)."""
        return self._selected()

    def _selected(self) -> Event | None:
        ol = self.query_one(OptionList)
        if ol.highlighted is None:
            return None
        return self._checkpoint_of(ol.get_option_at_index(ol.highlighted).id)

    @work(exclusive=True, group="rewind-restore")
    async def action_restore(self, scope: str) -> None:
        """Restore the highlighted checkpoint with ``scope`` (files, conversation, both)."""
        chosen = self._selected()
        if chosen is None:
            return
        try:
            result = await self.service.rewind(CheckpointCreated.of(chosen).checkpoint, scope, seq=chosen.seq)
        except Exception as exc:
            self.notify(f"Rewind refused: {exc}", severity="error", timeout=8)
            return
        for line in result.warnings():
            self.notify(line, severity="warning", timeout=15)
        self.dismiss(result)

    def action_close(self) -> None:
        """Close without restoring."""
        self.dismiss(None)
