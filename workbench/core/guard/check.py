"""The check after each tool call: protected paths changed by any writer are reverted or approved.

Flow (issue 21 item 2; SECURITY.md invariant 3), used by
:class:`~workbench.core.agent.runner.ToolRunner` around every tool run:

1. :meth:`ProtectedGuard.before` records the protected set (:func:`snapshot.take`): stat and the
   bytes of each protected file, including ones that do not exist yet (their absence is recorded).
2. The tool runs: a file tool, ``run_command`` in the sandbox (where the existing protected paths
   are also mounted read-only), or an MCP tool whose server runs on the host.
3. :meth:`ProtectedGuard.after` takes the set again and compares. Changes the user already
   approved for this call (a file tool's protected-path approval, which showed the diff) are
   kept. Any other change is shown to the approver as a protected change with its diff; it is
   never approved by a mode or a rule (headless runs deny, so it is always reverted). Unless the
   user approves it, every changed entry is put back from the bytes captured in step 1 and what
   was created is deleted.

The verdict is returned as :class:`Verdict` for the runner to report to the model and the log.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field
from pathlib import Path

from workbench.core.guard import snapshot
from workbench.core.guard.protected import mcp_script_paths


@dataclass
class Verdict:
    """What the check found after one call.

    Attributes:
        changes: changed protected entries (empty: nothing to report).
        action: ``"none"``, ``"reverted"`` or ``"approved"``.
        diff: the diff shown for approval.
        failed: entries that could not be restored (with why).
    """

    changes: list[snapshot.Change] = field(default_factory=list)
    action: str = "none"
    diff: str = ""
    failed: list[str] = field(default_factory=list)

    def message(self) -> str:
        """The note appended to the tool's result for the model (empty when nothing changed)."""
        if not self.changes:
            return ""
        listed = ", ".join(f"{c.path} ({c.what})" for c in self.changes[:12])
        more = f" and {len(self.changes) - 12} more" if len(self.changes) > 12 else ""
        if self.action == "approved":
            return f"[workbench] The user approved these changes to protected paths: {listed}{more}."
        text = (
            f"[workbench] Denied: this call changed protected paths ({listed}{more}). Protected paths "
            "(.git/, .workbench/config.toml, .workbench/sandbox/, .mcp.json, AGENTS.md, CLAUDE.md and the "
            "scripts MCP servers run) can only change with the user's approval; the changes were reverted. "
            "Do not retry; tell the user what you wanted to change."
        )
        if self.failed:
            text += f" Could not restore: {', '.join(self.failed)}."
        return text


class ProtectedGuard:
    """Snapshots the protected set before a call and checks it after (see module doc).

    Args:
        workspace: The workspace root (resolved).
    """

    def __init__(self, workspace: Path) -> None:
        self.workspace = Path(workspace)
        self._mcp_key: tuple[int, int, int] | None = None
        self._scripts: tuple[str, ...] = ()

    def scripts(self) -> tuple[str, ...]:
        """Workspace-relative paths of the scripts ``.mcp.json`` servers run (cached by file stat)."""
        try:
            st = os.stat(self.workspace / ".mcp.json")
            key = (st.st_ino, st.st_size, st.st_mtime_ns)
        except OSError:
            key = (0, 0, 0)
        if key != self._mcp_key:
            self._scripts = mcp_script_paths(self.workspace) if key != (0, 0, 0) else ()
            self._mcp_key = key
        return self._scripts

    def extra_protected(self) -> frozenset[str]:
        """The MCP script paths, casefolded (for :func:`~workbench.core.tools.permissions.decide`)."""
        return frozenset(p.casefold() for p in self.scripts())

    def take(self) -> snapshot.Snapshot:
        """Record the protected set now (blocking)."""
        return snapshot.take(self.workspace, self.scripts())

    async def before(self) -> snapshot.Snapshot:
        """Record the protected set before a call (in a thread)."""
        return await asyncio.to_thread(self.take)

    async def after(self, before: snapshot.Snapshot, approved_paths: frozenset[str], ask) -> Verdict:
        """Compare with ``before``; ask about changes outside ``approved_paths``; revert if not approved.

        Args:
            before: From :meth:`before`.
            approved_paths: Casefolded paths the user approved for this call (kept without asking).
            ask: ``async (diff_text, changes) -> bool``: True when the user approves the change.
                Called only when something changed; never replaced by a mode or rule.

        Returns:
            The verdict (``action`` ``"none"`` when nothing protected changed).
        """
        after = await asyncio.to_thread(snapshot.take, self.workspace, before.scripts)
        changes = [c for c in snapshot.compare(before, after) if c.path.casefold() not in approved_paths]
        if not changes:
            return Verdict()
        diff = snapshot.diff_text(before, after, changes)
        verdict = Verdict(changes, diff=diff)
        try:
            ok = await ask(diff, changes)
        except asyncio.CancelledError:
            await asyncio.shield(asyncio.to_thread(snapshot.revert, self.workspace, before, after, changes))
            raise
        if ok:
            verdict.action = "approved"
            return verdict
        verdict.failed = await asyncio.to_thread(snapshot.revert, self.workspace, before, after, changes)
        verdict.action = "reverted"
        return verdict
