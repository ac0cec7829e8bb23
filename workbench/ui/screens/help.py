"""F1: every key binding of the app, grouped by where it applies, and the slash commands.

Keys are shown as users type them (``!``, ``/``, ``]``, ``Enter``, ``Esc``), not as Textual's key
names (``exclamation_mark``); every cell is plain text (``[ID]`` is not markup).
"""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

KEY_NAMES = {
    "enter": "Enter",
    "escape": "Esc",
    "tab": "Tab",
    "space": "Space",
    "backspace": "Backspace",
    "delete": "Del",
    "insert": "Ins",
    "home": "Home",
    "end": "End",
    "pageup": "PgUp",
    "pagedown": "PgDn",
    "up": "↑",
    "down": "↓",
    "left": "←",
    "right": "→",
}
"""How named keys are shown; printable keys show as their character, ``f1`` as ``F1``."""


def key_label(keys: str) -> str:
    """Show a binding's key string as users type it.

    Args:
        keys: Textual key names, comma-separated (``"exclamation_mark"``, ``"ctrl+1,alt+1"``).

    Returns:
        e.g. ``"!"``, ``"ctrl+1, alt+1"``, ``"Enter"``, ``"F1"``, ``"G"``.
    """
    from textual.keys import format_key

    shown = []
    for key in (k.strip() for k in keys.split(",")):
        *mods, name = key.split("+")
        if name in KEY_NAMES:
            label = KEY_NAMES[name]
        elif len(name) > 1 and name[0] == "f" and name[1:].isdigit():
            label = name.upper()
        else:
            label = format_key(name)
        shown.append("+".join([*mods, label]))
    return ", ".join(shown)


def _rows(bindings: list[BindingType]) -> list[tuple[str, str, str]]:
    rows = []
    for b in bindings:
        if isinstance(b, Binding):
            rows.append((key_label(b.key), b.description or b.action, b.tooltip or ""))
        elif isinstance(b, tuple):
            rows.append((key_label(b[0]), b[2] if len(b) > 2 else b[1], ""))
    return rows


def slash_rows() -> list[tuple[str, str, str]]:
    """The chat's slash commands as help rows: ``("/resume [ID]", "", description)``."""
    from workbench.ui.chat.slash import COMMANDS

    return [(f"{name} {args}".strip(), "", description) for name, (args, description) in COMMANDS.items()]


def binding_groups() -> list[tuple[str, list[tuple[str, str, str]]]]:
    """Return ``[(where, [(keys, description, tooltip), ...]), ...]`` for every binding we define."""
    import importlib

    from workbench.ui.app import WorkbenchApp
    from workbench.ui.chat.pane import ChatPane
    from workbench.ui.chat.prompt import PromptInput
    from workbench.ui.panes import PANE_CLASSES
    from workbench.ui.screens.approval import ApprovalScreen
    from workbench.ui.screens.goto import GotoPane
    from workbench.ui.screens.rewind import RewindScreen
    from workbench.ui.screens.sessions import SessionPicker

    groups = [
        ("Everywhere", _rows(WorkbenchApp.BINDINGS)),
        ("Chat pane", _rows(ChatPane.BINDINGS)),
        ("Prompt input", _rows(PromptInput.BINDINGS)),
    ]
    for pane_id, (module, cls_name) in PANE_CLASSES.items():
        cls = getattr(importlib.import_module(module), cls_name)
        groups.append((f"{pane_id.title()} pane", _rows(cls.BINDINGS)))
    from workbench.ui.specs.review_screen import SpecReviewScreen

    groups.append(("Spec review screen", _rows(SpecReviewScreen.BINDINGS)))
    groups += [
        ("Approval modal", _rows(ApprovalScreen.BINDINGS)),
        ("Rewind screen", _rows(RewindScreen.BINDINGS)),
        ("Session picker", _rows(SessionPicker.BINDINGS)),
        ("Pane picker (ctrl+g)", _rows(GotoPane.BINDINGS)),
        ("This help", _rows(HelpScreen.BINDINGS)),
        ("Slash commands", slash_rows()),
    ]
    return groups


class HelpScreen(ModalScreen[None]):
    """Lists every binding."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 90; max-width: 95%; height: 80%; border: thick $primary; background: $surface; padding: 0 1; }
    """
    BINDINGS = [Binding("escape,f1,q", "dismiss", "Close", id="help.close", tooltip="Close the help")]

    def compose(self) -> ComposeResult:
        table = Table(expand=True, show_edge=False, box=None, padding=(0, 1))
        table.add_column("Key", style="bold", no_wrap=True)
        table.add_column("Action")
        table.add_column("Details", style="dim")
        for where, rows in binding_groups():
            table.add_row(Text(f" {where} ", style="reverse"), "", "")
            for keys, desc, tip in rows:
                table.add_row(Text(keys), Text(desc), Text(tip))
            table.add_row("", "", "")
        with VerticalScroll():
            yield Static(
                "[b]Workbench keys[/b]  (ctrl+p opens the command palette; Esc closes this)\n"
                "Panes: alt+1 … alt+5, or ctrl+g then 1 … 5 (works in every terminal and in tmux)\n"
                "Slash commands: type them in the prompt (Tab completes); listed at the end\n"
            )
            yield Static(table)

    def action_dismiss(self) -> None:  # type: ignore[override]
        self.dismiss(None)
