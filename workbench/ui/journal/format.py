"""How a journal entry looks in the Journal pane: time, kind icon, summary (one line)."""

from __future__ import annotations

import time

from textual.content import Content

from workbench.core.journal.entries import CATEGORIES, ERROR, JournalEntry
from workbench.core.sanitize import sanitize

ICONS: dict[str, str] = {
    "session.created": "◆",
    "session.opened": "◇",
    "session.closed": "◇",
    "session.titled": "◇",
    "user.message": "›",
    "assistant.message": "‹",
    "turn.error": "✗",
    "turn.cancelled": "■",
    "turn.finished": "✓",
    "tool.requested": "⚙",
    "tool.approved": "✔",
    "tool.denied": "⊘",
    "tool.started": "▸",
    "tool.finished": "◂",
    "tool.skipped": "↷",
    "approval.requested": "?",
    "sandbox.container": "▣",
    "mode.changed": "≡",
    "model.changed": "≡",
    "context.compacted": "⇊",
    "checkpoint.created": "⚑",
    "checkpoint.restored": "↶",
}
"""Icon per event kind (one cell wide each); :func:`icon` falls back by prefix."""

_PREFIX_ICONS = {"plugin": "⧉", "spec": "§", "checkpoint": "⚑", "tool": "⚙", "sandbox": "▣"}

CATEGORY_LABELS: dict[str, str] = {
    "chat": "chat",
    "tool": "tool",
    "command": "cmd",
    "checkpoint": "ckpt",
    "spec": "spec",
    "plugin": "plugin",
    "error": "error",
}
"""Short labels of the filter categories, in key order ``1``-``7``."""


def icon(kind: str) -> str:
    """The icon of an event kind (``•`` when unknown)."""
    return ICONS.get(kind) or _PREFIX_ICONS.get(kind.split(".", 1)[0], "•")


def entry_line(entry: JournalEntry, *, show_time: bool = True) -> Content:
    """One styled line: ``HH:MM:SS icon summary`` (errors in the error colour; escapes made visible)."""
    parts: list[str | tuple[str, str]] = []
    if show_time:
        parts += [(time.strftime("%H:%M:%S", time.localtime(entry.ts)), "dim"), " "]
    style = "$text-error" if ERROR in entry.categories else ""
    icon_style = style or ("$text-accent" if entry.kind.startswith("checkpoint.") else "$text-primary")
    summary = sanitize(entry.summary)  # tool output and the model's arguments are untrusted text
    parts += [(icon(entry.kind), icon_style), " ", (summary, style) if style else summary]
    return Content.assemble(*parts)


def separator_line(title: str) -> Content:
    """The line shown where the entries move to another session."""
    return Content.assemble(("── " + title + " ──", "dim"))


def filter_line(enabled: set[str], search: str, shown: int, total: int) -> Content:
    """The pane's header: which categories are on (with their keys), the search, counts."""
    parts: list[str | tuple[str, str]] = []
    for n, cat in enumerate(CATEGORIES, 1):
        label = f"{n} {CATEGORY_LABELS[cat]}"
        parts += [(label, "bold $text-primary" if cat in enabled else "dim strike"), " "]
    if search:
        parts += [("/", "dim"), (search, "bold $text-warning"), " "]
    parts.append((f"{shown}/{total}", "dim"))
    return Content.assemble(*parts)
