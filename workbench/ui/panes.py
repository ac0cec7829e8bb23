"""Pane chrome: the stand-in shown during the first frame, and where each side pane's widget lives."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

PANE_TITLES = {
    "specs": "2 Specs",
    "journal": "3 Journal",
    "containers": "4 Containers",
    "plugins": "5 Plugins",
}
"""Side pane id -> its border title (shown by the ``PendingPane`` standing in for it)."""


class PendingPane(Vertical):
    """Stands in for a side pane during the first frame; the real pane replaces it right after,
    so the side panes' imports and layout never delay the first frame."""

    DEFAULT_CSS = "PendingPane > Static { color: $text-muted; padding: 0 1; }"

    def __init__(self, pane_id: str) -> None:
        super().__init__(id=f"pending-{pane_id}", classes="pane")
        self.pane_id = pane_id
        self.border_title = PANE_TITLES.get(pane_id, "1 Chat")

    def compose(self) -> ComposeResult:
        yield Static("Loading…")


PANE_CLASSES: dict[str, tuple[str, str]] = {
    "specs": ("workbench.ui.specs.pane", "SpecsPane"),
    "journal": ("workbench.ui.journal.pane", "JournalPane"),
    "containers": ("workbench.ui.containers.pane", "ContainersPane"),
    "plugins": ("workbench.ui.plugins.pane", "PluginsPane"),
}
"""Where each side pane's widget lives (``module``, ``class``). A pane class is built as
``cls(id=pane_id, classes="pane")`` and may define ``async attach(services)``, called once the
services run."""


def build_pane(pane_id: str) -> Vertical:
    """Return the widget for side pane ``pane_id`` (one of ``PANE_CLASSES``)."""
    import importlib

    module_name, class_name = PANE_CLASSES[pane_id]
    cls = getattr(importlib.import_module(module_name), class_name)
    return cls(id=pane_id, classes="pane")
