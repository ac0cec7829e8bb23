"""Small modals of the spec workflow: a new spec (name + one-line idea), the task confirmation,
and the proposed task changes (a diff to accept or reject)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static


class NewSpecScreen(ModalScreen["tuple[str, str] | None"]):
    """Ask for a spec NAME and a one-line idea; returns ``(name, idea)`` or ``None`` (Esc).

    Enter in the name box moves to the idea; Enter in the idea box submits. The name is checked
    against ``discovery.SPEC_NAME_RE`` before the modal closes.
    """

    DEFAULT_CSS = """
    NewSpecScreen { align: center middle; }
    NewSpecScreen > Vertical { width: 90; max-width: 96%; height: auto; border: thick $primary; background: $surface; padding: 0 1; }
    NewSpecScreen Static { height: auto; }
    NewSpecScreen #new-spec-error { color: $error; }
    NewSpecScreen #new-spec-keys { color: $text-muted; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="specs.new.cancel", tooltip="Close without creating a spec")]

    TITLES = {
        "feature": "[b]New spec[/b]: the model drafts requirements.md from your idea.",
        "quick": "[b]Quick spec[/b]: the model drafts requirements, design and tasks in one pass (each still reviewed).",
        "bugfix": "[b]New bugfix spec[/b]: the model drafts bugfix.md (current / expected / unchanged behaviour) from your description.",
    }
    """The modal's first line for each kind of new spec."""

    def __init__(self, kind: str = "feature") -> None:
        super().__init__()
        self.kind = kind

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.TITLES.get(self.kind, self.TITLES["feature"]))
            yield Input(placeholder="NAME (kebab-case, e.g. user-login)", id="new-spec-name")
            yield Input(placeholder="One-line idea: what the feature is and why", id="new-spec-idea")
            yield Static("", id="new-spec-error", markup=False)
            yield Static("Enter: next / create  ·  Esc: cancel", id="new-spec-keys")

    def on_mount(self) -> None:
        self.query_one("#new-spec-name", Input).focus()

    def _error(self, text: str) -> None:
        self.query_one("#new-spec-error", Static).update(text)

    @on(Input.Submitted, "#new-spec-name")
    def _name_done(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one("#new-spec-idea", Input).focus()

    @on(Input.Submitted, "#new-spec-idea")
    def _idea_done(self, event: Input.Submitted) -> None:
        from workbench.core.specs.discovery import SPEC_NAME_RE

        event.stop()
        name = self.query_one("#new-spec-name", Input).value.strip()
        idea = " ".join(event.value.split())
        if not SPEC_NAME_RE.match(name):
            self._error(
                f"Invalid name {name!r}: use letters, digits, '.', '_' or '-' (e.g. user-login)."
                if name
                else "Type a NAME first."
            )
            self.query_one("#new-spec-name", Input).focus()
            return
        if not idea:
            self._error("Type a one-line idea: the model drafts the requirements from it.")
            return
        self.dismiss((name, idea))

    def action_cancel(self) -> None:
        """Close without creating anything."""
        self.dismiss(None)


class ConfirmTaskScreen(ModalScreen[bool]):
    """After the agent's turn on a task: ``y`` marks it done (``[x]``), ``n``/Esc keeps it in progress.

    Args:
        task_id: the task id.
        title: the task title.
        status: how the turn ended (``done``, ``error``, ``cancelled``).
    """

    DEFAULT_CSS = """
    ConfirmTaskScreen { align: center middle; }
    ConfirmTaskScreen > Vertical { width: 80; max-width: 96%; height: auto; border: thick $warning; background: $surface; padding: 0 1; }
    ConfirmTaskScreen Static { height: auto; }
    ConfirmTaskScreen #confirm-keys { color: $text-muted; }
    """
    BINDINGS = [
        Binding("y", "answer(True)", "Yes, done", id="spec.task.yes", tooltip="Mark the task done ([x])"),
        Binding("n,escape", "answer(False)", "No", id="spec.task.no", tooltip="Keep the task in progress ([-])"),
    ]

    def __init__(self, task_id: str, title: str, status: str) -> None:
        super().__init__()
        self.task_id = task_id
        self.task_title = title
        self.status = status

    def compose(self) -> ComposeResult:
        from textual.markup import escape

        ended = {"done": "finished", "error": "ended with an error", "cancelled": "was cancelled"}.get(
            self.status, f"ended ({self.status})"
        )
        with Vertical():
            yield Static(f"[b]Task {escape(self.task_id)}[/b] {escape(self.task_title)}")
            yield Static(f"The agent's turn {ended}. Is the task done?", id="confirm-question")
            yield Static("y: yes, mark it [x]  ·  n / Esc: no, keep it [-]", id="confirm-keys", markup=False)

    def action_answer(self, done: bool) -> None:
        """Close with the answer."""
        self.dismiss(done)


class TaskDiffScreen(ModalScreen[bool]):
    """The model's proposed ``tasks.md`` changes as a unified diff: ``y`` applies, ``n``/Esc rejects.

    Args:
        diff: unified diff lines (``update_tasks.TaskUpdate.diff``).
    """

    DEFAULT_CSS = """
    TaskDiffScreen { align: center middle; }
    TaskDiffScreen > Vertical { width: 110; max-width: 96%; height: 80%; border: thick $primary; background: $surface; padding: 0 1; }
    TaskDiffScreen Static { height: auto; }
    TaskDiffScreen #task-diff { height: 1fr; }
    TaskDiffScreen #task-diff-keys { color: $text-muted; }
    """
    BINDINGS = [
        Binding("y", "answer(True)", "Apply", id="spec.tasks.accept", tooltip="Write the proposed tasks.md (it goes in review)"),
        Binding("n,escape", "answer(False)", "Reject", id="spec.tasks.reject", tooltip="Keep tasks.md as it is"),
    ]

    def __init__(self, diff: list[str]) -> None:
        super().__init__()
        self.diff = list(diff)

    def compose(self) -> ComposeResult:
        from workbench.ui.specs.lines import LineView

        added = sum(1 for line in self.diff if line.startswith("+") and not line.startswith("+++"))
        removed = sum(1 for line in self.diff if line.startswith("-") and not line.startswith("---"))
        with Vertical():
            yield Static(f"[b]Proposed task changes[/b]: {added} line(s) added, {removed} removed", id="task-diff-title")
            yield LineView(id="task-diff")
            yield Static("y: apply to tasks.md  ·  n / Esc: reject", id="task-diff-keys", markup=False)

    def on_mount(self) -> None:
        from workbench.ui.specs import render
        from workbench.ui.specs.lines import LineView

        view = self.query_one("#task-diff", LineView)
        view.set_rows(render.diff_rows(self.diff), 0)
        view.focus()

    def action_answer(self, accept: bool) -> None:
        """Close with the answer."""
        self.dismiss(accept)
