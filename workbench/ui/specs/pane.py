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
    "Specs live in .workbench/specs/NAME/ or\n"
    ".kiro/specs/NAME/ (both are read; new ones go\n"
    "to .kiro/specs/ when .kiro/ exists). r: refresh."
)
"""What the pane says when there is no spec."""

STATE_SHORT = {"missing": "-", "draft": "draft", "in_review": "review", "approved": "ok", "stale": "STALE"}


def spec_row(row: SpecRow, name_width: int) -> Row:
    """Return the pane's row for one spec: ``name  req  design  tasks  done/total  errorsE/warningsW``."""
    from workbench.ui.specs.render import STATE_STYLE

    text = f"{row.spec.key:<{name_width}}"
    spans = []
    for doc in ("requirements", "design", "tasks"):
        state = row.states[doc]
        start = len(text) + 1
        label = STATE_SHORT.get(state, state)
        text += f" {label:<6}"  # widths fit the side pane at 120-130 columns (48 cells inside)
        if STATE_STYLE.get(state):
            spans.append((start, start + len(label), STATE_STYLE[state]))
    progress = f"{row.done}/{row.total}" if row.total else "-"
    text += f" {progress:>5}"
    counts = f"{row.errors}E/{row.warnings}W"
    start = len(text) + 1
    text += f" {counts}"
    if row.errors:
        spans.append((start, start + len(str(row.errors)) + 1, "error"))
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
        Binding(
            "n",
            "new_spec",
            "New spec",
            id="specs.new",
            tooltip="New spec: NAME and a one-line idea; the model drafts the requirements",
        ),
        Binding(
            "q",
            "new_spec('quick')",
            "Quick spec",
            id="specs.quick",
            tooltip="Quick spec: the model drafts requirements, design and tasks in one pass",
        ),
        Binding(
            "b",
            "new_spec('bugfix')",
            "Bugfix spec",
            id="specs.bugfix",
            tooltip="Bugfix spec: bugfix.md (current / expected / unchanged behaviour), then design and tasks",
        ),
    ]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.workspace: Path | None = None
        self.specs_dir = "auto"
        self._watcher: Any = None
        self.services: Any = None
        """The ``[specs] dir`` setting: where new specs go (``core.specs.discovery.new_specs_dir``)."""
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

    async def attach(self, services: Services) -> None:
        """Bind to the running services: list the specs of ``services.workspace``."""
        self.workspace = Path(services.workspace)
        self.specs_dir = services.settings.specs.dir
        self.services = services
        self.refresh_specs()
        self._watch_specs()

    @work(group="specs-watch", exclusive=True, exit_on_error=False)
    async def _watch_specs(self) -> None:
        """Live reload: list the specs again whenever a spec file or folder changes on disk."""
        from workbench.core.specs.watch import SpecsFolderWatcher

        assert self.workspace is not None
        self._watcher = SpecsFolderWatcher(self.workspace)
        async for _ in self._watcher:
            self.refresh_specs()

    def on_unmount(self) -> None:
        if self._watcher is not None:
            self._watcher.stop()

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
        header.update(f"{'spec':<{width}} {'req':<6} {'design':<6} {'tasks':<6} {'done':>5} problems" if rows else "")
        footer = self.query_one("#specs-footer", Static)
        if error:
            footer.update(f"approvals unreadable: {error}")
        else:
            footer.update(
                f"{len(rows)} spec(s) · Enter: review · n: new · q: quick · b: bugfix · r: refresh"
                if rows
                else "n: new spec · q: quick spec · b: bugfix spec"
            )
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

    def action_new_spec(self, kind: str = "feature") -> None:
        """Ask for a NAME and a one-line idea, create the folder and open the review screen while the model drafts.

        ``kind``: ``feature`` (requirements first), ``quick`` (all three documents in one pass) or
        ``bugfix`` (``bugfix.md`` first).
        """
        from workbench.ui.specs.dialogs import NewSpecScreen

        if self.workspace is None:
            self.notify("Still starting: the workspace is not bound yet.", severity="warning")
            return
        self.app.push_screen(NewSpecScreen(kind), lambda answer: self._new_spec_answer(answer, kind))

    def _new_spec_answer(self, answer: tuple[str, str] | None, kind: str = "feature") -> None:
        if answer is None:
            return
        if kind == "quick":
            self.quick_spec(*answer)
        else:
            self.create_spec(*answer, bugfix=kind == "bugfix")

    @work(group="specs-new", exclusive=True, exit_on_error=False)
    async def quick_spec(self, name: str, idea: str) -> None:
        """Create the spec, have the model draft its three documents in one pass, then open its review."""
        from workbench.core.llm.errors import LLMError
        from workbench.core.specs.drafting import create_spec
        from workbench.core.specs.models import SpecError
        from workbench.core.specs.quick import QuickDraft
        from workbench.ui.specs.review_screen import SpecReviewScreen

        assert self.workspace is not None
        if self.services is None:
            self.notify("The model is not ready yet; try again in a moment.", severity="error")
            return
        try:
            spec = await asyncio.to_thread(create_spec, self.workspace, name, self.specs_dir)
        except (SpecError, OSError) as exc:
            self.notify(f"Spec not created: {exc}", severity="error", timeout=10)
            return
        footer = self.query_one("#specs-footer", Static)
        received = 0
        stream = QuickDraft(self.services.llm, spec, idea)
        try:
            async for chunk in stream:
                received += len(chunk)
                footer.update(f"Quick spec {name}: the model is drafting… {received} characters")
        except (SpecError, OSError, LLMError) as exc:
            self.notify(f"Quick spec {name} not drafted: {exc}", severity="error", timeout=10)
            self.refresh_specs()
            return
        result = stream.result
        assert result is not None
        for reason in result.rejected.values():
            self.notify(reason, severity="warning", timeout=10)
        self.notify(f"Quick spec {name}: {len(result.results)} document(s) drafted, each in review (approve them in order).")
        self.refresh_specs()
        self.app.push_screen(SpecReviewScreen(spec), lambda _result: self.refresh_specs())

    @work(group="specs-new", exclusive=True, exit_on_error=False)
    async def create_spec(self, name: str, idea: str, bugfix: bool = False) -> None:
        """Create the spec's folder (``[specs] dir``) and open its review screen, drafting requirements from ``idea``."""
        from workbench.core.specs.drafting import create_spec
        from workbench.core.specs.models import SpecError
        from workbench.ui.specs.review_screen import SpecReviewScreen

        assert self.workspace is not None
        try:
            spec = await asyncio.to_thread(create_spec, self.workspace, name, self.specs_dir, bugfix=bugfix)
        except (SpecError, OSError) as exc:
            self.notify(f"Spec not created: {exc}", severity="error", timeout=10)
            return
        self.app.push_screen(SpecReviewScreen(spec, draft_idea=idea), lambda _result: self.refresh_specs())
