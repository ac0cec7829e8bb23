"""Yes/no dialogs of the Plugins pane: trusting a workspace server, approving changed tools."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class ConfirmModal(ModalScreen[bool]):
    """Shows a title and an untruncated, scrollable body; dismisses with True (y) or False (n, Esc).

    Args:
        title: one line, e.g. ``Trust the MCP server "files"?``.
        body: the text to review (shown as is, no markup, never truncated; it scrolls).
        yes_label: label of the accepting button.
        revealed_body: the same text with secret-looking values in clear; when given, key ``r``
            toggles between the two (the masked one is shown first).
    """

    DEFAULT_CSS = """
    ConfirmModal { align: center middle; }
    ConfirmModal > Vertical {
        width: 90%; max-width: 120; height: auto; max-height: 90%;
        border: thick $warning; background: $surface; padding: 0 1;
    }
    ConfirmModal #confirm-title { text-style: bold; padding: 0 0 1 0; }
    ConfirmModal VerticalScroll { height: auto; max-height: 24; }
    ConfirmModal #confirm-body { width: 100%; }
    ConfirmModal Horizontal { height: auto; padding: 1 0 0 0; }
    ConfirmModal Button { margin: 0 1 0 0; }
    ConfirmModal #confirm-hint { width: auto; padding: 1 0 0 1; color: $text-muted; }
    """
    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="confirm.yes", tooltip="Accept"),
        Binding("n,escape", "answer(False)", "No", id="confirm.no", tooltip="Refuse and close"),
        Binding("r", "toggle_reveal", "Reveal", id="confirm.reveal", tooltip="Show or hide secret-looking values"),
    ]

    def __init__(self, title: str, body: str, *, yes_label: str = "Yes (y)", revealed_body: str | None = None) -> None:
        super().__init__()
        self.title_text = title
        """The question shown on top."""
        self.body = body
        """The text shown now (masked until revealed)."""
        self._masked_body = body
        self._revealed_body = revealed_body
        self._yes_label = yes_label
        self.revealed = False
        """True while secret-looking values are shown in clear."""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Offer ``r`` only when there is something to reveal."""
        if action == "toggle_reveal":
            return self._revealed_body is not None and self._revealed_body != self._masked_body
        return True

    def action_toggle_reveal(self) -> None:
        """Switch between the masked and the revealed text."""
        if self._revealed_body is None:
            return
        self.revealed = not self.revealed
        self.body = self._revealed_body if self.revealed else self._masked_body
        self.query_one("#confirm-body", Static).update(self.body)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.title_text, id="confirm-title", markup=False)
            with VerticalScroll():
                yield Static(self.body, id="confirm-body", markup=False)
            with Horizontal():
                yield Button(self._yes_label, id="confirm-yes", variant="warning")
                yield Button("No (n)", id="confirm-no")
                if self._revealed_body is not None and self._revealed_body != self._masked_body:
                    yield Static("r: reveal/hide secret values", id="confirm-hint")

    def on_mount(self) -> None:
        self.query_one("#confirm-no", Button).focus()

    def action_answer(self, answer: bool) -> None:
        """Close the dialog with ``answer``."""
        self.dismiss(answer)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm-yes")
