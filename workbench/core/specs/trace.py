"""Traceability between acceptance criteria, tasks and design sections.

A task covers a criterion when its ``_Requirements:_`` entry cites the criterion (``1.2``) or the
whole requirement (``1``, which covers all of its criteria). Problems: ``TRC001`` (a criterion no
task covers; only reported once a ``tasks.md`` exists) and ``TRC002`` (a task cites a criterion
or requirement that does not exist). Missing design sections are listed (the design parser
reports them as ``DES001``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .models import DesignDoc, Problem, RequirementsDoc, TasksDoc


@dataclass(slots=True)
class UnknownRef:
    """A task citing a criterion or requirement that does not exist.

    Attributes:
        task_id: the citing task.
        ref: the reference as written (``"4.7"`` or ``"9"``).
        line: the task's line in ``tasks.md``.
    """

    task_id: str
    ref: str
    line: int


@dataclass(slots=True)
class TraceReport:
    """Criterion <-> task matrix and coverage findings.

    Attributes:
        matrix: every criterion id, in document order, mapped to the ids of the tasks covering it.
        uncovered: criterion ids no task covers.
        unknown_refs: references to criteria or requirements that do not exist.
        tasks_without_refs: ids of leaf tasks citing nothing.
        design_missing: required design sections missing (``None`` when there is no design.md).
        problems: ``TRC001`` / ``TRC002`` problems.
    """

    matrix: dict[str, list[str]]
    uncovered: list[str]
    unknown_refs: list[UnknownRef]
    tasks_without_refs: list[str]
    design_missing: list[str] | None
    problems: list[Problem] = field(default_factory=list)

    def to_dict(self) -> dict:
        """Return a JSON-ready dict (lists and strings only)."""
        return {
            "matrix": {cid: list(tasks) for cid, tasks in self.matrix.items()},
            "uncovered": list(self.uncovered),
            "unknown_refs": [{"task": u.task_id, "ref": u.ref, "line": u.line} for u in self.unknown_refs],
            "tasks_without_refs": list(self.tasks_without_refs),
            "design_missing": None if self.design_missing is None else list(self.design_missing),
            "problems": [p.to_dict() for p in self.problems],
        }


def build_trace(
    requirements: RequirementsDoc | None,
    design: DesignDoc | None = None,
    tasks: TasksDoc | None = None,
) -> TraceReport:
    """Build the traceability report of one spec.

    Args:
        requirements: the parsed requirements (``None`` when the file does not exist).
        design: the parsed design, if any.
        tasks: the parsed tasks, if any.

    Returns:
        The report; an empty matrix when there are no requirements.
    """
    matrix: dict[str, list[str]] = {}
    by_requirement: dict[str, list[str]] = {}
    if requirements is not None:
        for criterion in requirements.criteria():
            matrix.setdefault(criterion.id, [])
            by_requirement.setdefault(str(criterion.requirement), []).append(criterion.id)
        for requirement in requirements.requirements:
            by_requirement.setdefault(str(requirement.number), [])

    order = list(matrix)
    unknown: list[UnknownRef] = []
    without: list[str] = []
    problems: list[Problem] = []
    if tasks is not None:
        for task in tasks.all_tasks:
            if not task.requirements and not task.children:
                without.append(task.id)
            for ref in task.requirements:
                targets = _targets(ref, matrix, by_requirement, order)
                if targets is None:
                    unknown.append(UnknownRef(task.id, ref, task.line))
                    problems.append(
                        Problem(tasks.path, task.line, "error", "TRC002",
                                f"task {task.id} cites {ref}, which is not a criterion or requirement in requirements.md")
                    )
                    continue
                for cid in targets:
                    if task.id not in matrix[cid]:
                        matrix[cid].append(task.id)

    uncovered = [cid for cid, task_ids in matrix.items() if not task_ids]
    if tasks is not None and requirements is not None:
        lines = {c.id: c.line for c in requirements.criteria()}
        for cid in uncovered:
            problems.append(
                Problem(requirements.path, lines.get(cid), "warning", "TRC001",
                        f"criterion {cid} is not covered by any task; cite it in a task's _Requirements:_")
            )
    design_missing = None if design is None else list(design.missing)
    return TraceReport(matrix, uncovered, unknown, without, design_missing, problems)


def _targets(ref: str, matrix: dict[str, list[str]], by_requirement: dict[str, list[str]], order: list[str]) -> list[str] | None:
    """Criterion ids a reference covers: itself, a whole requirement, or a range across requirements."""
    if ref in matrix:
        return [ref]
    if "." not in ref:
        return by_requirement.get(ref)
    if "-" in ref:
        first, last = ref.split("-", 1)
        if first in matrix and last in matrix and order.index(first) <= order.index(last):
            return order[order.index(first): order.index(last) + 1]
    return None
