"""Loading all documents of one spec and running every check on them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from .bugfix import load_bugfix
from .design import load_design
from .ears import lint_requirements
from .models import DesignDoc, Problem, RequirementsDoc, Spec, TasksDoc
from .requirements import load_requirements
from .tasks import load_tasks
from .trace import TraceReport, build_trace

D = TypeVar("D", RequirementsDoc, DesignDoc, TasksDoc)


@dataclass(slots=True)
class SpecBundle:
    """The parsed documents of a spec (``None`` for a document that does not exist).

    Attributes:
        spec: the spec.
        requirements: parsed ``requirements.md``.
        design: parsed ``design.md``.
        tasks: parsed ``tasks.md``.
        problems: folder-level problems (a missing requirements.md, unreadable files).
    """

    spec: Spec
    requirements: RequirementsDoc | None
    design: DesignDoc | None
    tasks: TasksDoc | None
    problems: list[Problem] = field(default_factory=list)


def load_spec(spec: Spec) -> SpecBundle:
    """Read and parse the documents of ``spec``; never raises on bad content or unreadable files.

    Args:
        spec: a spec from ``discover_specs``.
    """
    problems: list[Problem] = []
    first = load_bugfix if spec.kind == "bugfix" else load_requirements
    requirements = _load(spec, "requirements", first, problems)
    design = _load(spec, "design", load_design, problems)
    tasks = _load(spec, "tasks", load_tasks, problems)
    if not spec.path("requirements").exists():  # bugfix.md in a bugfix spec
        problems.append(
            Problem(
                str(spec.path("requirements")),
                None,
                "warning",
                "SPEC001",
                "requirements.md is missing; every spec starts with requirements",
            )
        )
    return SpecBundle(spec, requirements, design, tasks, problems)


def _load(spec: Spec, doc: str, loader: Callable[[Path], D], problems: list[Problem]) -> D | None:
    """Parse document ``doc`` of ``spec`` with ``loader``; None when it does not exist or cannot be
    read (the latter added to ``problems``)."""
    path = spec.path(doc)
    if not path.exists():
        return None
    try:
        return loader(path)
    except OSError as exc:
        problems.append(Problem(str(path), None, "error", "SPEC002", f"cannot read the file: {exc.strerror or exc}"))
        return None


def check_spec(bundle: SpecBundle) -> tuple[list[Problem], TraceReport]:
    """Run parse problems, EARS lint and traceability over a loaded spec.

    Args:
        bundle: from ``load_spec``.

    Returns:
        ``(problems, report)``: all problems in the order folder, requirements (parse then
        EARS), design, tasks, traceability; and the traceability report.
    """
    problems = list(bundle.problems)
    if bundle.requirements is not None:
        problems += bundle.requirements.problems
        if bundle.spec.kind != "bugfix":  # a bugfix analysis describes the defect: no EARS lint
            problems += lint_requirements(bundle.requirements)
    if bundle.design is not None:
        problems += bundle.design.problems
    if bundle.tasks is not None:
        problems += bundle.tasks.problems
    report = build_trace(bundle.requirements, bundle.design, bundle.tasks)
    problems += report.problems
    return problems, report


def document_errors(spec: Spec, doc: str) -> list[Problem]:
    """Return the error-severity problems reported against ``doc``'s file (parse, lint, trace).

    Used by the approval gates: approving a document with errors needs ``--force`` in the CLI
    and a confirmation in the TUI. Blocking (reads the spec's files).

    Args:
        spec: the spec.
        doc: ``"requirements"``, ``"design"`` or ``"tasks"``.
    """
    problems, _ = check_spec(load_spec(spec))
    target = spec.path(doc)
    return [p for p in problems if p.severity == "error" and Path(p.file) == target]
