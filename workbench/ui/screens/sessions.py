"""The session picker: choose an earlier session of this workspace to resume."""

from __future__ import annotations

import time

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from workbench.core.runtime import SessionInfo


class SessionPicker(ModalScreen[str | None]):
    """Lists sessions (newest first); Enter resumes the highlighted one.

    Dismisses with the chosen session id, or None.
    """

    DEFAULT_CSS = """
    SessionPicker { align: center middle; }
    SessionPicker > Vertical { width: 100; max-width: 95%; height: 70%; border: thick $primary; background: $surface; }
    SessionPicker OptionList { height: 1fr; border: none; }
    """
    BINDINGS = [
        Binding("escape", "dismiss_none", "Close", id="sessions.close", tooltip="Close without resuming"),
        Binding("enter", "choose", "Resume", id="sessions.resume", tooltip="Resume the highlighted session", show=False),
    ]

    def __init__(self, sessions: list[SessionInfo], current: str | None = None) -> None:
        super().__init__()
        self.sessions = sessions
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(" [b]Resume a session[/b]  (Enter resumes, Esc closes)")
            options = []
            for s in self.sessions:
                when = time.strftime("%Y-%m-%d %H:%M", time.localtime(s.updated))
                label = Text()
                label.append(f"{s.id}  ", style="bold")
                label.append(f"{when}  {s.message_count:>3} msgs  ")
                label.append(f"{s.status:<7} ", style="yellow" if s.status == "crashed" else "dim")
                label.append(s.title or "(untitled)")
                if s.id == self.current:
                    label.append("  (current)", style="italic")
                options.append(Option(label, id=s.id))
            if not options:
                options.append(Option("No sessions yet in this workspace.", id="", disabled=True))
            yield OptionList(*options, id="session-list")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id or None)

    def action_choose(self) -> None:
        """Resume the highlighted session."""
        ol = self.query_one(OptionList)
        if ol.highlighted is not None:
            opt = ol.get_option_at_index(ol.highlighted)
            self.dismiss(opt.id or None)

    def action_dismiss_none(self) -> None:
        """Close without choosing."""
        self.dismiss(None)
