"""The multi-line prompt: Enter sends, shift+enter or ctrl+j inserts a newline."""

from __future__ import annotations

from dataclasses import dataclass

from textual import events
from textual.binding import Binding
from textual.message import Message

from workbench.ui._textual_compat.text_area import KeyFirstTextArea


class PromptInput(KeyFirstTextArea):
    """Multi-line prompt input.

    Keys: ``enter`` submits (posts :class:`PromptInput.Submitted`), ``shift+enter`` / ``ctrl+j``
    insert a newline, ``up`` on the first line recalls earlier prompts.
    """

    DEFAULT_CSS = """
    PromptInput { height: auto; min-height: 3; max-height: 12; border: tall $border; }
    PromptInput:focus { border: tall $primary; }
    """

    BINDINGS = [
        Binding("enter", "submit", "Send", id="chat.send", tooltip="Send the prompt"),
        Binding("shift+enter,ctrl+j", "newline", "Newline", id="chat.newline", tooltip="Insert a newline"),
    ]

    @dataclass
    class Submitted(Message):
        """The user pressed Enter with this text."""

        text: str

    def __init__(self, **kwargs) -> None:
        super().__init__(soft_wrap=True, show_line_numbers=False, tab_behavior="focus", **kwargs)
        self.prompt_history: list[str] = []
        self._history_pos: int | None = None

    def key_before_edit(self, event: events.Key) -> bool:
        """Enter submits, shift+enter/ctrl+j insert a newline, tab completes a slash command, up on
        the first line recalls the previous prompt (see ``KeyFirstTextArea``)."""
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            self.action_submit()
            return True
        if event.key in ("shift+enter", "ctrl+j"):
            event.stop()
            event.prevent_default()
            self.action_newline()
            return True
        if event.key == "tab" and self.text.startswith("/") and "\n" not in self.text:
            from workbench.ui.chat.slash import complete

            done = complete(self.text)
            event.stop()
            event.prevent_default()
            if done is not None:
                self.load_text(done)
                self.move_cursor(self.document.end)
            return True
        if event.key == "up" and self.cursor_location[0] == 0 and self.prompt_history:
            event.stop()
            event.prevent_default()
            pos = len(self.prompt_history) if self._history_pos is None else self._history_pos
            pos = max(0, pos - 1)
            self._history_pos = pos
            self.load_text(self.prompt_history[pos])
            return True
        return False

    def action_submit(self) -> None:
        """Post the text (if not blank) and clear the input."""
        text = self.text
        if not text.strip():
            return
        self.prompt_history.append(text)
        self._history_pos = None
        self.clear()
        self.post_message(self.Submitted(text))

    def action_newline(self) -> None:
        """Insert a newline at the cursor."""
        self.insert("\n")
