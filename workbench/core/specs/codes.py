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
    # traceability
    "TRC001": ("warning", "criterion not covered by any task"),
    "TRC002": ("error", "task cites an unknown requirement or criterion"),
    "TRC003": ("error", "design cites an unknown requirement or criterion"),
    "TRC004": ("warning", "criterion not covered by the design (only when the design cites requirements)"),
}


def errors_first(problems: Iterable[Problem]) -> list[Problem]:
    """Return ``problems`` with the errors before the warnings, each group in its original order.

    Every list of problems shown to a person uses this order, so that a few errors are not
    buried under many warnings.
    """
    items = list(problems)
    return [p for p in items if p.severity == "error"] + [p for p in items if p.severity != "error"]
