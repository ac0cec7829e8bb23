"""Stable problem codes reported by the spec parsers and checks.

Codes never change meaning; new checks get new codes. ``CODES`` maps each code to its default
severity and a one-line description (shown by ``workbench spec lint --json`` consumers and the UI).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .models import Problem

CODES: dict[str, tuple[str, str]] = {
    # spec folder
    "SPEC001": ("warning", "requirements.md is missing from the spec folder"),
    "SPEC002": ("error", "a spec document cannot be read (IO or encoding error)"),
    # requirements.md
    "REQ001": ("error", "no '### Requirement N' headings found"),
    "REQ002": ("warning", "requirement numbers are not 1, 2, 3... in order"),
    "REQ003": ("error", "duplicate requirement number"),
    "REQ004": ("warning", "requirement has no **User Story:**"),
    "REQ005": ("error", "requirement has no numbered acceptance criteria"),
    "REQ006": ("warning", "criterion numbers are not 1, 2, 3... in order"),
    "REQ007": ("warning", "no ## Introduction section"),
    "REQ008": ("error", "malformed requirement heading (no number)"),
    "REQ009": ("warning", "text under Acceptance Criteria that is not a numbered criterion"),
    "REQ010": ("error", "duplicate criterion number within a requirement"),
    # design.md
    "DES001": ("warning", "required design section missing"),
    "DES002": ("warning", "design section appears more than once"),
    "DES003": ("warning", "malformed requirement citation in the design (Validates: / _Requirements:_)"),
    # tasks.md
    "TSK001": ("error", "unparseable task line"),
    "TSK002": ("error", "duplicate task id"),
    "TSK003": ("warning", "task numbering does not follow its parent or siblings"),
    "TSK004": ("error", "malformed _Requirements:_ reference"),
    "TSK005": ("warning", "no tasks found"),
    # EARS lint
    "EARS001": ("error", "criterion matches no EARS template"),
    "EARS002": ("warning", "vague word"),
    "EARS003": ("warning", "escape clause"),
    "EARS004": ("warning", "negative requirement (SHALL NOT)"),
    "EARS005": ("warning", "pronoun without referent as the system"),
    "EARS006": ("warning", "two requirements in one criterion"),
    "EARS007": ("warning", "system name not defined in the Glossary"),
    # bugfix.md (bugfix specs)
    "BUG001": ("error", "bugfix.md has no Current Behavior section"),
    "BUG002": ("error", "bugfix.md has no Expected Behavior section"),
    "BUG003": ("error", "bugfix.md has no Unchanged Behavior section"),
    "BUG004": ("warning", "a bugfix.md section has no numbered statement"),
    "BUG005": ("warning", "a bugfix statement numbered for another section, or a duplicate number"),
    # traceability
    "TRC001": ("warning", "criterion not covered by any task"),
    "TRC002": ("error", "task cites an unknown requirement or criterion"),
    "TRC003": ("error", "design cites an unknown requirement or criterion"),
    "TRC004": ("warning", "criterion not covered by the design (only when the design cites requirements)"),
}


FIXES: dict[str, str] = {
    "SPEC001": "Create requirements.md (`workbench spec new NAME`, or draft it with the model).",
    "SPEC002": "Make the file readable and UTF-8 (check permissions; re-save it in UTF-8).",
    "REQ001": "Add `### Requirement 1: Title` headings under `## Requirements`.",
    "REQ002": "Renumber the requirements 1, 2, 3... (tasks cite them by number: update the citations too).",
    "REQ003": "Give each requirement its own number.",
    "REQ004": "Add `**User Story:** As a <role>, I want <capability>, so that <benefit>.`",
    "REQ005": "Add `#### Acceptance Criteria` with a numbered list `1. WHEN ..., THE <system> SHALL ...`.",
    "REQ006": "Renumber the criteria 1, 2, 3... within the requirement.",
    "REQ007": "Add `## Introduction` with a paragraph on what the feature is and why.",
    "REQ008": "Write the heading as `### Requirement N: Title`.",
    "REQ009": "Make the text a numbered criterion, or move it out of Acceptance Criteria (or under a sub-heading).",
    "REQ010": "Give each criterion of the requirement its own number.",
    "DES001": "Add the missing `## Section` (Overview, Architecture, Components and Interfaces, Data Models, Error Handling, Testing Strategy).",
    "DES002": "Merge the two sections of the same name.",
    "DES003": "Write the citation as `**Validates: Requirements 1.2, 3.1**` (numbers, ranges like `1.1-1.4`).",
    "TSK001": "Write the task as `- [ ] 1. Title` (checkbox, number, title).",
    "TSK002": "Give each task its own id.",
    "TSK003": "Number sub-tasks after their parent (2.1, 2.2 under 2) and siblings in order.",
    "TSK004": "Write `_Requirements: 1.1, 1.2_` (criterion ids, requirement numbers or ranges).",
    "TSK005": "Add checkbox tasks `- [ ] 1. Title` (or draft tasks.md with the model).",
    "EARS001": "Rewrite the criterion in an EARS form: `[WHERE ..,] [WHILE ..,] [WHEN ../IF .., THEN] THE <system> SHALL <response>`.",
    "EARS002": "Replace the vague word with a measurable response (a number, a unit, a named state).",
    "EARS003": "Remove the escape clause (`if possible`, `where appropriate`): say when it applies.",
    "EARS004": "State what the system does instead of what it does not (or keep it if a prohibition is meant).",
    "EARS005": "Name the system (a Glossary term) instead of `it`/`they`.",
    "EARS006": "Split the criterion in two, one response each.",
    "EARS007": "Define the system name in the `## Glossary` (`- **Name**: ...`) or use a defined term; reported once per document with a count.",
    "BUG001": "Add `### Current Behavior (Defect)` with `1.1 WHEN <input> THEN the system <wrong result>`.",
    "BUG002": "Add `### Expected Behavior (Correct)` with `2.1 WHEN <input> THEN the system SHALL <right result>`.",
    "BUG003": "Add `### Unchanged Behavior (Regression Prevention)` with `3.1 WHEN <input> THEN the system SHALL CONTINUE TO <behaviour>`.",
    "BUG004": "Add numbered statements (`N.1`, `N.2`, ...) to the section, one paragraph each.",
    "BUG005": "Number statements after their section (1.x current, 2.x expected, 3.x unchanged), each number once.",
    "TRC001": "Cite the criterion in a task's `_Requirements: N.M_` (or add a task for it).",
    "TRC002": "Fix the task's citation: cite an existing criterion or requirement.",
    "TRC003": "Fix the design's `Validates:` citation: cite an existing criterion or requirement.",
    "TRC004": "Cite the criterion in a design property's `**Validates: Requirements N.M**`.",
}
"""How to fix each code (the last column of ``docs/spec-problems.md``)."""

DOC_PATH = "docs/spec-problems.md"
"""Where the table lives, relative to the repository root (a test checks it equals ``problems_table()``)."""


def problems_table() -> str:
    """Return the Markdown table of every code: ``| Code | Severity | Meaning | Fix |``, in ``CODES`` order.

    ``docs/spec-problems.md`` holds this text between its ``<!-- codes -->`` markers; a test
    regenerates it and fails when they differ, so the documentation cannot drift from the code.
    """
    lines = ["| Code | Severity | Meaning | Fix |", "|---|---|---|---|"]
    for code, (severity, meaning) in CODES.items():
        fix = FIXES.get(code, "")
        cells = [f"`{code}`", severity, meaning, fix]
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines) + "\n"


def errors_first(problems: Iterable[Problem]) -> list[Problem]:
    """Return ``problems`` with the errors before the warnings, each group in its original order.

    Every list of problems shown to a person uses this order, so that a few errors are not
    buried under many warnings.
    """
    items = list(problems)
    return [p for p in items if p.severity == "error"] + [p for p in items if p.severity != "error"]


def count_line(problems: Iterable[Problem]) -> str:
    """Return ``"N error(s), M warning(s)"`` for ``problems`` (the heading of every problem list)."""
    items = list(problems)
    errors = sum(1 for p in items if p.severity == "error")
    return f"{errors} error(s), {len(items) - errors} warning(s)"
