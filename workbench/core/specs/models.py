"""Plain data for spec documents: what the parsers return and the checks report.

Only dataclasses and the standard library, so importing them is cheap (the UI and the CLI both
use them). The document layout follows Kiro's spec format (https://kiro.dev/docs/specs/):
``requirements.md``, ``design.md`` and ``tasks.md`` in one folder per feature.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

#: The three documents of a spec, in workflow order.
DOC_KINDS: tuple[str, ...] = ("requirements", "design", "tasks")

Severity = Literal["error", "warning"]
SpecSource = Literal["workbench", "kiro"]
TaskState = Literal["todo", "in_progress", "done"]


class SpecError(Exception):
    """Base class of the typed errors raised by ``workbench.core.specs``."""


class TaskNotFoundError(SpecError, KeyError):
    """A task id is not in ``tasks.md`` (or appears on several lines)."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class SpecNotFoundError(SpecError, LookupError):
    """No spec with the given name exists in the workspace."""


class WorkflowError(SpecError):
    """A workflow step was refused (e.g. generating design before requirements are approved)."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One finding about a spec document.

    Attributes:
        file: path of the document, as a string.
        line: 1-based line number, or ``None`` when the problem concerns the whole file.
        severity: ``"error"`` (the document cannot be trusted as is) or ``"warning"``.
        code: stable identifier such as ``REQ003`` or ``EARS002`` (see ``workbench.core.specs.codes``).
        message: what is wrong and how to fix it.
    """

    file: str
    line: int | None
    severity: Severity
    code: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict with the same keys as the attributes."""
        return {
            "file": self.file,
            "line": self.line,
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
        }

    def format(self, base: Path | None = None) -> str:
        """Return ``file:line: severity CODE message``, the path relative to ``base`` when possible."""
        name = self.file
        if base is not None:
            try:
                name = str(Path(self.file).relative_to(base))
            except ValueError:
                pass
        where = f"{name}:{self.line}" if self.line is not None else name
        return f"{where}: {self.severity} {self.code} {self.message}"


@dataclass(slots=True)
class Spec:
    """A spec folder found in a workspace.

    Attributes:
        name: the feature folder's name (``.workbench/specs/<name>/``).
        root: the folder holding ``requirements.md``, ``design.md`` and ``tasks.md``.
        source: ``"workbench"`` for ``.workbench/specs``, ``"kiro"`` for ``.kiro/specs``.
        workspace: the workspace root the spec belongs to.
    """

    name: str
    root: Path
    source: SpecSource
    workspace: Path

    @property
    def key(self) -> str:
        """Stable id used in approval records: the name, prefixed ``kiro/`` for Kiro specs."""
        return self.name if self.source == "workbench" else f"kiro/{self.name}"

    @property
    def kind(self) -> str:
        """``"bugfix"`` when the folder has a ``bugfix.md`` and no ``requirements.md``, else ``"feature"``."""
        return "bugfix" if (self.root / "bugfix.md").is_file() and not (self.root / "requirements.md").exists() else "feature"

    def path(self, doc: str) -> Path:
        """Return the path of ``doc`` (one of ``DOC_KINDS``) inside the spec folder.

        In a bugfix spec (``kind``) the first document, ``requirements``, is ``bugfix.md``.
        """
        if doc not in DOC_KINDS:
            raise ValueError(f"unknown spec document {doc!r}; expected one of {', '.join(DOC_KINDS)}")
        if doc == "requirements" and self.kind == "bugfix":
            return self.root / "bugfix.md"
        return self.root / f"{doc}.md"


@dataclass(slots=True)
class EarsResult:
    """How one acceptance criterion matched the EARS templates (see ``ears.classify``).

    Attributes:
        pattern: ``ubiquitous``, ``event-driven``, ``state-driven``, ``unwanted``,
            ``optional-feature`` or ``complex``; ``None`` when no template matched.
        dialect: ``"ears"`` (``WHEN x, THE s SHALL``) or ``"kiro-legacy"``
            (``WHEN x THEN s SHALL``); ``None`` when unmatched.
        system: the system name before ``SHALL`` (e.g. ``"the system"``, ``"Auth_Service"``).
        clauses: the precondition clauses in order, as ``(keyword, text)`` pairs.
        response: the text after ``SHALL``.
        reason: why no template matched (``None`` when one did).
    """

    pattern: str | None
    dialect: str | None = None
    system: str | None = None
    clauses: list[tuple[str, str]] = field(default_factory=list)
    response: str = ""
    reason: str | None = None

    @property
    def ok(self) -> bool:
        """True when a template matched."""
        return self.pattern is not None


@dataclass(slots=True)
class Criterion:
    """One numbered acceptance criterion, addressed as ``N.M``.

    Attributes:
        id: ``"N.M"`` (requirement number, criterion number).
        requirement: the requirement number ``N``.
        number: the criterion number ``M`` as written (or its position for bullet items).
        text: the criterion text, continuation lines joined with single spaces.
        line: 1-based line number of the item.
        ears: the EARS classification.
    """

    id: str
    requirement: int
    number: int
    text: str
    line: int
    ears: EarsResult | None = None


@dataclass(slots=True)
class Requirement:
    """One ``### Requirement N: Title`` block.

    Attributes:
        number: ``N``.
        title: the heading text after the number (may be empty).
        user_story: the ``**User Story:**`` text (empty when missing).
        criteria: the acceptance criteria in file order.
        line: 1-based line of the heading.
    """

    number: int
    title: str
    user_story: str
    criteria: list[Criterion]
    line: int


@dataclass(slots=True)
class RequirementsDoc:
    """A parsed ``requirements.md``.

    Attributes:
        path: the file parsed.
        introduction: the ``## Introduction`` text (empty when missing).
        glossary: glossary terms mapped to their definitions (empty when there is no Glossary).
        requirements: requirements in file order.
        problems: parse problems (never raised).
    """

    path: str
    introduction: str
    glossary: dict[str, str]
    requirements: list[Requirement]
    problems: list[Problem]

    def criteria(self) -> list[Criterion]:
        """Return every criterion of every requirement, in file order."""
        return [c for r in self.requirements for c in r.criteria]


@dataclass(slots=True)
class DesignDoc:
    """A parsed ``design.md``.

    Attributes:
        path: the file parsed.
        sections: canonical section name -> 1-based heading line, for the known sections found.
        missing: required sections not found, in canonical order.
        headings: every heading as ``(level, text, line)``.
        problems: parse problems.
        links: the design's requirement citations, in document order.
    """

    path: str
    sections: dict[str, int]
    missing: list[str]
    headings: list[tuple[int, str, int]]
    problems: list[Problem]
    links: list[DesignLink] = field(default_factory=list)


@dataclass(slots=True)
class DesignLink:
    """A design item citing requirements (a ``**Validates: Requirements 1.1**`` line).

    Attributes:
        item: what cites them: ``"Property 3: Title"`` for a correctness property, else the
            heading text of the enclosing section.
        line: 1-based line of the citation.
        refs: the references as ``tasks.parse_refs`` reads them (``"1.1"``, ``"2"``, ``"1.3-2.2"``).
    """

    item: str
    line: int
    refs: list[str]


@dataclass(slots=True)
class Task:
    """One checkbox line of ``tasks.md``.

    Attributes:
        id: ``"1"``, ``"2.1"``...
        title: text after the id.
        state: ``todo`` (``[ ]``), ``in_progress`` (``[-]``) or ``done`` (``[x]``).
        optional: ``[ ]*`` marks an optional task.
        requirements: criterion ids (``"1.2"``) or requirement numbers (``"3"``) cited with
            ``_Requirements: ..._``.
        line: 1-based line of the checkbox.
        depth: nesting depth, 0 for top-level tasks.
        children: sub-tasks in file order.
        details: the task's other detail lines (bullets under it), stripped.
    """

    id: str
    title: str
    state: TaskState
    optional: bool
    requirements: list[str]
    line: int
    depth: int
    children: list[Task] = field(default_factory=list)
    details: list[str] = field(default_factory=list)


@dataclass(slots=True)
class TasksDoc:
    """A parsed ``tasks.md``.

    Attributes:
        path: the file parsed.
        tasks: top-level tasks (their ``children`` hold the sub-tasks).
        all_tasks: every task, flat, in file order.
        problems: parse problems.
    """

    path: str
    tasks: list[Task]
    all_tasks: list[Task]
    problems: list[Problem]

    def get(self, task_id: str) -> Task | None:
        """Return the first task with ``task_id``, or ``None``."""
        for task in self.all_tasks:
            if task.id == task_id:
                return task
        return None

    def progress(self, include_optional: bool = True) -> tuple[int, int]:
        """Return ``(done, total)`` over leaf and parent tasks alike.

        Args:
            include_optional: count ``[ ]*`` tasks too.
        """
        tasks = [t for t in self.all_tasks if include_optional or not t.optional]
        return sum(1 for t in tasks if t.state == "done"), len(tasks)
