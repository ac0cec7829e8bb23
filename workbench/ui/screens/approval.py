"""The approval modal: a tool call waiting for the user.

Keys: ``y`` approve, ``n`` deny (then type an optional reason, Enter sends it to the model),
``a`` approve and allow calls like it for the rest of the session, ``e`` edit the proposed content
before applying (``ctrl+s`` applies the edit, ``escape`` goes back).
"""

from __future__ import annotations

import json

from rich.syntax import Syntax
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Static, TextArea

from workbench.core.agent.approvals import ApprovalDecision, ApprovalRequest
from workbench.core.sanitize import sanitize


class ApprovalScreen(ModalScreen[ApprovalDecision]):
    """Shows the tool, its arguments and (for file changes) a coloured diff; returns the decision."""

    DEFAULT_CSS = """
    ApprovalScreen { align: center middle; }
    ApprovalScreen > Vertical { width: 110; max-width: 96%; height: 85%; border: thick $warning; background: $surface; padding: 0 1; }
    ApprovalScreen #title { height: auto; }
    ApprovalScreen #body { height: 1fr; }
    ApprovalScreen #reason { display: none; }
    ApprovalScreen.-denying #reason { display: block; }
    ApprovalScreen #editor { display: none; height: 1fr; }
    ApprovalScreen.-editing #editor { display: block; }
    ApprovalScreen.-editing #body { display: none; }
    ApprovalScreen #keys { height: auto; color: $text-muted; }
    """
    BINDINGS = [
        Binding("y", "approve", "Approve", id="approval.yes", tooltip="Run this call once"),
        Binding("n", "deny", "Deny", id="approval.no", tooltip="Refuse; optionally type a reason for the model"),
        Binding("a", "always", "Always", id="approval.always", tooltip="Run it and allow calls like it this session"),
        Binding("e", "edit", "Edit", id="approval.edit", tooltip="Edit the proposed content before applying"),
        Binding("ctrl+s", "apply_edit", "Apply edit", id="approval.apply", tooltip="Apply the edited content", show=False),
        Binding("escape", "back", "Back", id="approval.back", tooltip="Leave the reason/editor", show=False),
    ]

    def __init__(self, request: ApprovalRequest) -> None:
        super().__init__()
        self.request = request

    def compose(self) -> ComposeResult:
        r = self.request
        with Vertical():
            title = Text()
            title.append("Approve tool call? ", style="bold")
            title.append(r.tool, style="bold yellow")
            title.append(f"\n{r.reason}", style="italic")
            yield Static(title, id="title")
            with VerticalScroll(id="body"):
                yield Static(
                    Syntax(sanitize(json.dumps(r.arguments, indent=2, ensure_ascii=False)[:20000]), "json", word_wrap=True),
                    id="args",
                )
                if r.diff:
                    yield Static(Syntax(sanitize(r.diff), "diff", word_wrap=True), id="diff")
            yield TextArea(r.new_text or "", id="editor", soft_wrap=False, show_line_numbers=True)
            yield Input(placeholder="Reason for the model (optional), Enter to deny", id="reason")
            keys = "y approve · n deny (with reason) · "
            keys += "a always allow this session · " if r.rule and not r.protected else "(protected path: no always-allow) · "
            keys += "e edit content" if r.new_text is not None else ""
            yield Static(keys, id="keys")

    def on_mount(self) -> None:
        self.request.future.add_done_callback(self._cancelled_elsewhere)

    def _cancelled_elsewhere(self, future) -> None:
        if future.cancelled() and self.is_attached:
            self.app.call_later(self.dismiss, None)

    def _resolve(self, decision: ApprovalDecision) -> None:
        if not self.request.future.done():
            self.request.future.set_result(decision)
        self.dismiss(decision)

    def _typing(self) -> bool:
        return self.has_class("-denying") or self.has_class("-editing")

    def action_approve(self) -> None:
        """Approve once."""
        if not self._typing():
            self._resolve(ApprovalDecision("approve"))

    def action_always(self) -> None:
        """Approve and add the allow rule for this session (not offered for protected paths)."""
        if self._typing():
            return
        if self.request.protected or not self.request.rule:
            self.notify("Protected paths always need an explicit approval.", severity="warning")
            return
        self._resolve(ApprovalDecision("always"))

    def action_deny(self) -> None:
        """Ask for an optional reason, then deny."""
        if self._typing():
            return
        self.add_class("-denying")
        self.query_one("#reason", Input).focus()

    @on(Input.Submitted, "#reason")
    def _reason(self, event: Input.Submitted) -> None:
        self._resolve(ApprovalDecision("deny", event.value.strip() or None))

    def action_edit(self) -> None:
        """Edit the proposed content (file changes only)."""
        if self._typing():
            return
        if self.request.new_text is None:
            self.notify("This call has no content to edit.", severity="warning")
            return
        self.add_class("-editing")
        self.query_one("#editor", TextArea).focus()

    def action_apply_edit(self) -> None:
        """Approve with the edited content."""
        if self.has_class("-editing"):
            self._resolve(ApprovalDecision("approve", edited_content=self.query_one("#editor", TextArea).text))

    def action_back(self) -> None:
        """Leave the reason input or the editor without deciding."""
        self.remove_class("-denying")
        self.remove_class("-editing")
        self.focus()
