"""Traceability between acceptance criteria, tasks and design sections.

Both ways: requirement -> design (which design items cite each criterion) and requirement ->
tasks; back from each task and each design item to the criteria it covers (``by_task``,
``by_design``); design <-> tasks through the criteria they share (``design_tasks``); and the
citations of criteria that do not exist. A task covers a criterion when its ``_Requirements:_`` entry cites the criterion (``1.2``) or the
whole requirement (``1``, which covers all of its criteria). Problems: ``TRC001`` (a criterion no
task covers; only reported once a ``tasks.md`` exists) and ``TRC002`` (a task cites a criterion
or requirement that does not exist). The design covers a criterion when one of its
``DesignDoc.links`` (``**Validates: Requirements 1.2**`` under a property or section) cites it or
its requirement: ``TRC003`` for a design citation of a criterion that does not exist, ``TRC004``
for a criterion no design item covers (only reported when the design cites requirements at all,
so a design written without citations is not flooded). Missing design sections are listed (the
design parser reports them as ``DES001``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .models import DesignDoc, Problem, RequirementsDoc, TasksDoc


@dataclass(slots=True)
class UnknownRef:
    """A task (or design item) citing a criterion or requirement that does not exist.

    Attributes:
        task_id: the citing task, or the design item (``"Property 3: Title"``) in
            ``TraceReport.design_unknown_refs``.
        ref: the reference as written (``"4.7"`` or ``"9"``).
        line: the task's line in ``tasks.md`` (the citation's line in ``design.md``).
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
        problems: ``TRC001`` - ``TRC004`` problems.
        design_matrix: every criterion id mapped to the design items citing it (empty lists when
            there is no design or it cites nothing).
        design_uncovered: criterion ids no design item covers (``None`` when there is no design
            or it cites no requirement at all).
        design_unknown_refs: design citations of criteria or requirements that do not exist.
        by_task: the other way round: each task id (tasks.md order) mapped to the criterion ids
            its ``_Requirements:_`` covers (a whole requirement expands to its criteria); parent
            tasks citing nothing themselves are left out.
        by_design: each design item (property or section, design.md order) mapped to the
            criterion ids it cites.
        design_tasks: design <-> tasks through the requirements: each design item mapped to the
            tasks covering at least one criterion it cites (empty when no task does).
    """

    matrix: dict[str, list[str]]
    uncovered: list[str]
    unknown_refs: list[UnknownRef]
    tasks_without_refs: list[str]
    design_missing: list[str] | None
    problems: list[Problem] = field(default_factory=list)
    design_matrix: dict[str, list[str]] = field(default_factory=dict)
    design_uncovered: list[str] | None = None
    design_unknown_refs: list[UnknownRef] = field(default_factory=list)
    by_task: dict[str, list[str]] = field(default_factory=dict)
    by_design: dict[str, list[str]] = field(default_factory=dict)
    design_tasks: dict[str, list[str]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (lists and strings only)."""
        return {
            "matrix": {cid: list(tasks) for cid, tasks in self.matrix.items()},
            "uncovered": list(self.uncovered),
            "unknown_refs": [{"task": u.task_id, "ref": u.ref, "line": u.line} for u in self.unknown_refs],
            "tasks_without_refs": list(self.tasks_without_refs),
            "design_missing": None if self.design_missing is None else list(self.design_missing),
            "problems": [p.to_dict() for p in self.problems],
            "design_matrix": {cid: list(items) for cid, items in self.design_matrix.items()},
            "design_uncovered": None if self.design_uncovered is None else list(self.design_uncovered),
            "design_unknown_refs": [{"item": u.task_id, "ref": u.ref, "line": u.line} for u in self.design_unknown_refs],
            "by_task": {tid: list(cids) for tid, cids in self.by_task.items()},
            "by_design": {item: list(cids) for item, cids in self.by_design.items()},
            "design_tasks": {item: list(tids) for item, tids in self.design_tasks.items()},
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
    checkable = requirements is not None and bool(requirements.requirements)
    unknown: list[UnknownRef] = []
    without: list[str] = []
    problems: list[Problem] = []
    by_task: dict[str, list[str]] = {}
    if tasks is not None:
        for task in tasks.all_tasks:
            covered: list[str] = []
            if task.requirements or not task.children:  # a parent citing nothing is covered by its sub-tasks
                covered = by_task.setdefault(task.id, [])
            if not task.requirements and not task.children:
                without.append(task.id)
            for ref in task.requirements:
                targets = _targets(ref, matrix, by_requirement, order)
                if targets is None:
                    unknown.append(UnknownRef(task.id, ref, task.line))
                    if not checkable:
                        continue  # reported once below
                    problems.append(
                        Problem(
                            tasks.path,
                            task.line,
                            "error",
                            "TRC002",
                            f"task {task.id} cites {ref}, which is not a criterion or requirement in requirements.md",
                        )
                    )
                    continue
                for cid in targets:
                    if task.id not in matrix[cid]:
                        matrix[cid].append(task.id)
                    if cid not in covered:
                        covered.append(cid)

    if not checkable and unknown and tasks is not None:
        # one finding, not one per reference: SPEC001 / REQ001 already say why
        why = "requirements.md is missing" if requirements is None else "requirements.md has no '### Requirement N' headings"
        problems.append(
            Problem(
                tasks.path,
                unknown[0].line,
                "error",
                "TRC002",
                f"{len(unknown)} requirement reference(s) cannot be checked: {why}",
            )
        )
    uncovered = [cid for cid, task_ids in matrix.items() if not task_ids]
    if tasks is not None and requirements is not None:
        lines = {c.id: c.line for c in requirements.criteria()}
        for cid in uncovered:
            problems.append(
                Problem(
                    requirements.path,
                    lines.get(cid),
                    "warning",
                    "TRC001",
                    f"criterion {cid} is not covered by any task; cite it in a task's _Requirements:_",
                )
            )
    design_missing = None if design is None else list(design.missing)
    report = TraceReport(matrix, uncovered, unknown, without, design_missing, problems, by_task=by_task)
    if design is not None:
        _design_trace(report, requirements, design, by_requirement, order)
    return report


def _design_trace(
    report: TraceReport,
    requirements: RequirementsDoc | None,
    design: DesignDoc,
    by_requirement: dict[str, list[str]],
    order: list[str],
) -> None:
    design_matrix: dict[str, list[str]] = {cid: [] for cid in report.matrix}
    for link in design.links:
        cited = report.by_design.setdefault(link.item, [])
        for ref in link.refs:
            targets = _targets(ref, report.matrix, by_requirement, order)
            if targets is None:
                report.design_unknown_refs.append(UnknownRef(link.item, ref, link.line))
                report.problems.append(
                    Problem(
                        design.path,
                        link.line,
                        "error",
                        "TRC003",
                        f"{link.item or 'design'} cites {ref}, which is not a criterion or requirement in requirements.md",
                    )
                )
                continue
            for cid in targets:
                if link.item not in design_matrix[cid]:
                    design_matrix[cid].append(link.item)
                if cid not in cited:
                    cited.append(cid)
    report.design_matrix = design_matrix
    for item, cids in report.by_design.items():
        report.design_tasks[item] = [t for t in report.by_task if any(t in report.matrix[c] for c in cids)]
    if not design.links or requirements is None:
        return
    report.design_uncovered = [cid for cid, items in design_matrix.items() if not items]
    lines = {c.id: c.line for c in requirements.criteria()}
    for cid in report.design_uncovered:
        report.problems.append(
            Problem(
                requirements.path,
                lines.get(cid),
                "warning",
                "TRC004",
                f"criterion {cid} is not covered by the design; cite it in a property's '**Validates: Requirements {cid}**'",
            )
        )


def _targets(ref: str, matrix: dict[str, list[str]], by_requirement: dict[str, list[str]], order: list[str]) -> list[str] | None:
    """Criterion ids a reference covers: itself, a whole requirement, a range across requirements or ``all``."""
    if ref in matrix:
        return [ref]
    if ref == "all":  # "_Requirements: all_": every criterion
        return list(order)
    if "." not in ref:
        return by_requirement.get(ref)
    if "-" in ref:
        first, last = ref.split("-", 1)
        if first in matrix and last in matrix and order.index(first) <= order.index(last):
            return order[order.index(first) : order.index(last) + 1]
    return None
