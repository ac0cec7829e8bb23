"""The check after each tool call: protected paths changed by any writer are reverted or approved.

Flow (issue 21 item 2; SECURITY.md invariant 3), used by
:class:`~workbench.core.agent.runner.ToolRunner` around every tool run:

1. :meth:`ProtectedGuard.before` records the protected set (:func:`snapshot.take`): stat and the
   bytes of each protected file, including ones that do not exist yet (their absence is recorded).
2. The tool runs: a file tool, ``run_command`` in the sandbox (where the existing protected paths
   are also mounted read-only), or an MCP tool whose server runs on the host.
3. :meth:`ProtectedGuard.after` takes the set again and compares (and before the next call of
   the same turn, :meth:`ProtectedGuard.between` compares with what that check left, so a
   process an earlier call left running cannot plant a file after its check). Changes the user already
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
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from workbench.core.guard import snapshot
from workbench.core.guard.protected import mcp_script_paths

if TYPE_CHECKING:
    from workbench.core.mcp.plugins.plugin_trust import TrustStore

AskChange = Callable[[str, list[snapshot.Change]], Awaitable[bool]]
"""``async (diff_text, changes) -> bool``: asks the user about a protected change (True: keep it)."""


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
        self._mcp_key: tuple[object, object] | None = None
        self._trust: TrustStore | None = None
        self._scripts: tuple[str, ...] = ()
        self.last: snapshot.Snapshot | None = None
        """The protected set as the last check left it (None at the start of a turn)."""

    def scripts(self) -> tuple[str, ...]:
        """Workspace-relative paths of the scripts MCP servers run (cached by the files' stat).

        The union of what the parsed ``.mcp.json`` names (:func:`mcp_script_paths`, existing or
        not) and the files recorded with the trusted servers
        (:meth:`~workbench.core.mcp.plugins.plugin_trust.TrustStore.trusted_files`, which also covers
        user-level servers that run a workspace script).
        """
        from workbench.core.mcp.plugins.plugin_trust import TrustStore

        if self._trust is None:
            self._trust = TrustStore.for_workspace(self.workspace)
        key = (_stat_key(self.workspace / ".mcp.json"), _stat_key(self._trust.path))
        if key != self._mcp_key:
            named = mcp_script_paths(self.workspace) if key[0] is not None else ()
            try:
                trusted = tuple(self._trust.trusted_files()) if key[1] is not None else ()
            except Exception:  # noqa: BLE001 - an unreadable trust file trusts nothing
                trusted = ()
            self._scripts = tuple(dict.fromkeys((*named, *trusted)))
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

    def reset(self) -> None:
        """Forget the state after the last call (at the start of a turn: the user may have edited
        protected files between turns)."""
        self.last = None

    async def between(self, ask: AskChange) -> Verdict:
        """Check the protected set against its state after the previous call of this turn.

        Catches what a process left running by an earlier call (``cmd &`` in the sandbox, an MCP
        server's background task) changed after that call's check. Same handling as
        :meth:`after`: ``ask`` the user with the diff, revert unless approved.
        """
        last = self.last
        if last is None:
            return Verdict()
        return await self.after(last, frozenset(), ask, skip=_users_git_activity)

    async def after(
        self,
        before: snapshot.Snapshot,
        approved_paths: frozenset[str],
        ask: AskChange,
        skip: Callable[[str], bool] | None = None,
    ) -> Verdict:
        """Compare with ``before``; ask about changes outside ``approved_paths``; revert if not approved.

        Args:
            before: From :meth:`before`.
            approved_paths: Casefolded paths the user approved for this call (kept without asking).
            ask: ``async (diff_text, changes) -> bool``: True when the user approves the change.
                Called only when something changed; never replaced by a mode or rule.
            skip: ``(path) -> bool`` for changes to leave alone (not reported, not reverted).

        Returns:
            The verdict (``action`` ``"none"`` when nothing protected changed).
        """
        after = await asyncio.to_thread(snapshot.take, self.workspace, before.scripts)
        self.last = after
        changes = [
            c for c in snapshot.compare(before, after) if c.path.casefold() not in approved_paths and not (skip and skip(c.path))
        ]
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
        self.last = await asyncio.to_thread(snapshot.take, self.workspace, before.scripts)
        return verdict


def _stat_key(path: Path) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def _users_git_activity(path: str) -> bool:
    """Whether ``path`` is what the user's own git commands change (``HEAD``, ``index``, refs).

    Between tool calls these are left alone: the user may commit in another terminal while a
    turn runs (the sandbox cannot write ``.git`` at all: it is mounted read-only). Hooks,
    ``config`` and ``info/`` are still checked.
    """
    parts = path.casefold().split("/")
    return len(parts) > 1 and parts[0] == ".git" and parts[1] in ("head", "index", "refs", "packed-refs", "logs")
