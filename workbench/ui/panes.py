"""Pane chrome and the panes whose feature is not built yet.

A pane that has nothing real to show says so plainly, with the issue that will bring it; it never
shows invented content.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static


class PlaceholderPane(Vertical, can_focus=True):
    """A pane whose feature is not built yet.

    Args:
        title: border title, e.g. ``"2 Specs"``.
        what: what the pane will show.
        when: which piece of work brings it.
    """

    ALLOW_MAXIMIZE = True
    DEFAULT_CSS = """
    PlaceholderPane > Static { color: $text-muted; padding: 0 1; }
    """

    def __init__(self, title: str, what: str, when: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.border_title = title
        self._what = what
        self._when = when

    def compose(self) -> ComposeResult:
        yield Static(f"Not built yet.\n\n{self._what}\n\n{self._when}", markup=False)


PLACEHOLDERS = {
    "specs": (
        "2 Specs",
        "Will list the spec documents (requirements in EARS, design, tasks) with their review status.",
        "Arrives with the spec-driven development work (issue #6). Try `workbench spec list` meanwhile.",
    ),
    "journal": (
        "3 Journal",
        "Will tail the journal of everything the agent did (prompts, tool calls, checkpoints, errors).",
        "Arrives with checkpoints and the journal (issue #5). `workbench sessions show ID` prints a conversation now.",
    ),
    "containers": (
        "4 Containers",
        "Will show the Docker sandbox containers of this workspace and follow their logs live.",
        "Arrives with the Docker sandbox (issue #4).",
    ),
    "plugins": (
        "5 Plugins",
        "Will show the MCP servers (plugins): state, tools, calls and stderr.",
        "Arrives with MCP plugins (issue #7).",
    ),
}


class PendingPane(Vertical):
    """Stands in for a side pane during the first frame; the real pane replaces it right after,
    so the side panes' imports and layout never delay the first frame."""

    DEFAULT_CSS = "PendingPane > Static { color: $text-muted; padding: 0 1; }"

    def __init__(self, pane_id: str) -> None:
        super().__init__(id=f"pending-{pane_id}", classes="pane")
        self.pane_id = pane_id
        self.border_title = PLACEHOLDERS[pane_id][0] if pane_id in PLACEHOLDERS else "1 Chat"

    def compose(self) -> ComposeResult:
        yield Static("Loading…")


PANE_CLASSES: dict[str, tuple[str, str]] = {
    "specs": ("workbench.ui.specs.pane", "SpecsPane"),
    "journal": ("workbench.ui.journal.pane", "JournalPane"),
    "containers": ("workbench.ui.containers.pane", "ContainersPane"),
    "plugins": ("workbench.ui.plugins.pane", "PluginsPane"),
}
"""Where each side pane's real widget lives (``module``, ``class``). A pane whose module does not
exist yet is shown as a :class:`PlaceholderPane`. A pane class is built as ``cls(id=pane_id,
classes="pane")`` and may define ``async attach(services)``, called once the services run."""


def build_pane(pane_id: str) -> Vertical:
    """Return the widget for side pane ``pane_id`` (the real one when built, else a placeholder)."""
    import importlib
    import importlib.util

    module_name, class_name = PANE_CLASSES[pane_id]
    if importlib.util.find_spec(module_name.rsplit(".", 1)[0]) is not None and importlib.util.find_spec(module_name) is not None:
        cls = getattr(importlib.import_module(module_name), class_name)
        return cls(id=pane_id, classes="pane")
    title, what, when = PLACEHOLDERS[pane_id]
    return PlaceholderPane(title, what, when, id=pane_id, classes="pane")
