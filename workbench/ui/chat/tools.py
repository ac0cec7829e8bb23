"""How tool calls appear in the chat: one compact line per call, its details one key away.

The line shows a short summary of the call (the path for file tools, the command for
``run_command``, ``server/tool`` for an MCP plugin tool) and the outcome. Enter on the line, a
click on it, or ``ctrl+o`` in the chat (every call at once) expands the full arguments and the
full result (what the model got back, MCP results included); the diff of a file change stays a
collapsed block of its own.
"""

from __future__ import annotations

import json
from typing import Any

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Collapsible, Static

from workbench.core.sanitize import sanitize

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

RESULT_LIMIT = 20_000
"""Most characters of a result shown when expanded (the event log keeps all of it)."""

MCP_PREFIX = "mcp__"


def parse_arguments(arguments: str) -> Any:
    """The call's JSON arguments as Python data (the raw text when it is not valid JSON)."""
    try:
        return json.loads(arguments) if arguments.strip() else {}
    except ValueError:
        return arguments


def display_name(name: str) -> str:
    """``mcp__files__read`` -> ``files/read``; built-in tool names unchanged."""
    if name.startswith(MCP_PREFIX) and "__" in name[len(MCP_PREFIX) :]:
        server, _, tool = name[len(MCP_PREFIX) :].partition("__")
        return f"{server}/{tool}"
    return name


def call_summary(name: str, arguments: str, limit: int = 70) -> str:
    """A short description of a call: its path(s), its command, or its first short argument.

    Args:
        name: the tool name.
        arguments: the call's raw JSON arguments.
        limit: longest result (characters); longer is cut with ``…``.
    """
    data = parse_arguments(arguments)
    if not isinstance(data, dict):
        text = str(data)
    elif isinstance(data.get("command"), str):
        text = data["command"]
    elif isinstance(data.get("src"), str) and isinstance(data.get("dst"), str):
        text = f"{data['src']} → {data['dst']}"
    elif isinstance(data.get("path"), str) and isinstance(data.get("pattern"), str):
        text = f"{data['pattern']} in {data['path']}"
    elif isinstance(data.get("path"), str):
        text = data["path"]
    elif isinstance(data.get("pattern"), str):
        text = data["pattern"]
    elif isinstance(data.get("question"), str):  # ask_user
        text = data["question"]
    elif isinstance(data.get("items"), list):  # update_plan
        text = f"{len(data['items'])} item(s)"
    else:
        short = [
            f"{k}={v}"
            for k, v in data.items()
            if isinstance(v, (str, int, float, bool)) and len(str(v)) <= 40 and "\n" not in str(v)
        ]
        text = " ".join(short[:3])
    text = sanitize(text)  # the model's arguments may echo escapes from a tool result
    text = " ".join(text.split("\n", 1)[0].split()) + (" …" if "\n" in text.strip() else "")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def details_text(arguments: str, result: str | None, edited: bool) -> Text:
    """The expanded view: every argument in full, then the result the model got back.

    Both go through :func:`workbench.core.sanitize.sanitize`: the result is escaped already when
    it is logged, the arguments (the model's text) are escaped here, so no escape sequence, bidi
    override or zero-width character reaches the terminal.
    """
    arguments = sanitize(arguments)
    result = sanitize(result) if result is not None else None
    out = Text()
    out.append("arguments", style="bold")
    if edited:
        out.append("  (the model's proposal: the user edited the content before it was applied)", style="italic yellow")
    out.append("\n")
    data = parse_arguments(arguments)
    if isinstance(data, dict):
        for key, value in data.items():
            if isinstance(value, str) and ("\n" in value or len(value) > 60):
                out.append(f"  {key}:\n", style="dim")
                out.append("".join(f"    {line}\n" for line in value.splitlines() or [""]))
            else:
                shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                out.append(f"  {key}", style="dim")
                out.append(f" = {shown}\n")
    else:
        out.append(f"  {data}\n")
    if result is not None:
        out.append("result", style="bold")
        out.append("\n")
        shown = (
            result
            if len(result) <= RESULT_LIMIT
            else result[:RESULT_LIMIT] + f"\n… ({len(result) - RESULT_LIMIT:,} more characters in the event log)"
        )
        out.append("".join(f"  {line}\n" for line in shown.splitlines() or [""]))
    return out


class ToolCallView(Vertical, can_focus=True):
    """A tool call: ``icon name summary → outcome (duration)``; Enter or a click toggles details."""

    DEFAULT_CSS = """
    ToolCallView { height: auto; margin: 0 0 0 2; }
    ToolCallView > .tool-line { height: auto; }
    ToolCallView:focus > .tool-line { background: $boost; }
    ToolCallView > .tool-details { display: none; height: auto; margin: 0 0 0 2; color: $text-muted; }
    ToolCallView.-expanded > .tool-details { display: block; }
    ToolCallView Collapsible { border: none; padding: 0; margin: 0 0 0 2; background: transparent; }
    """
    BINDINGS = [
        Binding("enter", "toggle", "Details", id="chat.tool.toggle", tooltip="Show or hide the call's full arguments and result"),
    ]

    def __init__(self, call_id: str, name: str, arguments: str) -> None:
        super().__init__()
        self.call_id = call_id
        self.tool_name = name
        self.arguments = arguments
        self.state = "requested"
        self.detail = ""
        self.result: str | None = None
        """The full result the model got back (``tool.finished`` content)."""
        self.edited = False
        """The user edited the proposed content before it was applied."""
        self._line = Static(classes="tool-line", markup=False)
        self._details: Static | None = None
        self._diff_shown = False
        self.pending_diff: str | None = None
        """A diff to show once mounted (history replay)."""

    @property
    def expanded(self) -> bool:
        """Whether the full arguments and result are shown."""
        return self.has_class("-expanded")

    def compose(self) -> ComposeResult:
        yield self._line

    async def on_mount(self) -> None:
        self._refresh_line()
        if self.pending_diff:
            await self.show_diff(self.pending_diff, getattr(self.app, "code_theme", "monokai"))

    def line_text(self) -> Text:
        """The one-line rendering of the call."""
        icon, style = ICONS.get(self.state, ("•", ""))
        text = Text()
        text.append(f"{icon} ", style=style)
        text.append(display_name(self.tool_name), style="bold")
        summary = call_summary(self.tool_name, self.arguments)
        if summary:
            text.append(f" {summary}", style="dim")
        if self.detail:
            text.append(f"  → {self.detail}", style="red" if self.state in ("error", "denied", "timeout") else "")
        text.append(" ▾" if self.expanded else " ▸", style="dim")
        return text

    def _refresh_line(self) -> None:
        self._line.update(self.line_text())

    def set_state(self, state: str, detail: str = "") -> None:
        """Update the status icon and the trailing detail."""
        self.state = state
        if detail:
            self.detail = detail
        if self.is_mounted:
            self._refresh_line()

    def set_result(self, content: str | None, *, edited: bool = False) -> None:
        """Keep the full result (shown when expanded)."""
        self.result = content
        self.edited = edited
        if self._details is not None:
            self._details.update(details_text(self.arguments, self.result, self.edited))

    async def action_toggle(self) -> None:
        """Show or hide the full arguments and result."""
        await self.set_expanded(not self.expanded)

    async def set_expanded(self, expanded: bool) -> None:
        """Show (True) or hide the details."""
        if expanded and self._details is None:
            self._details = Static(details_text(self.arguments, self.result, self.edited), classes="tool-details", markup=False)
            await self.mount(self._details, after=self._line)
        self.set_class(expanded, "-expanded")
        self._refresh_line()

    async def on_click(self, event: events.Click) -> None:
        """A click on the line toggles the details (clicks inside them or the diff do not)."""
        if event.widget is self._line:
            event.stop()
            await self.action_toggle()

    async def show_diff(self, diff: str | None, theme: str) -> None:
        """Add the call's unified diff, collapsed."""
        if not diff or self._diff_shown:
            return
        self._diff_shown = True
        from rich.syntax import Syntax  # on first use: keeps Pygments off the first frame

        lines = diff.count("\n")
        body = Static(Syntax(diff, "diff", theme=theme, word_wrap=True))
        await self.mount(Collapsible(body, title=f"diff ({lines} lines)", collapsed=True))
