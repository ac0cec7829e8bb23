"""Running one spec task with the agent: one task at a time, confirmed by the user.

``start_task`` checks that nothing else runs (no other task ``[-]``, no agent turn in flight),
sets the task ``[-]`` (only its line of ``tasks.md`` changes) and returns the prompt: the task
(id, title, details, sub-tasks), the text of every acceptance criterion it cites and the design
document. The caller runs ``services.chat.send(prompt)``; when the turn ends the user confirms
and ``finish_task`` sets ``[x]``: the workbench changes the checkbox, not the model.
``run_task`` does start + send for callers without a UI.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .models import Requirement, RequirementsDoc, Spec, Task, TaskNotFoundError, TasksDoc, WorkflowError

if TYPE_CHECKING:
    from workbench.core.agent.turn import TurnOutcome

    from .host import SpecHost

MAX_DESIGN_CHARS = 60_000
"""Longest design text put into a task prompt (longer designs are cut, with a note)."""


@dataclass(slots=True)
class TaskRun:
    """A started task.

    Attributes:
        spec: the spec.
        task: the task (as parsed when it was started).
        prompt: the prompt for the agent.
        cited: ``{criterion id: text}`` of the criteria the task cites (whole requirements expanded).
        unknown: cited ids that match no criterion.
    """

    spec: Spec
    task: Task
    prompt: str
    cited: dict[str, str]
    unknown: list[str]


def _ancestors(task_id: str) -> set[str]:
    parts = task_id.split(".")
    return {".".join(parts[:i]) for i in range(1, len(parts))}


def check_can_start(tasks: TasksDoc, task_id: str, agent_running: bool) -> Task:
    """Return the task if it may start now.

    A task may start when no agent turn is running and no other task is in progress (its own
    parent tasks do not count: ``2`` is ``[-]`` while ``2.1`` runs). Re-starting a task that is
    itself ``[-]`` is allowed (the previous run was not confirmed).

    Raises:
        TaskNotFoundError: no such task.
        WorkflowError: the agent is busy, another task is in progress, or the task is done.
    """
    task = tasks.get(task_id)
    if task is None:
        known = ", ".join(t.id for t in tasks.all_tasks[:20]) or "none"
        raise TaskNotFoundError(f"task {task_id} not found in {tasks.path} (tasks: {known})")
    if agent_running:
        raise WorkflowError(
            f"cannot start task {task_id}: the agent is running a turn; wait for it or cancel it (Esc in the chat)"
        )
    skip = _ancestors(task_id) | {task_id}
    busy = [t for t in tasks.all_tasks if t.state == "in_progress" and t.id not in skip]
    if busy:
        other = busy[0]
        raise WorkflowError(
            f"cannot start task {task_id}: task {other.id} ({other.title}) is in progress (line {other.line}); "
            "one task at a time: finish it (confirm done) or set it back to todo (space) first"
        )
    if task.state == "done":
        raise WorkflowError(f"task {task_id} is already done; set it back to todo (space) to run it again")
    return task


def cited_criteria(requirements: RequirementsDoc | None, refs: list[str]) -> tuple[dict[str, str], list[str], list[Requirement]]:
    """Resolve a task's ``_Requirements:_`` references.

    Args:
        requirements: the parsed requirements (``None`` when missing).
        refs: criterion ids (``"1.2"``) or requirement numbers (``"3"``).

    Returns:
        ``(criteria, unknown, requirements)``: ``{id: text}`` in citation order, the ids matching
        nothing, and the requirements involved (for their user stories).
    """
    by_number = {r.number: r for r in (requirements.requirements if requirements else [])}
    criteria: dict[str, str] = {}
    unknown: list[str] = []
    involved: dict[int, Requirement] = {}
    for ref in refs:
        number, _, sub = ref.partition(".")
        req = by_number.get(int(number)) if number.isdigit() else None
        if req is None:
            unknown.append(ref)
            continue
        matched = [c for c in req.criteria if not sub or c.id == ref]
        if not matched:
            unknown.append(ref)
            continue
        involved[req.number] = req
        for crit in matched:
            criteria[crit.id] = crit.text
    return criteria, unknown, list(involved.values())


def _with_descendants(task: Task) -> list[Task]:
    out = [task]
    for child in task.children:
        out += _with_descendants(child)
    return out


def _task_lines(task: Task, indent: str = "") -> list[str]:
    lines = [f"{indent}- {task.id} {task.title}" + (" (optional)" if task.optional else "")]
    lines += [f"{indent}  - {d}" for d in task.details]
    for child in task.children:
        lines += _task_lines(child, indent + "  ")
    return lines


def build_task_prompt(
    spec: Spec, task: Task, requirements: RequirementsDoc | None, design: str | None
) -> tuple[str, dict[str, str], list[str]]:
    """Build the agent's prompt for ``task``: the task, the criteria it cites, the design.

    A parent task's prompt lists its sub-tasks and the criteria they cite too.

    Returns:
        ``(prompt, cited criteria {id: text}, unknown references)``.
    """
    refs: list[str] = []
    for each in _with_descendants(task):
        refs += [r for r in each.requirements if r not in refs]
    criteria, unknown, involved = cited_criteria(requirements, refs)
    rel = spec.root.relative_to(spec.workspace) if spec.root.is_relative_to(spec.workspace) else spec.root
    parts = [
        f"Implement task {task.id} of the spec `{spec.key}` ({rel}/).",
        "## Task\n\n" + "\n".join(_task_lines(task)),
    ]
    if refs:
        parts.append("Cited requirements: " + ", ".join(refs))
    if criteria:
        stories = "\n".join(f"- Requirement {r.number} ({r.title}): {r.user_story}" for r in involved if r.user_story)
        crit = "\n".join(f"- {cid}: {text}" for cid, text in criteria.items())
        parts.append(
            "## Acceptance criteria this task implements\n\n" + crit + (f"\n\nUser stories:\n{stories}" if stories else "")
        )
    if unknown:
        parts.append("Note: these cited references match no criterion in requirements.md: " + ", ".join(unknown))
    if design:
        text = design if len(design) <= MAX_DESIGN_CHARS else design[:MAX_DESIGN_CHARS] + "\n[... design cut ...]\n"
        parts.append("## Design (design.md)\n\n" + text)
    parts.append(
        "## How to work\n\n"
        f"Implement only task {task.id} (and its sub-tasks listed above), following the design, so that the "
        "acceptance criteria hold; add or update tests for them and run them. Do not edit the checkboxes in "
        "tasks.md: the workbench marks the task done once the user confirms. End with a short summary of "
        "what you changed and how you checked it."
    )
    return "\n\n".join(parts), criteria, unknown


def prepare_task(spec: Spec, task_id: str, agent_running: bool) -> TaskRun:
    """Check the task may start and build its prompt (no file is changed). Blocking (file IO).

    Raises:
        WorkflowError, TaskNotFoundError: see ``check_can_start``; tasks.md missing.
    """
    from .requirements import load_requirements
    from .tasks import load_tasks

    path = spec.path("tasks")
    if not path.exists():
        raise WorkflowError(f"cannot start a task: {path} does not exist; generate the tasks first (g on the Tasks tab)")
    tasks = load_tasks(path)
    task = check_can_start(tasks, task_id, agent_running)
    req_path = spec.path("requirements")
    requirements = load_requirements(req_path) if req_path.exists() else None
    try:
        design = spec.path("design").read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        design = None
    prompt, cited, unknown = build_task_prompt(spec, task, requirements, design)
    return TaskRun(spec, task, prompt, cited, unknown)


async def start_task(services: SpecHost, spec: Spec, task_id: str) -> TaskRun:
    """Check, then set the task ``[-]`` (``spec.task_state`` event); return the run with its prompt.

    Raises:
        WorkflowError: the agent is running, another task is in progress, the task is done, or
            tasks.md is missing.
        TaskNotFoundError: no such task.
    """
    import asyncio

    from .workflow_events import set_task

    run = await asyncio.to_thread(prepare_task, spec, task_id, services.chat.running)
    if services.chat.running:  # a turn may have started while the files were read
        raise WorkflowError(f"cannot start task {task_id}: the agent is running a turn; wait for it or cancel it")
    if run.task.state != "in_progress":
        await set_task(services, spec, task_id, "in_progress", reason="started")
    return run


async def finish_task(services: SpecHost, spec: Spec, task_id: str, confirmed: bool) -> str:
    """Apply the user's answer after the agent's turn: yes sets ``[x]``, no leaves the task ``[-]``.

    Returns:
        The task's state afterwards (``done`` or ``in_progress``).
    """
    from .workflow_events import SPEC_TASK_STATE, emit_spec_event, set_task

    if confirmed:
        await set_task(services, spec, task_id, "done", reason="confirmed done")
        return "done"
    await emit_spec_event(
        services,
        SPEC_TASK_STATE,
        {
            "spec": spec.key,
            "task": task_id,
            "title": "",
            "state": "in_progress",
            "previous": "in_progress",
            "reason": "not confirmed: stays in progress",
        },
    )
    return "in_progress"


async def run_task(services: SpecHost, spec: Spec, task_id: str) -> tuple[TaskRun, TurnOutcome]:
    """Start the task and run the agent turn on its prompt (the caller then calls ``finish_task``).

    Raises:
        what ``start_task`` raises; ``TurnInProgress`` when a turn started meanwhile.
    """
    run = await start_task(services, spec, task_id)
    outcome = await services.chat.send(run.prompt)
    return run, outcome
