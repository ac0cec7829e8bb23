"""``ctrl+g`` then a digit: focus a pane with keys every terminal sends.

``alt+1`` … ``alt+5`` reach the app only where the terminal sends Alt as ``ESC`` + key (tmux,
GNOME Terminal, Windows Terminal, iTerm2 with "Option as Esc+"; see
:mod:`workbench.ui._textual_compat.patches`). xterm's default ``eightBitInput``, Terminal.app and iTerm2's
default Option key type a character instead, and ``ctrl+digit`` is plain ``1`` in most terminals.
``ctrl+g`` (a C0 control code every terminal sends) followed by a plain digit always works.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import Static

PANES = (
    ("1", "chat", "Chat"),
    ("2", "specs", "Specs"),
    ("3", "journal", "Journal"),
    ("4", "containers", "Containers"),
    ("5", "plugins", "Plugins"),
)
"""``(digit, pane id, title)`` in pane order."""


class GotoPane(ModalScreen[str | None]):
    """A one-line prompt ``Pane: 1 Chat · 2 Specs …``; dismisses with the chosen pane id, or None."""

    DEFAULT_CSS = """
    GotoPane { align: center bottom; background: $background 0%; }
    GotoPane > Static { width: auto; max-width: 100%; height: 1; margin: 0 0 2 0; padding: 0 1; background: $primary; color: $text; }
    """
    BINDINGS = [
        *(
            Binding(digit, f"pick('{pane}')", title, id=f"goto.{pane}", show=False, tooltip=f"Focus the {title} pane")
            for digit, pane, title in PANES
        ),
        Binding("escape,ctrl+g", "pick('')", "Cancel", id="goto.cancel", tooltip="Back without moving the focus"),
    ]

    def compose(self) -> ComposeResult:
        choices = " · ".join(f"{digit} {title}" for digit, _, title in PANES)
        yield Static(f"Pane: {choices}  (esc cancels)", markup=False)

    def action_pick(self, pane: str) -> None:
        """Close, returning ``pane`` (None for an empty name)."""
        self.dismiss(pane or None)
