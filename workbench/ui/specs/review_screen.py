"""The spec review screen: documents beside an outline, traceability, problems, comments, diff.

Everything slow runs in threads (``core.specs.review``); a ``watchfiles`` worker reloads the spec
when its files are saved elsewhere, keeping the cursor and the pending comments (comments live in
the comments store, the cursor is restored by key after each reload).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import ContentSwitcher, Input, Static

from workbench.ui._textual_compat.first_paint import FirstPaintScreen
from workbench.ui.specs import render
from workbench.ui.specs.lines import LineView
from workbench.ui.specs.model_actions import ModelActionsMixin
from workbench.ui.specs.review_actions import ReviewActionsMixin

if TYPE_CHECKING:
    from workbench.core.specs.models import Spec
    from workbench.core.specs.review import ReviewData, ReviewStores

DOC_TABS = ("requirements", "design", "tasks")
TABS = ("requirements", "design", "tasks", "trace", "problems", "diff")
TAB_LABELS = {
    "requirements": "Requirements",
    "design": "Design",
    "tasks": "Tasks",
    "trace": "Trace",
    "problems": "Problems",
    "diff": "Diff",
}
VIEW_OPTIONS: dict[str, dict[str, Any]] = {
    "requirements": {"wrap": True, "empty": "requirements.md does not exist."},
    "design": {"wrap": True, "empty": "design.md does not exist yet."},
    "tasks": {"wrap": True, "selectable_only": True, "empty": "tasks.md does not exist yet."},
    "trace": {},
    "problems": {"wrap": True, "empty": "No problems.", "selectable_only": True},
    "diff": {"empty": "Press d on a document to diff it against its last review."},
}
"""Tab -> the ``LineView`` options of its view."""
FIRST_PAINT_WAIT = 0.3
"""Seconds the screen waits for the spec before its first paint (then it shows "loading…")."""
KEYS_HINT = (
    "[b]j/k[/] req  [b][ ][/] tab  [b]c[/] comment  [b]a[/] approve  [b]r[/] req. changes  "
    "[b]g[/] generate  [b]u[/] update tasks  [b]d[/] diff  [b]e[/] edit  [b]space[/] tick  [b]s[/] run task  [b]esc[/] close"
)
"""The key line at the bottom (a ``Footer`` costs more to build than the rest of the screen's chrome)."""


class _Row(Horizontal):
    """A ``Horizontal`` its children cover entirely: Textual paints it as plain background.

    The compositor renders every widget it places, containers under their children too; the
    screen's four containers were more than half of the lines of its first paint.
    """

    BLANK = True


class _Column(Vertical):
    """A ``Vertical`` its children cover entirely (see ``_Row``)."""

    BLANK = True


class _Switcher(ContentSwitcher):
    """A ``ContentSwitcher`` its shown child covers entirely (see ``_Row``)."""

    BLANK = True


class SpecReviewScreen(ModelActionsMixin, ReviewActionsMixin, FirstPaintScreen):
    """Review one spec (its first paint is settled by ``FirstPaintScreen``, in ``ui/_textual_compat``).

    Args:
        spec: the spec to review.
        stores: approvals, comments and snapshots (default: the workspace's, in the user data dir).
        watch: reload when the files change on disk (a ``watchfiles`` worker).
        draft_idea: when given, the model drafts ``requirements.md`` from this one-line idea as soon
            as the screen opens (the Specs pane's new-spec flow).
    """

    CSS_PATH = "review.tcss"
    BLANK = True
    """The status line, the body and the two bottom lines cover the screen (see ``_Row``)."""
    AUTO_FOCUS = "#view-requirements"
    """Focused when the screen shows (the default, the first focusable widget, is the outline: focusing
    it and then the document cost one more paint of the screen on each open)."""
    BINDINGS = [
        Binding("escape", "close", "Close", id="spec.close", tooltip="Close the review (or the comment box)"),
        Binding(
            "j,n",
            "next_item",
            "Next req",
            id="spec.next",
            tooltip="Next requirement (next task on Tasks, next heading on Design)",
        ),
        Binding("k,p", "prev_item", "Prev req", id="spec.prev", tooltip="Previous requirement (task, heading)"),
        Binding("c", "comment", "Comment", id="spec.comment", tooltip="Comment on the current requirement or line"),
        Binding("a", "approve", "Approve", id="spec.approve", tooltip="Approve the current document (refused out of order)"),
        Binding(
            "r", "request_changes", "Request changes", id="spec.request", tooltip="Request changes, sending the pending comments"
        ),
        Binding("d", "diff", "Diff", id="spec.diff", tooltip="Diff the document against its last review"),
        Binding("e", "edit", "Edit", id="spec.edit", tooltip="Open the document in $EDITOR, reload on return"),
        Binding("space", "tick", "Tick task", id="spec.tick", tooltip="Cycle the task under the cursor: todo, in progress, done"),
        Binding(
            "g",
            "generate",
            "Generate",
            id="spec.generate",
            tooltip="Have the model draft (or revise, with the comments) the current document",
        ),
        Binding(
            "s",
            "start_task",
            "Start task",
            id="spec.task.start",
            tooltip="Start the task under the cursor with the agent (one at a time)",
        ),
        Binding(
            "u",
            "update_tasks",
            "Update tasks",
            id="spec.tasks.update",
            tooltip="The model proposes tasks.md changes for the current requirements; shown as a diff to accept or reject",
        ),
        Binding("right_square_bracket", "tab(1)", "Next tab", id="spec.tab.next", show=False, tooltip="Next tab"),
        Binding("left_square_bracket", "tab(-1)", "Prev tab", id="spec.tab.prev", show=False, tooltip="Previous tab"),
        Binding("f5", "reload", "Reload", id="spec.reload", show=False, tooltip="Reload the spec from disk"),
    ]

    def __init__(
        self, spec: Spec, stores: ReviewStores | None = None, *, watch: bool = True, draft_idea: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.spec = spec
        self.draft_idea = draft_idea
        self.drafting: str | None = None
        """The document the model is streaming now (its view is not replaced by reloads meanwhile)."""
        self.draft_result: Any = None
        """The ``DraftResult`` of the latest finished draft."""
        self.stores = stores
        self.watch_files = watch
        self.data: ReviewData | None = None
        """The latest loaded state (``None`` until the first load finishes)."""
        self.doc = "requirements"
        """The document the actions apply to: the active document tab, or the last one visited."""
        self.loaded = asyncio.Event()
        """Set after each load has been shown (tests and the benchmark wait on it)."""
        self.load_count = 0
        """How many loads have been shown."""
        self._outline_lines: dict[object, int] = {}
        self._outline_doc = "requirements"
        """The document the outline lists (each document tab has its own outline)."""
        self._syncing = False
        self._watcher = None
        self._problem_count = 0
        self._problem_errors = 0
        self._views: dict[str, LineView] = {}
        """Tab -> its view, once made (``_view``)."""
        self._pending: dict[str, Any] = {}
        """Tab -> a callable setting its rows from the last load (hidden tabs are filled when needed)."""

    # -- layout --------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Static(f"[b]{self.spec.key}[/b]  loading…", id="review-status")
        with _Row(id="review-body"):
            with _Column(id="review-side"):
                outline = LineView(id="outline", wrap=True, empty=render.OUTLINE_EMPTY["requirements"])
                outline.border_title = "Outline"
                yield outline
                comments = LineView(id="comments", wrap=True, empty="No comments. Press c to comment.")
                comments.border_title = "Comments"
                yield comments
            with _Column(id="review-main"):
                yield Static(self._tabbar_markup(), id="review-tabbar")
                with _Switcher(id="review-switcher", initial="view-requirements"):
                    yield self._view("requirements")
        yield Static("", id="review-message")
        yield Static(KEYS_HINT, id="review-keys")

    def view(self, tab: str) -> LineView:
        """The ``LineView`` of tab ``tab`` (one of ``TABS``), its rows up to date with the last load.

        Hidden tabs get their rows when first needed (shown, or asked for here), not on each load.
        """
        build = self._pending.pop(tab, None)
        if build is not None:
            build()
        return self._view(tab)

    def _view(self, tab: str) -> LineView:
        """The ``LineView`` of tab ``tab`` as it is (its rows may be pending, see ``view``).

        The views of the other tabs are made and mounted (hidden) when first asked for: opening
        the screen mounts the requirements view only.
        """
        view = self._views.get(tab)
        if view is None:
            view = self._views[tab] = LineView(id=f"view-{tab}", **VIEW_OPTIONS[tab])
            if tab != "requirements":  # composed with the screen; the others join the switcher
                view.display = False
                self.query_one(_Switcher).mount(view)
        return view

    def _made(self, tab: str) -> LineView | None:
        """The view of tab ``tab`` if it was made (see ``_view``), else ``None``."""
        return self._views.get(tab)

    @property
    def outline(self) -> LineView:
        """The requirements outline."""
        return self.query_one("#outline", LineView)

    @property
    def active_tab(self) -> str:
        """The active tab's name (``requirements`` ... ``diff``)."""
        return (self.query_one(ContentSwitcher).current or "view-requirements").removeprefix("view-")

    def _tabbar_markup(self, active: str = "requirements") -> str:
        parts = []
        bugfix = self.spec.kind == "bugfix"  # its first document is bugfix.md
        for tab in TABS:
            label = "Bugfix" if bugfix and tab == "requirements" else TAB_LABELS[tab]
            if tab == "problems" and self._problem_count:
                label = f"{label} ({self._problem_errors} err, {self._problem_count - self._problem_errors} warn)"
            style = "reverse b" if tab == active else ("$error" if tab == "problems" and self._problem_errors else "")
            text = f"[{style}] {label} [/]" if style else f" {label} "
            parts.append(f"[@click=screen.activate('{tab}')]{text}[/]")
        return "".join(parts)

    def activate(self, tab: str) -> None:
        """Show tab ``tab`` (one of ``TABS``) and focus its view; a document tab becomes the current document."""
        self._view(tab)  # made before the switcher shows it
        self.query_one(ContentSwitcher).current = f"view-{tab}"
        if tab in DOC_TABS:
            self.doc = tab
            if tab != self._outline_doc and self.data is not None:
                self._set_outline(tab)
        self.query_one("#review-tabbar", Static).update(self._tabbar_markup(tab))
        self.view(tab).focus()

    def _set_outline(self, doc: str) -> None:
        """Show ``doc``'s outline (``render.outline_rows``) beside it."""
        self._outline_doc = doc
        rows, self._outline_lines = render.outline_rows(self.data, doc)
        outline = self.outline
        outline.empty = render.OUTLINE_EMPTY[doc]
        outline.border_title = f"Outline · {TAB_LABELS[doc]}"
        self._syncing = True
        try:
            outline.set_rows(rows, 0)
        finally:
            self._syncing = False

    def action_activate(self, tab: str) -> None:
        """Show tab ``tab`` (the tab bar's click action)."""
        if tab in TABS:
            self.activate(tab)

    async def on_mount(self) -> None:
        self.view("requirements").focus()
        self.reload()
        # Hold the first paint (it follows this handler) until the spec is shown, when that is
        # quick: painting "loading…" and then repainting every view with the spec cost a second
        # full paint of the screen on each open. A slow load paints "loading…" after the wait.
        try:
            await asyncio.wait_for(asyncio.shield(self.loaded.wait()), FIRST_PAINT_WAIT)
        except TimeoutError:
            pass
        if self.watch_files:
            self._watch()
        if self.draft_idea:
            self._generate("requirements", self.draft_idea)

    def on_unmount(self) -> None:
        if self._watcher is not None:
            self._watcher.stop()

    # -- loading -------------------------------------------------------------------------------
    @work(group="spec-load", exclusive=True, exit_on_error=False)
    async def reload(self) -> None:
        """Load the spec in a thread and show it, keeping cursors and scroll positions."""
        from workbench.core.specs.review import ReviewStores, load_review

        if self.stores is None:
            self.stores = await asyncio.to_thread(ReviewStores.for_workspace, self.spec.workspace)
        data = await asyncio.to_thread(load_review, self.spec, self.stores)
        self._show(data)

    def _show(self, data: ReviewData) -> None:
        first = self.data is None
        self.data = data
        active = self.active_tab
        outline_key = self.outline.key
        made = {tab: self._made(tab) for tab in ("requirements", "design", "problems", "trace", "tasks")}
        cursors = {tab: view.cursor if view is not None else -1 for tab, view in made.items()}
        task_key = made["tasks"].key if made["tasks"] is not None else None
        rows, self._outline_lines = render.outline_rows(data, self._outline_doc)

        def fill(tab: str, build: Any) -> None:
            """Set ``tab``'s rows now when it is showing, else when it is first needed."""
            self._pending.pop(tab, None)
            if tab == active:
                build()
            else:
                self._pending[tab] = build

        def document(doc: str) -> None:
            self._view(doc).set_rows(render.document_rows(data, doc), 0 if first else None)
            restore(doc)
            if doc == "requirements":
                follow()

        def follow() -> None:
            """Put the document's cursor on the outline's requirement (its lines may have shifted)."""
            line = self._outline_lines.get(self.outline.key)
            if line is None:
                return
            if first:  # what the outline's first Highlighted message would do, before the first paint
                self._view("requirements").move_cursor(line - 1, top=True)
            else:
                self._view("requirements").cursor = line - 1

        def tasks() -> None:
            view = self._view("tasks")
            view.set_rows(render.task_rows(data))
            index = view.index_of(task_key) if task_key is not None else None
            if index is not None:
                view.cursor = index

        def listing(tab: str, make: Any) -> None:
            self._view(tab).set_rows(make(data))
            restore(tab)

        def restore(tab: str) -> None:
            cursor = cursors[tab]
            if not first and 0 <= cursor < len(self._view(tab).rows):
                self._view(tab).cursor = cursor

        self._syncing = True
        try:
            index = next((i for i, row in enumerate(rows) if row.key == outline_key), None) if outline_key else None
            self.outline.set_rows(rows, index if index is not None else (0 if first else None))
            for doc in ("requirements", "design"):
                if doc != self.drafting:
                    fill(doc, lambda doc=doc: document(doc))
            if self.drafting != "tasks":
                fill("tasks", tasks)
            fill("trace", lambda: listing("trace", render.trace_rows))
            fill("problems", lambda: listing("problems", render.problem_rows))
            if self.drafting == "requirements":
                follow()
        finally:
            self._syncing = False
        self._show_comments()
        self._problem_count = len(data.problems)
        self._problem_errors = sum(1 for p in data.problems if p.severity == "error")
        self.query_one("#review-tabbar", Static).update(self._tabbar_markup(active))
        self.query_one("#review-status", Static).update(render.status_markup(data))
        self.load_count += 1
        self.loaded.set()

    def _show_comments(self) -> None:
        assert self.data is not None
        comments = self.query_one("#comments", LineView)
        comments.set_rows(render.comment_rows(self.data.comments))
        pending = sum(1 for c in self.data.comments if c.state == "pending")
        comments.border_title = f"Comments ({pending} pending)" if pending else "Comments"

    @work(group="spec-watch", exclusive=True, exit_on_error=False)
    async def _watch(self) -> None:
        from workbench.core.specs.watch import SpecWatcher

        self._watcher = SpecWatcher(self.spec.root)
        async for _docs in self._watcher:
            self.reload()

    def message(self, text: str, severity: str = "information") -> None:
        """Show ``text`` in the message line and as a notification."""
        line = self.query_one("#review-message", Static)
        line.update(text)
        line.set_class(severity == "error", "-error")
        self.notify(text, severity=severity, timeout=8 if severity == "error" else 4)  # type: ignore[arg-type]

    # -- navigation ----------------------------------------------------------------------------
    def action_tab(self, step: int) -> None:
        """Activate the next (``step=1``) or previous tab."""
        self.activate(TABS[(TABS.index(self.active_tab) + step) % len(TABS)])

    @on(LineView.Highlighted, "#outline")
    def _outline_moved(self, event: LineView.Highlighted) -> None:
        key = self.outline.key  # the message may be stale after a reload
        if self._syncing or key not in self._outline_lines:
            return
        document = self.view(self._outline_doc)
        if document.cursor == self._outline_lines[key] - 1:
            return
        self._syncing = True
        try:
            document.move_cursor(self._outline_lines[key] - 1, top=True)
        finally:
            self._syncing = False

    @on(LineView.Highlighted, "#view-requirements, #view-design, #view-tasks")
    def _document_moved(self, event: LineView.Highlighted) -> None:
        if self._syncing or not self._outline_lines or event.control is not self._made(self._outline_doc):
            return
        line = self.view(self._outline_doc).cursor + 1  # the message may be stale after a reload
        best = None
        for key, at in self._outline_lines.items():
            if at <= line and (best is None or at >= self._outline_lines[best]):
                best = key
        if best is not None and best != self.outline.key:
            self._syncing = True
            try:
                self.outline.move_cursor(self.outline.index_of(best) or 0)
            finally:
                self._syncing = False

    @on(LineView.Selected, "#view-problems")
    def _problem_selected(self, event: LineView.Selected) -> None:
        if not isinstance(event.key, tuple):  # the counts line
            return
        file, line = event.key
        for doc in DOC_TABS:
            if str(self.spec.path(doc)) == file:
                self.activate(doc)
                if line:
                    self.view(doc).move_cursor(line - 1, top=True)

    def _step(self, direction: int) -> None:
        tab = self.active_tab
        if tab == "tasks":
            view = self.view("tasks")
            view.move_cursor(view.cursor + direction, direction)
            return
        if tab == "design":
            view = self.view("design")
            heads = [i for i, row in enumerate(view.rows) if row.style in ("heading", "subheading")]
            ahead = [i for i in heads if (i > view.cursor if direction > 0 else i < view.cursor)]
            if ahead:
                view.move_cursor(ahead[0] if direction > 0 else ahead[-1], top=True)
            return
        outline = self.outline
        keys = [i for i, row in enumerate(outline.rows) if isinstance(row.key, tuple) and row.key[0] == "req"]
        ahead = [i for i in keys if (i > outline.cursor if direction > 0 else i < outline.cursor)]
        if ahead:
            outline.move_cursor(ahead[0] if direction > 0 else ahead[-1])

    def action_next_item(self) -> None:
        """Move to the next requirement (task on Tasks, heading on Design)."""
        self._step(1)

    def action_prev_item(self) -> None:
        """Move to the previous requirement (task, heading)."""
        self._step(-1)

    # -- comments ------------------------------------------------------------------------------
    @on(Input.Submitted, "#comment-input")
    def _comment_submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        self._hide_comment_box()
        if text:
            self._save_comment(text, self.doc, self.current_anchor())

    @property
    def services(self) -> Any:
        """The app's running services (``None`` before they started or outside the workbench app)."""
        return getattr(self.app, "services", None)

    def action_reload(self) -> None:
        """Reload from disk."""
        self.reload()

    def action_close(self) -> None:
        """Close the comment box when open, else the screen."""
        if any(not box.has_class("-hidden") for box in self.query("#comment-input")):
            self._hide_comment_box()
            return
        self.dismiss(None)
