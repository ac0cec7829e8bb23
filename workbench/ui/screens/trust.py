"""The workspace trust screen: what the workspace's own files would change; ``y`` trusts, ``n`` does not.

Shown when an untrusted workspace (or one whose trusted files changed) is opened, and from the
command palette. The list comes from :func:`workbench.core.trust.describe.describe`: risky items
are marked ``!``; secret-looking values are hidden until ``r`` is pressed. Dismisses with True
(trust exactly what was shown) or False (continue without these files).
"""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from workbench.core.trust import TrustReport
from workbench.core.trust.describe import Section, describe


def render_sections(sections: list[Section]) -> Group:
    """The description: per file a bold heading, then one row per item with a hanging indent;
    risky items marked ``!`` in the error colour, the explanation after ``—`` dimmed."""
    parts: list[Any] = []
    for n, section in enumerate(sections):
        parts.append(Text(("\n" if n else "") + section.heading, style="bold"))
        grid = Table.grid(expand=True)
        grid.add_column(width=3, no_wrap=True)
        grid.add_column(ratio=1)
        for item in section.items:
            what, sep, note = item.text.partition("  — ")
            line = Text(what)
            if sep:
                line.append("  — " + note, style="dim")
            grid.add_row(Text(" ! ", style="bold red") if item.risk else "", line)
        parts.append(grid)
    return Group(*parts)


class TrustScreen(ModalScreen[bool]):
    """Asks whether to trust a workspace's files (see the module doc).

    Args:
        report: from :func:`workbench.core.trust.check`; exactly this content is trusted on ``y``.
    """

    DEFAULT_CSS = """
    TrustScreen { align: center middle; }
    TrustScreen > Vertical {
        width: 100%; max-width: 120; height: 100%; max-height: 44;
        border: thick $warning; background: $surface; padding: 0 1;
    }
    TrustScreen #trust-title { text-style: bold; }
    TrustScreen #trust-intro { color: $text-muted; }
    TrustScreen VerticalScroll { height: 1fr; border: none; }
    TrustScreen Horizontal { height: 1; margin: 1 0 0 0; }
    TrustScreen Button { margin: 0 2 0 0; }
    """
    BINDINGS = [
        Binding("y", "answer(True)", "Trust", id="trust.yes", tooltip="Trust exactly what is listed"),
        Binding(
            "n,escape",
            "answer(False)",
            "Continue untrusted",
            id="trust.no",
            tooltip="Continue without these files (ctrl+p → Trust this workspace, later)",
        ),
        Binding("r", "reveal", "Reveal secrets", id="trust.reveal", tooltip="Show or hide values that look secret"),
    ]

    def __init__(self, report: TrustReport) -> None:
        super().__init__()
        self.report = report
        """What is shown (and trusted on ``y``)."""
        self.revealed = False
        """Whether secret-looking values are shown."""
        self._has_hidden = any(i.hidden for s in describe(report) for i in s.items)

    def compose(self) -> ComposeResult:
        pending = self.report.pending
        changed = any(f.status == "changed" for f in pending)
        title = "Files of this workspace changed since you trusted it" if changed else "Trust this workspace?"
        intro = (
            f"{self.report.workspace}\n"
            "Until trusted these files have no effect (your own config applies). Trusting applies "
            "exactly this; ! = your key sent elsewhere, wider permissions, a weaker sandbox or code "
            "run on your computer."
        )
        with Vertical():
            yield Static(title, id="trust-title", markup=False)
            yield Static(intro, id="trust-intro", markup=False)
            with VerticalScroll(id="trust-scroll"):
                yield Static(self._body(), id="trust-body")
            with Horizontal():
                yield Button("Trust (y)", id="trust-yes", variant="warning", compact=True)
                yield Button("Continue untrusted (n)", id="trust-no", compact=True)
                if self._has_hidden:
                    yield Button("Reveal secrets (r)", id="trust-reveal", compact=True)

    def _body(self) -> Group:
        return render_sections(describe(self.report, reveal=self.revealed))

    def on_mount(self) -> None:
        self.query_one("#trust-scroll").focus()

    def action_answer(self, answer: bool) -> None:
        """Close with ``answer`` (True: trust what is shown)."""
        self.dismiss(answer)

    def action_reveal(self) -> None:
        """Toggle showing secret-looking values."""
        if not self._has_hidden:
            return
        self.revealed = not self.revealed
        self.query_one("#trust-body", Static).update(self._body())
        self.query_one("#trust-reveal", Button).label = "Hide secrets (r)" if self.revealed else "Reveal secrets (r)"

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "trust-reveal":
            self.action_reveal()
        else:
            self.dismiss(event.button.id == "trust-yes")
