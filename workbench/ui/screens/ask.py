"""The question modal: the model asks the user something (``ask_user``).

Keys: arrows + Enter pick a choice; when free text is allowed, Tab reaches the answer field and
Enter sends it; Esc closes without answering (the model is told the user declined). The screen
says the question was written by the model and warns against typing secrets; an answer that
looks like a secret (the session's redactor would mask it) is not sent. Question and choices
arrive already inert (:func:`workbench.core.sanitize.inert_text`) and are shown without markup.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from workbench.core.tools.ask import Question

WARNING = (
    "This question was written by the model, not by Workbench. Never type passwords, API keys or "
    "tokens here: your answer is sent to the model."
)


class AskScreen(ModalScreen["str | None"]):
    """Shows a :class:`Question`; returns the answer text, or None when the user pressed Esc.

    Args:
        question: the question (its ``future`` is resolved here).
        redactor: masks secrets (``Redactor``); an answer it would change is refused.
    """

    DEFAULT_CSS = """
    AskScreen { align: center middle; }
    AskScreen > Vertical { width: 100; max-width: 96%; height: auto; max-height: 85%; border: thick $accent; background: $surface; padding: 0 1; }
    AskScreen #ask-title { height: auto; }
    AskScreen #ask-warning { height: auto; color: $warning; }
    AskScreen #ask-body { height: auto; max-height: 12; }
    AskScreen #ask-choices { height: auto; max-height: 12; }
    AskScreen #ask-keys { height: auto; color: $text-muted; }
    """
    BINDINGS = [
        Binding(
            "escape", "decline", "No answer", id="ask.decline", tooltip="Close without answering; the model is told you declined"
        ),
    ]

    def __init__(self, question: Question, redactor: Any = None) -> None:
        super().__init__()
        self.question = question
        self.redactor = redactor

    def compose(self) -> ComposeResult:
        q = self.question
        with Vertical():
            yield Static(Text("The model asks you", style="bold"), id="ask-title")
            yield Static(Text(WARNING, style="italic"), id="ask-warning")
            with VerticalScroll(id="ask-body"):
                yield Static(Text(q.question), id="ask-question", markup=False)
            if q.choices:
                yield OptionList(
                    *[Option(Text(f"{n}. {c}"), id=str(n - 1)) for n, c in enumerate(q.choices, 1)],
                    id="ask-choices",
                    markup=False,
                )
            if q.allow_free_text:
                yield Input(placeholder="Type your answer; Enter sends it", id="ask-input")
            keys = ("↑/↓ + Enter choose · " if q.choices else "") + ("Enter send · " if q.allow_free_text else "")
            keys += ("Tab switch · " if q.choices and q.allow_free_text else "") + "Esc no answer"
            yield Static(keys, id="ask-keys")

    def on_mount(self) -> None:
        self.question.future.add_done_callback(self._cancelled_elsewhere)
        if self.question.choices:
            self.query_one("#ask-choices", OptionList).focus()
        else:
            self.query_one("#ask-input", Input).focus()

    def _cancelled_elsewhere(self, future: Any) -> None:
        if future.cancelled() and self.is_attached:
            self.app.call_later(self.dismiss, None)

    def _resolve(self, answer: str | None) -> None:
        if not self.question.future.done():
            self.question.future.set_result(answer)
        self.dismiss(answer)

    @on(OptionList.OptionSelected, "#ask-choices")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self._resolve(self.question.choices[int(event.option.id or 0)])

    @on(Input.Submitted, "#ask-input")
    def _typed(self, event: Input.Submitted) -> None:
        answer = event.value.strip()
        if not answer:
            self.notify("Type an answer, or press Esc to close without answering.", severity="warning")
            return
        if self.redactor is not None and self.redactor.text(answer) != answer:
            self.notify(
                "That looks like a secret (key or token). It was not sent; the model must never get it.",
                severity="error",
                timeout=8,
            )
            return
        self._resolve(answer)

    def action_decline(self) -> None:
        """Close without answering."""
        self._resolve(None)
