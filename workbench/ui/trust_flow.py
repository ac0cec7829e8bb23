"""Workspace trust in the TUI: the screen at start, the status bar mark and the palette commands.

At start (before the settings are loaded) an untrusted workspace that has any trust file, or a
trusted one whose files changed, gets the :class:`~workbench.ui.screens.trust.TrustScreen`. ``y``
records trust for exactly what was shown; ``n`` continues on the user's own config, with one
notification naming what was ignored and how to trust it, and "untrusted" in the status bar.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import TYPE_CHECKING

from textual.app import SystemCommand

from workbench.core import trust

if TYPE_CHECKING:
    from workbench.ui.app import WorkbenchApp


def _ignored_message(report: trust.TrustReport) -> str:
    names = ", ".join(f.rel for f in report.pending)
    return (
        f"Untrusted workspace: ignored {names}. Workbench runs on your own config. "
        "To trust: ctrl+p → “Trust this workspace”, or `workbench trust` in a shell."
    )


async def ask_at_start(app: WorkbenchApp) -> trust.TrustReport:
    """Ask about pending trust files (if any) and return the trust state the settings load with."""
    from workbench.ui.screens.trust import TrustScreen

    report = await asyncio.to_thread(trust.check, app.workspace)
    if not report.pending:
        return report
    answer = await app.push_screen_wait(TrustScreen(report))
    if answer:
        try:
            return await asyncio.to_thread(trust.trust, app.workspace, report, via="tui")
        except trust.TrustStoreError as exc:
            app.notify(str(exc), severity="error", timeout=30)
            return report
    app.notify(_ignored_message(report), severity="warning", timeout=20)
    return report


def show_status(app: WorkbenchApp, report: trust.TrustReport) -> None:
    """Mark the status bar "untrusted" while workspace files are ignored."""
    try:
        app.chat_pane.status.trust = "untrusted" if report.pending else ""
    except Exception:  # the chat pane is not mounted (the app is closing)
        pass


async def _trust_now(app: WorkbenchApp) -> None:
    from workbench.ui.screens.trust import TrustScreen

    report = await asyncio.to_thread(trust.check, app.workspace)
    if not report.pending:
        app.notify("Nothing to trust: every workspace file that needs trust is trusted (or absent).")
        show_status(app, report)
        return
    if not await app.push_screen_wait(TrustScreen(report)):
        return
    try:
        after = await asyncio.to_thread(trust.trust, app.workspace, report, via="tui")
    except trust.TrustStoreError as exc:
        app.notify(str(exc), severity="error", timeout=30)
        return
    show_status(app, after)
    app.notify(
        "Trusted. Instruction files apply from the next prompt; settings and MCP servers from these "
        "files apply when Workbench starts next (quit with ctrl+q and reopen).",
        timeout=20,
    )


def commands(app: WorkbenchApp) -> Iterable[SystemCommand]:
    """The palette commands: trust the workspace, and show what trusting would change."""

    def trust_now() -> None:
        app.run_worker(_trust_now(app), group="trust", exclusive=True)

    yield SystemCommand("Trust this workspace", "Review what its files would change and trust them", trust_now)
    yield SystemCommand("Show what trust would change", "List the workspace files ignored until trusted", trust_now)
