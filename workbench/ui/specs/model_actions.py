"""The review screen's model-driven actions: ``g`` drafts or revises a document, ``s`` runs a task.

A mixin of ``review.SpecReviewScreen`` (it uses the screen's views, ``message``, ``reload`` and
``services``). The draft streams into the document's view, redrawn every ``STREAM_INTERVAL``;
a task's agent turn runs as an app worker (``run_task_turn``) so it goes on when the screen
closes, and ends with the y/n confirmation (``dialogs.ConfirmTaskScreen``).
"""

from __future__ import annotations

import asyncio
from typing import Any

from textual import work
from textual.widgets import Static

from workbench.ui.specs import render

STREAM_INTERVAL = 0.1
"""Seconds between redraws of a document while the model streams it."""


class ModelActionsMixin:
    """``g`` (generate/revise the current document) and ``s`` (start the task under the cursor)."""

    drafting: str | None
    draft_result: Any

    def action_generate(self) -> None:
        """Have the model draft the current document, or revise it with the review comments."""
        if self.drafting is not None:
            self.message(
                f"The model is still drafting {self.drafting}; wait for it (Esc closes the screen and drops the draft).",
                "warning",
            )
            return
        self._generate(self.doc, None)

    @work(group="spec-draft", exclusive=True, exit_on_error=False)
    async def _generate(self, doc: str, idea: str | None) -> None:
        """Stream the model's draft of ``doc`` into its view (redrawn every ``STREAM_INTERVAL``), then reload."""
        from workbench.core.llm.errors import LLMError
        from workbench.core.specs.drafting import draft
        from workbench.core.specs.models import SpecError

        services = self.services
        if services is None:
            self.message("The model is not ready yet (the services are still starting); try again in a moment.", "error")
            return
        if self.stores is None:
            from workbench.core.specs.review import ReviewStores

            self.stores = await asyncio.to_thread(ReviewStores.for_workspace, self.spec.workspace)
        stream = draft(services, self.spec, doc, idea=idea, stores=self.stores)
        loop = asyncio.get_running_loop()
        text = ""
        shown = 0.0
        try:
            async for chunk in stream:
                if self.drafting is None:  # the gate passed: the first text arrived
                    self.drafting = doc
                    self.activate(doc)
                text += chunk
                now = loop.time()
                if now - shown >= STREAM_INTERVAL:
                    shown = now
                    self._show_stream(doc, text)
                    self.query_one("#review-message", Static).update(f"The model is drafting {doc}.md… {len(text)} characters")
        except (SpecError, OSError) as exc:
            self.message(f"Not generated: {exc}", "error")
            return
        except LLMError as exc:
            self.message(f"The draft of {doc} failed (nothing was written): {exc}", "error")
            return
        finally:
            if self.drafting == doc:
                self.drafting = None
                self.reload()
        result = stream.result
        self.draft_result = result
        if result.diff:
            view = self.view("diff")
            view.set_rows(render.diff_rows(result.diff), 0)
            self.activate("diff")
            changed = sum(1 for line in result.diff if line[:1] in "+-" and not line.startswith(("+++", "---")))
            sent = f" answering {len(result.comments)} comment(s)" if result.comments else ""
            self.message(
                f"Revised {doc}.md{sent}: {changed} changed line(s) (Diff tab). It is in review: a approves, c + g revises."
            )
        else:
            self.activate(doc)
            self.message(f"Drafted {doc}.md ({len(result.text)} characters). It is in review: a approves, c comments, g revises.")

    def _show_stream(self, doc: str, text: str) -> None:
        rows = render.draft_rows(text, doc)
        self.view(doc).set_rows(rows, len(rows) - 1)

    # -- update tasks from requirements
    def action_update_tasks(self) -> None:
        """Ask the model for a task diff after the requirements changed; show it to accept or reject."""
        if self.drafting is not None:
            self.message(f"The model is still drafting {self.drafting}; wait for it.", "warning")
            return
        self._update_tasks()

    @work(group="spec-draft", exclusive=True, exit_on_error=False)
    async def _update_tasks(self) -> None:
        from workbench.core.llm.errors import LLMError
        from workbench.core.specs.models import SpecError
        from workbench.core.specs.update_tasks import apply_task_update, propose_task_update
        from workbench.ui.specs.dialogs import TaskDiffScreen

        services = self.services
        if services is None:
            self.message("The model is not ready yet (the services are still starting); try again in a moment.", "error")
            return
        status = self.query_one("#review-message", Static)
        received = 0

        def progress(chunk: str) -> None:
            nonlocal received
            received += len(chunk)
            status.update(f"The model is proposing task changes… {received} characters")

        self.drafting = "tasks"
        try:
            update = await propose_task_update(services.llm, self.spec, progress)
        except (SpecError, OSError) as exc:
            self.message(f"Tasks not updated: {exc}", "error")
            return
        except LLMError as exc:
            self.message(f"The task update failed (nothing was written): {exc}", "error")
            return
        finally:
            self.drafting = None
        if not update.changed:
            self.message("The model proposes no change to tasks.md.")
            return
        if update.refused is not None:
            self.message(f"The proposal cannot replace tasks.md: {update.refused}. Nothing was written.", "error")
            return
        if not await self.app.push_screen_wait(TaskDiffScreen(update.diff)):  # type: ignore[attr-defined]
            self.message("Task changes rejected; tasks.md is unchanged.")
            return
        if self.stores is None:
            from workbench.core.specs.review import ReviewStores

            self.stores = await asyncio.to_thread(ReviewStores.for_workspace, self.spec.workspace)
        try:
            await asyncio.to_thread(apply_task_update, update, self.stores)
        except (SpecError, OSError) as exc:
            self.message(f"Tasks not updated: {exc}", "error")
            return
        self.reload()
        self.activate("tasks")
        self.message("Task changes applied: tasks.md is in review (a approves).")

    # -- running tasks
    def action_start_task(self) -> None:
        """Start the task under the cursor with the agent (Tasks tab only; one task at a time)."""
        if self.active_tab != "tasks" or self.data is None or self.data.bundle.tasks is None:
            self.message("Starting works on the Tasks tab: put the cursor on a task and press s.", "warning")
            return
        task_id = self.view("tasks").key
        if not isinstance(task_id, str) or self.data.bundle.tasks.get(task_id) is None:
            self.message("No task under the cursor.", "warning")
            return
        self._start_task(task_id)

    @work(group="spec-task", exclusive=True, exit_on_error=False)
    async def _start_task(self, task_id: str) -> None:
        from workbench.core.specs.models import SpecError
        from workbench.core.specs.tasks_run import start_task

        services = self.services
        if services is None:
            self.message("The agent is not ready yet (the services are still starting); try again in a moment.", "error")
            return
        try:
            run = await start_task(services, self.spec, task_id)
        except (SpecError, ValueError, OSError) as exc:
            self.message(f"Task not started: {exc}", "error")
            return
        self.reload()
        self.message(f"Task {task_id} started ([-]): the agent is working on it in the Chat pane.")
        # An app worker: the turn goes on when this screen closes.
        self.app.run_worker(run_task_turn(self.app, services, run, self), group="spec-task-turn", exit_on_error=False)


async def run_task_turn(app: Any, services: Any, run: Any, screen: Any = None) -> str:
    """Run the agent turn of a started task, then ask the user whether it is done (``ConfirmTaskScreen``).

    Runs as an app worker (``push_screen_wait`` needs one). Yes sets the task ``[x]``, no keeps
    it ``[-]``; the review screen (when still open) reloads.

    Returns:
        The task's state afterwards (``done`` or ``in_progress``).
    """
    from workbench.core.chat.service import TurnInProgress
    from workbench.core.specs.tasks_run import finish_task
    from workbench.ui.specs.dialogs import ConfirmTaskScreen

    task = run.task
    try:
        outcome = await services.chat.send(run.prompt)
        status = outcome.status
    except TurnInProgress as exc:
        app.notify(f"Task {task.id} stays in progress: {exc}", severity="error", timeout=10)
        return "in_progress"
    done = await app.push_screen_wait(ConfirmTaskScreen(task.id, task.title, status))
    try:
        state = await finish_task(services, run.spec, task.id, bool(done))
    except Exception as exc:  # the file changed meanwhile, disk full: tell the user, keep the app up
        app.notify(f"Task {task.id} not updated: {exc}", severity="error", timeout=10)
        return "in_progress"
    text = f"Task {task.id} done [x]." if state == "done" else f"Task {task.id} stays in progress [-]."
    if screen is not None and screen.is_attached:
        screen.message(text)
        screen.reload()
    else:
        app.notify(text)
    return state
