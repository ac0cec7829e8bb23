"""The review screen's review actions: comment, approve, request changes, diff, edit in ``$EDITOR``, tick a task.

A mixin of ``review.SpecReviewScreen`` (it uses the screen's ``spec``, ``stores``, ``doc``, views,
``message``, ``reload``, ``activate`` and ``services``). Each action runs its blocking core call in
a thread (``asyncio.to_thread``) and reloads the screen after it.
"""

from __future__ import annotations

import asyncio
import os
import shlex
import subprocess
from typing import Any

from textual import work
from textual.widgets import Input

from workbench.ui.specs import render

NEXT_STATE = {"todo": "in_progress", "in_progress": "done", "done": "todo"}
"""``space`` on a task cycles todo -> in progress -> done -> todo."""


class ReviewActionsMixin:
    """``c`` comment, ``a`` approve, ``r`` request changes, ``d`` diff, ``e`` edit, ``space`` tick."""

    spec: Any
    stores: Any
    doc: str
    data: Any

    # -- review actions ------------------------------------------------------------------------
    def action_approve(self) -> None:
        """Approve the current document; refused with the workflow's reason when out of order."""
        self._approve(self.doc)

    @work(group="spec-action", exclusive=True, exit_on_error=False)
    async def _approve(self, doc: str) -> None:
        from workbench.core.specs.models import SpecError
        from workbench.core.specs.review import approve_doc

        if not await self._confirm_errors(doc):
            self.message(f"Not approved: {doc}.md has errors (see the Problems tab).", "warning")
            return
        services = self.services
        try:
            if services is not None:  # also recorded as a spec.approved event in the session log
                from workbench.core.specs.workflow_events import approve

                record = await approve(services, self.spec, doc, self.stores)
            else:
                record = await asyncio.to_thread(approve_doc, self.spec, doc, self.stores)
        except (SpecError, OSError) as exc:
            self.message(f"Not approved: {exc}", "error")
            return
        commit = f", commit {record.commit[:12]}" if record.commit else ""
        self.message(f"Approved {doc} (sha256 {record.sha256[:12]}{commit}) by {record.who}.")
        self.reload()

    async def _confirm_errors(self, doc: str) -> bool:
        """When ``doc`` may be approved but has lint errors, ask (``ConfirmModal``); True to go on."""
        from workbench.core.specs.bundle import document_errors
        from workbench.core.specs.workflow import can_approve
        from workbench.ui.plugins.modals import ConfirmModal

        if self.data is None or not can_approve(doc, self.data.statuses).allowed:
            return True  # the approval itself refuses, with the workflow's reason
        errors = await asyncio.to_thread(document_errors, self.spec, doc)
        if not errors:
            return True
        body = "\n".join(p.format(self.spec.workspace) for p in errors)
        title = f"Approve {doc}.md with {len(errors)} error(s)?"
        return bool(await self.app.push_screen_wait(ConfirmModal(title, body, yes_label="Approve anyway (y)")))  # type: ignore[attr-defined]

    def action_request_changes(self) -> None:
        """Record a change request on the current document, carrying its pending comments."""
        self._request_changes(self.doc)

    @work(group="spec-action", exclusive=True, exit_on_error=False)
    async def _request_changes(self, doc: str) -> None:
        from workbench.core.specs.models import SpecError
        from workbench.core.specs.review import request_changes

        services = self.services
        try:
            if services is not None:  # also recorded as a spec.changes_requested event
                from workbench.core.specs.workflow_events import request_changes as request_with_event

                _record, sent = await request_with_event(services, self.spec, doc, self.stores)
            else:
                _record, sent = await asyncio.to_thread(request_changes, self.spec, doc, self.stores)
        except (SpecError, OSError) as exc:
            self.message(f"Changes not requested: {exc}", "error")
            return
        self.message(f"Changes requested on {doc}: {len(sent)} comment(s) sent. Press g to have the model revise it.")
        self.reload()

    def action_diff(self) -> None:
        """Show the current document's diff against its last review record."""
        self._diff(self.doc)

    @work(group="spec-action", exclusive=True, exit_on_error=False)
    async def _diff(self, doc: str) -> None:
        from workbench.core.specs.models import SpecError
        from workbench.core.specs.review import diff_since_review

        try:
            diff = await asyncio.to_thread(diff_since_review, self.spec, doc, self.stores)
        except (SpecError, OSError) as exc:
            self.message(f"No diff: {exc}", "error")
            return
        view = self.view("diff")
        view.set_rows(render.diff_rows(diff.lines), 0)
        since = (
            f"the draft of {diff.record.ts} replaced it"
            if diff.record.previous_sha256 and diff.record.action == "submit_review"
            else f"{diff.record.action.replace('_', ' ')} at {diff.record.ts}"
        )
        view.empty = f"{doc}.md is unchanged since {since}."
        view.set_rows(view.rows)
        self.activate("diff")
        changed = sum(1 for line in diff.lines if line[:1] in "+-" and not line.startswith(("+++", "---")))
        self.message(f"Diff of {doc} since {since}: {changed} changed line(s).")

    def action_edit(self) -> None:
        """Open the current document in ``$VISUAL``/``$EDITOR`` (the app suspends), then reload."""
        from textual.app import SuspendNotSupported

        editor = os.environ.get("VISUAL") or os.environ.get("EDITOR")
        if not editor:
            self.message("Set $EDITOR (or $VISUAL) to open documents, e.g. export EDITOR=vim", "error")
            return
        path = self.spec.path(self.doc)
        try:
            with self.app.suspend():
                subprocess.run([*shlex.split(editor), str(path)], check=False)
        except SuspendNotSupported:
            self.message("This terminal cannot suspend the app; edit the file elsewhere (it reloads on save).", "error")
            return
        except OSError as exc:
            self.message(f"Cannot start the editor {editor!r}: {exc}", "error")
            return
        self.reload()

    def action_tick(self) -> None:
        """Cycle the state of the task under the cursor (Tasks tab only)."""
        if self.active_tab != "tasks" or self.data is None or self.data.bundle.tasks is None:
            self.message("Ticking works on the Tasks tab: put the cursor on a task and press space.", "warning")
            return
        task_id = self.view("tasks").key
        task = self.data.bundle.tasks.get(task_id) if task_id else None
        if task is None:
            self.message("No task under the cursor.", "warning")
            return
        self._tick(task.id, NEXT_STATE[task.state])

    @work(group="spec-tick", exclusive=True, exit_on_error=False)
    async def _tick(self, task_id: str, state: str) -> None:
        from workbench.core.specs.models import SpecError
        from workbench.core.specs.tasks import set_task_state

        services = self.services
        try:
            if services is not None:  # also recorded as a spec.task_state event
                from workbench.core.specs.workflow_events import set_task

                await set_task(services, self.spec, task_id, state, reason="ticked")
            else:
                await asyncio.to_thread(set_task_state, self.spec.path("tasks"), task_id, state)
        except (SpecError, ValueError, OSError) as exc:
            self.message(f"Task {task_id} not changed: {exc}", "error")
            return
        self.message(f"Task {task_id}: {state.replace('_', ' ')}.")
        self.reload()

    def current_anchor(self) -> dict[str, Any]:
        """Where a comment made now would point: ``requirement``, ``criterion`` and ``line``."""
        if self.doc == "requirements":
            key = self.outline.key
            anchor: dict[str, Any] = {"requirement": None, "criterion": None, "line": None}
            if isinstance(key, tuple):
                if key[0] == "crit":
                    anchor["criterion"] = key[1]
                    anchor["requirement"] = int(key[1].split(".")[0])
                else:
                    anchor["requirement"] = key[1]
                anchor["line"] = self._outline_lines.get(key)
            elif self.view("requirements").cursor >= 0:
                anchor["line"] = self.view("requirements").cursor + 1
            return anchor
        cursor = self.view(self.doc).cursor
        return {"line": cursor + 1 if cursor >= 0 else None}

    async def action_comment(self) -> None:
        """Open the comment box for the current requirement (or line); it is mounted on first use."""
        if not self.query("#comment-input"):
            await self.mount(Input(id="comment-input", classes="-hidden"), before="#review-keys")
        anchor = self.current_anchor()
        where = anchor.get("criterion") or (f"requirement {anchor['requirement']}" if anchor.get("requirement") else None)
        where = where or (f"line {anchor['line']}" if anchor.get("line") else self.doc)
        box = self.query_one("#comment-input", Input)
        box.placeholder = f"Comment on {where} of {self.doc}.md (Enter saves, Esc cancels)"
        box.value = ""
        box.remove_class("-hidden")
        box.focus()

    def _hide_comment_box(self) -> None:
        for box in self.query("#comment-input"):
            box.add_class("-hidden")
        self.view(self.active_tab).focus()

    @work(group="spec-comment", exit_on_error=False)
    async def _save_comment(self, text: str, doc: str, anchor: dict[str, Any]) -> None:
        from workbench.core.specs.review import add_comment

        try:
            comment = await asyncio.to_thread(add_comment, self.spec, doc, self.stores, text, **anchor)
        except (ValueError, OSError) as exc:
            self.message(f"Comment not saved: {exc}", "error")
            return
        self.message(f"Comment on {comment.anchor} saved (pending).")
        self.reload()
