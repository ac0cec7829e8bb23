"""The Specs pane (pane 2): every spec of the workspace with its documents' states and task progress.

Importing this module loads no spec code: the list is built in a thread (``core.specs.overview``)
once the services run, and the review screen is imported when it is first opened.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Static

from workbench.ui.specs.lines import LineView, Row

if TYPE_CHECKING:
    from workbench.core.runtime import Services
    from workbench.core.specs.overview import SpecRow

EMPTY = (
    "No specs in this workspace.\n"
    "\n"
    "Press n for a new spec, or run:\n"
    "  workbench spec new NAME [--idea TEXT]\n"
    "\n"
    "With n, the model drafts the requirements\n"
    "from a one-line idea.\n"
    "\n"
    "Specs live in .workbench/specs/NAME/\n"
    "(.kiro/specs/ is read too). Press r to refresh."
)
"""What the pane says when there is no spec."""

STATE_SHORT = {"missing": "-", "draft": "draft", "in_review": "review", "approved": "ok", "stale": "STALE"}


def spec_row(row: "SpecRow", name_width: int) -> Row:
    """Return the pane's row for one spec: ``name  req  design  tasks  done/total``."""
    from workbench.ui.specs.render import STATE_STYLE

    text = f"{row.spec.key:<{name_width}}"
    spans = []
    for doc in ("requirements", "design", "tasks"):
        state = row.states[doc]
        start = len(text) + 1
        label = STATE_SHORT.get(state, state)
        text += f" {label:<7}"
        if STATE_STYLE.get(state):
            spans.append((start, start + len(label), STATE_STYLE[state]))
    progress = f"{row.done}/{row.total}" if row.total else "-"
    text += f" {progress:>7}"
    return Row(text, "", tuple(spans), row.spec.key)


class SpecsPane(Vertical, can_focus=True):
    """The list of specs; Enter opens the review screen of the selected one."""

    BORDER_TITLE = "2 Specs"
    ALLOW_MAXIMIZE = True
    DEFAULT_CSS = """
    SpecsPane > #specs-header { height: 1; color: $text-muted; text-style: bold; padding: 0 0 0 0; }
    SpecsPane > #specs-list { height: 1fr; background: transparent; overflow-x: hidden; }
    SpecsPane > #specs-footer { height: 1; color: $text-muted; }
    SpecsPane.-short > #specs-footer { display: none; }
    """
    BINDINGS = [
        Binding("r,f5", "refresh_specs", "Refresh", id="specs.refresh", tooltip="Read the spec folders again"),
        Binding("n", "new_spec", "New spec", id="specs.new", tooltip="New spec: NAME and a one-line idea; the model drafts the requirements"),
    ]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.workspace: Path | None = None
        self.rows: list[SpecRow] = []
        """The specs last listed."""
        self.loaded = asyncio.Event()
        """Set after each listing has been shown (tests wait on it)."""

    def compose(self) -> ComposeResult:
        yield Static("", id="specs-header", markup=False)
        yield LineView(id="specs-list", selectable_only=True, empty="Loading…")
        yield Static("", id="specs-footer", markup=False)

    @property
    def listing(self) -> LineView:
        """The list widget (it holds the focus)."""
        return self.query_one("#specs-list", LineView)

    def on_focus(self) -> None:
        self.listing.focus()

    def on_resize(self) -> None:
        # A short pane (80x24 terminal) gives its key hint line to the spec rows; rows wider than
        # the pane are cut rather than scrolled (a horizontal scrollbar took the only row's line).
        self.set_class(self.content_region.height < 5, "-short")

    async def attach(self, services: "Services") -> None:
        """Bind to the running services: list the specs of ``services.workspace``."""
        self.workspace = Path(services.workspace)
        self.refresh_specs()

    def action_refresh_specs(self) -> None:
        """Read the spec folders again."""
        self.refresh_specs()

    @work(group="specs-list", exclusive=True, exit_on_error=False)
    async def refresh_specs(self) -> None:
        """List the specs in a thread and show them, keeping the selection."""
        from workbench.core.specs.overview import spec_rows

        if self.workspace is None:
            return
        try:
            rows, error = await asyncio.to_thread(spec_rows, self.workspace)
        except OSError as exc:
            rows, error = [], f"cannot list specs: {exc}"
        self.rows = rows
        width = max([len(r.spec.key) for r in rows] + [12])
        selected = self.listing.key
        self.listing.empty = EMPTY
        self.listing.set_rows([spec_row(r, width) for r in rows])
        index = self.listing.index_of(selected) if selected is not None else None
        if index is not None:
            self.listing.cursor = index
        header = self.query_one("#specs-header", Static)
        header.update(f"{'spec':<{width}} {'req':<7} {'design':<7} {'tasks':<7} {'done':>7}" if rows else "")
        footer = self.query_one("#specs-footer", Static)
        if error:
            footer.update(f"approvals unreadable: {error}")
        else:
            footer.update(f"{len(rows)} spec(s) · Enter: review · n: new · r: refresh" if rows else "n: new spec")
        self.loaded.set()

    @on(LineView.Selected, "#specs-list")
    def _selected(self, event: LineView.Selected) -> None:
        event.stop()
        self.open_spec(event.key)

    def open_spec(self, key: str) -> None:
        """Push the review screen of the spec with ``key``; refresh the list when it closes."""
        from workbench.ui.specs.review_screen import SpecReviewScreen

        for row in self.rows:
            if row.spec.key == key:
                self.app.push_screen(SpecReviewScreen(row.spec), lambda _result: self.refresh_specs())
                return

    def action_new_spec(self) -> None:
        """Ask for a NAME and a one-line idea, create the folder and open the review screen while the model drafts."""
        from workbench.ui.specs.dialogs import NewSpecScreen

        if self.workspace is None:
            self.notify("Still starting: the workspace is not bound yet.", severity="warning")
            return
        self.app.push_screen(NewSpecScreen(), self._new_spec_answer)

    def _new_spec_answer(self, answer: "tuple[str, str] | None") -> None:
        if answer is not None:
            self.create_spec(*answer)

    @work(group="specs-new", exclusive=True, exit_on_error=False)
    async def create_spec(self, name: str, idea: str) -> None:
        """Create ``.workbench/specs/<name>/`` and open its review screen, drafting requirements from ``idea``."""
        from workbench.core.specs.drafting import create_spec
        from workbench.core.specs.models import SpecError
        from workbench.ui.specs.review_screen import SpecReviewScreen

        assert self.workspace is not None
        try:
            spec = await asyncio.to_thread(create_spec, self.workspace, name)
        except (SpecError, OSError) as exc:
            self.notify(f"Spec not created: {exc}", severity="error", timeout=10)
            return
        self.app.push_screen(SpecReviewScreen(spec, draft_idea=idea), lambda _result: self.refresh_specs())
