"""The chat status bar: model, session, tokens, mode, and what the chat is doing."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

SEP = "  │  "
"""Between the parts (``SEP_NARROW`` when the full line does not fit)."""
SEP_NARROW = " │ "


class ChatStatus(Static):
    """One line: ``● [untrusted │] model │ session │ tokens │ [plan D/N │] mode M │ state``.

    When the line is wider than the bar (an 80-column terminal), it shrinks in this order: narrow
    separators, the session's title (its id stays), the session id, the token count; the trust
    warning, the model, the permission mode and the state always stay.
    """

    DEFAULT_CSS = "ChatStatus { height: 1; padding: 0 1; background: $panel; color: $text-muted; }"

    model: reactive[str] = reactive("")
    session: reactive[str] = reactive("new session")
    tokens: reactive[str] = reactive("0 tokens")
    cost: reactive[str] = reactive("")
    mode: reactive[str] = reactive("ask")
    state: reactive[str] = reactive("starting…")
    plan: reactive[str] = reactive("")
    """The agent's plan progress, ``"plan 2/5"`` (empty without a plan; see ``update_plan``)."""
    trust: reactive[str] = reactive("")
    """``"untrusted"`` while workspace files are ignored for lack of trust (else empty)."""

    def _line(self, sep: str, session: str | None, tokens: bool) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append("● ", style="bold green" if self.state == "ready" else "bold yellow")
        if self.trust:  # first, so it stays visible in a narrow pane
            text.append(self.trust, style="bold yellow")
            text.append(sep)
        text.append(self.model or "no model", style="bold")
        if session:
            text.append(sep)
            text.append(session)
        if tokens:
            text.append(sep)
            text.append(self.tokens)
            if self.cost:
                text.append(f" {self.cost}")
        if self.plan:
            text.append(sep)
            text.append(self.plan, style="bold cyan")
        text.append(sep)
        text.append(f"mode {self.mode}", style="bold magenta" if self.mode == "full-auto" else "bold")
        text.append(sep)
        text.append(self.state, style="italic")
        return text

    def render(self) -> Text:
        width = self.content_region.width or 10_000
        session_id = self.session if self.session == "new session" else self.session.split(" ", 1)[0]
        for sep, session, tokens in (
            (SEP, self.session, True),
            (SEP_NARROW, self.session, True),
            (SEP_NARROW, session_id, True),
            (SEP_NARROW, None, True),
            (SEP_NARROW, None, False),
        ):
            line = self._line(sep, session, tokens)
            if line.cell_len <= width:
                return line
        return line
