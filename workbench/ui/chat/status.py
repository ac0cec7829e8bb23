"""The chat status bar: model, session, tokens, and what the chat is doing."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static


class ChatStatus(Static):
    """One line: ``[untrusted ·] model · session id title · tokens · mode · state``."""

    DEFAULT_CSS = "ChatStatus { height: 1; padding: 0 1; background: $panel; color: $text-muted; }"

    model: reactive[str] = reactive("")
    session: reactive[str] = reactive("new session")
    tokens: reactive[str] = reactive("0 tokens")
    cost: reactive[str] = reactive("")
    mode: reactive[str] = reactive("ask")
    state: reactive[str] = reactive("starting…")
    trust: reactive[str] = reactive("")
    """``"untrusted"`` while workspace files are ignored for lack of trust (else empty)."""

    def render(self) -> Text:
        text = Text()
        text.append("● ", style="bold green" if self.state == "ready" else "bold yellow")
        if self.trust:  # first, so it stays visible in a narrow pane
            text.append(self.trust, style="bold yellow")
            text.append("  │  ")
        text.append(self.model or "no model", style="bold")
        text.append("  │  ")
        text.append(self.session)
        text.append("  │  ")
        text.append(self.tokens)
        if self.cost:
            text.append(f" {self.cost}")
        text.append("  │  ")
        text.append(f"mode {self.mode}", style="bold magenta" if self.mode == "full-auto" else "bold")
        text.append("  │  ")
        text.append(self.state, style="italic")
        return text
