"""Parser for ``design.md``: which of the expected sections are present.

The sections follow Kiro's design document (https://kiro.dev/docs/specs/): Overview,
Architecture, Components and Interfaces, Data Models, (optionally) Correctness Properties,
Error Handling, Testing Strategy. Headings of any level match, case-insensitively, ignoring a
leading number ("2. Architecture") and a few common variants ("Components & Interfaces").
"""

from __future__ import annotations

import re
from pathlib import Path

from . import _md
from .models import DesignDoc, Problem

REQUIRED_SECTIONS: tuple[str, ...] = (
    "Overview",
    "Architecture",
    "Components and Interfaces",
    "Data Models",
    "Error Handling",
    "Testing Strategy",
)
"""Sections a design must have, in document order."""

OPTIONAL_SECTIONS: tuple[str, ...] = ("Correctness Properties",)
"""Sections recognised but not required."""

_ALIASES: dict[str, str] = {
    "overview": "Overview",
    "architecture": "Architecture",
    "components and interfaces": "Components and Interfaces",
    "data models": "Data Models",
    "data model": "Data Models",
    "error handling": "Error Handling",
    "testing strategy": "Testing Strategy",
    "test strategy": "Testing Strategy",
    "correctness properties": "Correctness Properties",
}
_NUMBER_PREFIX_RE = re.compile(r"^(?:\d+(?:\.\d+)*\.?|[ivx]+\.)\s+", re.IGNORECASE)


def canonical_section(heading_text: str) -> str | None:
    """Return the canonical section name a heading stands for, or ``None``.

    Args:
        heading_text: the heading text without the ``#`` marks.
    """
    text = _NUMBER_PREFIX_RE.sub("", _md.plain(heading_text)).rstrip(":").strip().lower()
    text = re.sub(r"\s+", " ", text.replace("&", "and"))
    return _ALIASES.get(text)


def parse_design(text: str, path: str | Path = "design.md") -> DesignDoc:
    """Parse the text of a ``design.md``.

    Args:
        text: the document text.
        path: the file name used in the problems.

    Returns:
        The sections found and missing; problems ``DES001`` (missing) and ``DES002`` (twice).
    """
    path = str(path)
    sections: dict[str, int] = {}
    headings: list[tuple[int, str, int]] = []
    problems: list[Problem] = []
    for lineno, line, in_code in _md.iter_lines(_md.split_lines(text)):
        if in_code:
            continue
        head = _md.heading(line)
        if head is None:
            continue
        level, title = head
        headings.append((level, title, lineno))
        name = canonical_section(title)
        if name is None:
            continue
        if name in sections:
            problems.append(Problem(path, lineno, "warning", "DES002", f"section {name!r} appears again (first at line {sections[name]}); merge them"))
            continue
        sections[name] = lineno
    missing = [name for name in REQUIRED_SECTIONS if name not in sections]
    for name in missing:
        problems.append(Problem(path, None, "warning", "DES001", f"required section '## {name}' is missing"))
    return DesignDoc(path, sections, missing, headings, problems)


def load_design(path: Path) -> DesignDoc:
    """Read and parse ``path`` (see ``requirements.read_text`` for encoding handling)."""
    from .requirements import read_text

    text, problems = read_text(path)
    doc = parse_design(text, path)
    doc.problems[:0] = problems
    return doc
