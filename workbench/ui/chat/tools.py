"""How tool calls appear in the chat: one compact block per call, updated as its events arrive."""

from __future__ import annotations

import json

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Collapsible, Static

ICONS = {
    "requested": ("…", "dim"),
    "waiting": ("?", "bold yellow"),
    "running": ("▶", "bold cyan"),
    "ok": ("✔", "bold green"),
    "error": ("✖", "bold red"),
    "timeout": ("⧗", "bold red"),
    "cancelled": ("⏹", "bold yellow"),
    "denied": ("⊘", "bold red"),
    "unknown": ("⚠", "bold yellow"),
    "skipped": ("⊘", "dim"),
}


def short_args(arguments: str, limit: int = 90) -> str:
    """One-line rendering of a call's JSON arguments (``key=value``), cut to ``limit`` chars."""
    try:
        data = json.loads(arguments) if arguments.strip() else {}
    except ValueError:
        text = arguments.replace("\n", " ")
    else:
        if isinstance(data, dict):
            parts = []
            for key, value in data.items():
                shown = value if isinstance(value, str) else json.dumps(value)
                shown = shown.replace("\n", "⏎")
                if len(shown) > 40:
                    shown = shown[:39] + "…"
                parts.append(f"{key}={shown}")
            text = " ".join(parts)
        else:
            text = str(data)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class ToolCallView(Vertical):
    """A tool call: ``icon name args → summary (duration)``, with its diff collapsed below."""

    DEFAULT_CSS = """
    ToolCallView { height: auto; margin: 0 0 0 2; }
    ToolCallView > .tool-line { height: auto; }
    ToolCallView Collapsible { border: none; padding: 0; margin: 0 0 0 2; background: transparent; }
    """

    def __init__(self, call_id: str, name: str, arguments: str) -> None:
        super().__init__()
        self.call_id = call_id
        self.tool_name = name
        self.arguments = arguments
        self.state = "requested"
        self.detail = ""
        self._line = Static(classes="tool-line")
        self._diff_shown = False
        self.pending_diff: str | None = None
        """A diff to show once mounted (history replay)."""

    def compose(self) -> ComposeResult:
        yield self._line

    async def on_mount(self) -> None:
        self._refresh_line()
        if self.pending_diff:
            await self.show_diff(self.pending_diff, getattr(self.app, "code_theme", "monokai"))

    def _refresh_line(self) -> None:
        icon, style = ICONS.get(self.state, ("•", ""))
        text = Text()
        text.append(f"{icon} ", style=style)
        text.append(self.tool_name, style="bold")
        text.append(f" {short_args(self.arguments)}", style="dim")
        if self.detail:
            text.append(f"  → {self.detail}", style="red" if self.state in ("error", "denied", "timeout") else "")
        self._line.update(text)

    def set_state(self, state: str, detail: str = "") -> None:
        """Update the status icon and the trailing detail."""
        self.state = state
        if detail:
            self.detail = detail
        if self.is_mounted:
            self._refresh_line()

    async def show_diff(self, diff: str | None, theme: str) -> None:
        """Add the call's unified diff, collapsed."""
        if not diff or self._diff_shown:
            return
        self._diff_shown = True
        from rich.syntax import Syntax  # on first use: keeps Pygments off the first frame

        lines = diff.count("\n")
        body = Static(Syntax(diff, "diff", theme=theme, word_wrap=True))
        await self.mount(Collapsible(body, title=f"diff ({lines} lines)", collapsed=True))
