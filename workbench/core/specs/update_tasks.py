""" "Update tasks from requirements": the model proposes a new ``tasks.md``, shown as a diff first.

After the requirements (or design) change, ``propose_task_update`` sends the current requirements,
design and tasks, plus what the traceability check finds (criteria no task covers, tasks citing
criteria that no longer exist), and asks for the whole revised ``tasks.md``: keep the ids and
checkbox states of tasks that still apply, add tasks for new criteria, drop or re-cite tasks of
removed ones. Nothing is written then: the caller shows ``TaskUpdate.diff`` and, when the user
accepts, ``apply_task_update`` writes it through ``drafting.commit_draft`` (checked to be a tasks
document, previous text kept as a snapshot, the document put ``in_review``). The CLI
(``workbench spec update-tasks NAME [--yes]``) and the review screen (``u``, a diff with accept /
reject) are the two front ends.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .bundle import check_spec, load_spec
from .draft_check import check_draft
from .drafting import SYSTEM_PROMPT, DraftPlan, DraftResult, _cut, _read, clean_reply, commit_draft
from .models import Spec, WorkflowError
from .snapshots import unified_diff

if TYPE_CHECKING:
    from .review import ReviewStores

GUIDE = """\
The requirements of this feature changed after its implementation plan (tasks.md) was written.
Revise tasks.md so that it implements the current requirements below:

- keep every task that still applies with its id, title and checkbox state ([x] done, [-] in progress, [ ] todo);
- add tasks (unchecked, numbered after the existing ones) for criteria no task covers;
- re-cite or remove tasks that cite criteria which no longer exist;
- every task cites the criteria it implements with `_Requirements: N.M_`.

Reply with the complete revised tasks.md only."""
"""What the model is told (with the documents and the trace findings)."""


@dataclass(slots=True)
class TaskUpdate:
    """The model's proposed ``tasks.md``, not yet applied.

    Attributes:
        spec: the spec.
        previous: the current ``tasks.md`` text.
        text: the proposed text (cleaned: one wrapping code fence removed).
        diff: unified diff lines from ``previous`` to ``text`` (``[]``: no change).
        refused: why it cannot be applied (not a tasks document; ``draft_check``), else ``None``.
        messages: the chat messages sent.
    """

    spec: Spec
    previous: str
    text: str
    diff: list[str]
    refused: str | None
    messages: list[dict[str, Any]]

    @property
    def changed(self) -> bool:
        """True when the proposal differs from the current text."""
        return bool(self.diff)


def plan_task_update(spec: Spec) -> tuple[list[dict[str, Any]], str]:
    """Build the messages for the model and return them with the current ``tasks.md``. Blocking.

    Raises:
        WorkflowError: the spec has no ``tasks.md`` or no requirements document yet.
    """
    previous = _read(spec.path("tasks"))
    if previous is None:
        raise WorkflowError(f"{spec.key} has no tasks.md yet: draft the tasks first (there is nothing to update)")
    requirements = _read(spec.path("requirements"))
    if requirements is None:
        raise WorkflowError(f"{spec.key} has no {spec.path('requirements').name}: there is nothing to update the tasks from")
    _, report = check_spec(load_spec(spec))
    findings = []
    if report.uncovered:
        findings.append("Criteria no task covers: " + ", ".join(report.uncovered))
    if report.unknown_refs:
        findings.append(
            "Tasks citing criteria that do not exist: "
            + ", ".join(f"task {u.task_id} cites {u.ref}" for u in report.unknown_refs)
        )
    parts = [f"Feature: {spec.name}", GUIDE, f"Current {spec.path('requirements').name}:\n\n" + _cut(requirements)]
    design = _read(spec.path("design"))
    if design is not None:
        parts.append("Current design.md:\n\n" + _cut(design))
    parts.append("Current tasks.md, to revise:\n\n" + _cut(previous))
    parts.append("What the traceability check finds:\n" + ("\n".join(findings) if findings else "every criterion is covered"))
    messages = [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": "\n\n".join(parts)}]
    return messages, previous


async def propose_task_update(llm: Any, spec: Spec, on_text: Callable[[str], None] | None = None) -> TaskUpdate:
    """Ask the model (streamed) for a revised ``tasks.md``; write nothing.

    Args:
        llm: an ``LLMClient`` (``stream_chat``).
        spec: the spec.
        on_text: called with each streamed text chunk (progress display).

    Raises:
        WorkflowError: no tasks.md / requirements (before any request), or an empty reply.
        LLMError: the request failed.
    """
    import asyncio

    from workbench.core.llm.stream import TextDelta

    messages, previous = await asyncio.to_thread(plan_task_update, spec)
    parts: list[str] = []
    async for item in llm.stream_chat(messages):
        if isinstance(item, TextDelta) and item.text:
            parts.append(item.text)
            if on_text is not None:
                on_text(item.text)
    text = clean_reply("".join(parts))
    if not text:
        raise WorkflowError("the model returned an empty tasks.md; nothing to propose (try again)")
    diff = unified_diff(previous, text, "tasks.md (current)", "tasks.md (proposed)") if text != previous else []
    return TaskUpdate(spec, previous, text, diff, check_draft("tasks", text, previous), messages)


def apply_task_update(update: TaskUpdate, stores: ReviewStores, who: str | None = None) -> DraftResult:
    """Write an accepted proposal to ``tasks.md`` (``drafting.commit_draft``). Blocking.

    Raises:
        WorkflowError: ``tasks.md`` changed since the proposal was made (ask again), the
            proposal changes nothing, or it was refused (``DraftRejectedError`` keeps it as
            ``tasks.draft.md``).
    """
    current = _read(update.spec.path("tasks"))
    if current != update.previous:
        raise WorkflowError("tasks.md changed since the proposal was made; nothing was written (ask for a new proposal)")
    if not update.changed:
        raise WorkflowError("the proposal is the same as tasks.md; nothing to apply")
    plan = DraftPlan(update.spec, "tasks", update.messages, update.previous, [])
    return commit_draft(plan, update.text, stores, who)
