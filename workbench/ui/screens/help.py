"""F1: every key binding of the app, grouped by where it applies."""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


def _rows(bindings: list[BindingType]) -> list[tuple[str, str, str]]:
    rows = []
    for b in bindings:
        if isinstance(b, Binding):
            keys = ", ".join(k.strip() for k in b.key.split(","))
            rows.append((keys, b.description or b.action, b.tooltip or ""))
        elif isinstance(b, tuple):
            rows.append((b[0], b[2] if len(b) > 2 else b[1], ""))
    return rows


def binding_groups() -> list[tuple[str, list[tuple[str, str, str]]]]:
    """Return ``[(where, [(keys, description, tooltip), ...]), ...]`` for every binding we define."""
    from workbench.ui.app import WorkbenchApp
    from workbench.ui.chat.pane import ChatPane
    from workbench.ui.chat.prompt import PromptInput
    from workbench.ui.screens.sessions import SessionPicker

    import importlib

    from workbench.ui.panes import PANE_CLASSES
    from workbench.ui.screens.approval import ApprovalScreen
    from workbench.ui.screens.rewind import RewindScreen

    groups = [
        ("Everywhere", _rows(WorkbenchApp.BINDINGS)),
        ("Chat pane", _rows(ChatPane.BINDINGS)),
        ("Prompt input", _rows(PromptInput.BINDINGS)),
    ]
    for pane_id, (module, cls_name) in PANE_CLASSES.items():
        try:
            cls = getattr(importlib.import_module(module), cls_name)
        except (ImportError, AttributeError):
            continue
        groups.append((f"{pane_id.title()} pane", _rows(cls.BINDINGS)))
    try:
        from workbench.ui.specs.review import SpecReviewScreen

        groups.append(("Spec review screen", _rows(SpecReviewScreen.BINDINGS)))
    except ImportError:
        pass
    groups += [
        ("Approval modal", _rows(ApprovalScreen.BINDINGS)),
        ("Rewind screen", _rows(RewindScreen.BINDINGS)),
        ("Session picker", _rows(SessionPicker.BINDINGS)),
        ("This help", _rows(HelpScreen.BINDINGS)),
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
            table.add_row(f"[reverse] {where} [/]", "", "")
            for keys, desc, tip in rows:
                table.add_row(keys, desc, tip)
            table.add_row("", "", "")
        with VerticalScroll():
            yield Static("[b]Workbench keys[/b]  (ctrl+p opens the command palette; Esc closes this)\n")
            yield Static(table)

    def action_dismiss(self) -> None:  # type: ignore[override]
        self.dismiss(None)
