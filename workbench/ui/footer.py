"""The key line at the bottom of the main screen, with the essential keys first.

Textual's ``Footer`` lists the focused widget's keys first and the app's last, so in a narrow
terminal (80 columns) ``F1 Help`` and ``^q Quit`` were cut off. :class:`WorkbenchFooter` puts the
keys in :data:`ESSENTIAL` first.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer

ESSENTIAL = ("help", "quit")
"""Actions whose keys are always shown first, in this order."""


class WorkbenchFooter(Footer):
    """``Footer`` showing the :data:`ESSENTIAL` keys first."""

    def compose(self) -> ComposeResult:
        keys = list(super().compose())  # flat FooterKeys: Workbench defines no binding groups
        rank = {action: i for i, action in enumerate(ESSENTIAL)}
        first = sorted((k for k in keys if getattr(k, "action", None) in rank), key=lambda k: rank[k.action])
        yield from first + [k for k in keys if k not in first]
