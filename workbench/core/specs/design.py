"""Parser for ``design.md``: which of the expected sections are present.

The sections follow Kiro's design document (https://kiro.dev/docs/specs/): Overview,
Architecture, Components and Interfaces, Data Models, (optionally) Correctness Properties,
Error Handling, Testing Strategy. Headings of any level match, case-insensitively, ignoring a
leading number ("2. Architecture") and a few common variants ("Components & Interfaces"). A
heading nested under a section of the same name ("### Testing Strategy" under "## Testing
Strategy") is part of it, not a repeat.

Requirement citations (``DesignDoc.links``): Kiro's correctness properties end with
``**Validates: Requirements 1.1, 1.2**``; a ``_Requirements: 1.1_`` line is read the same way.
A citation belongs to the property above it (``### Property 3: Title``, ``**Property 3: Title**``
or a line starting ``Property 3:``), else to the enclosing heading. An unreadable citation is
``DES003``.
"""

from __future__ import annotations

import re
from pathlib import Path

from . import _md
from .models import DesignDoc, DesignLink, Problem
from .tasks import REFS_LINE_RE, _may_cite, parse_refs

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
    "testing approach": "Testing Strategy",
    "test plan": "Testing Strategy",
    "testing": "Testing Strategy",  # a plain "## Testing" section is how many real designs say it
    "tests": "Testing Strategy",
    "correctness properties": "Correctness Properties",
}
_PROPERTY_RE = re.compile(r"^\s*(?:[-*+]\s+)?(?:\*\*|__)?\s*(Property\s+\d+[a-z]?)\s*[:.\u2013\u2014-]\s*(.*)$", re.IGNORECASE)
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
    links: list[DesignLink] = []
    open_sections: list[tuple[int, str | None]] = []  # enclosing headings: (level, canonical name)
    item = ""
    for entry in _md.parse_lines(text):
        if entry.code or entry.skip:
            continue
        lineno, line, head = entry.no, entry.text, entry.heading
        if head is None:
            if "roperty" in line[:12] or "ROPERTY" in line[:12]:
                prop = _PROPERTY_RE.match(line)
                if prop:
                    item = _property_name(prop)
                    continue
            if _may_cite(line):
                _citation(path, lineno, line, item, links, problems)
            continue
        level, title = head
        headings.append((level, title, lineno))
        prop = _PROPERTY_RE.match(title)
        item = _property_name(prop) if prop else _md.plain(title)
        while open_sections and open_sections[-1][0] >= level:
            open_sections.pop()
        name = canonical_section(title)
        nested = name is not None and any(n == name for _, n in open_sections)
        open_sections.append((level, name))
        if name is None or nested:
            continue
        if name in sections:
            problems.append(
                Problem(
                    path,
                    lineno,
                    "warning",
                    "DES002",
                    f"section {name!r} appears again (first at line {sections[name]}); merge them",
                )
            )
            continue
        sections[name] = lineno
    missing = [name for name in REQUIRED_SECTIONS if name not in sections]
    for name in missing:
        problems.append(Problem(path, None, "warning", "DES001", f"required section '## {name}' is missing"))
    return DesignDoc(path, sections, missing, headings, problems, links)


def _property_name(match: re.Match[str]) -> str:
    title = match.group(2).split("**", 1)[0].split("__", 1)[0].strip(" *_")
    label = " ".join(match.group(1).split()).capitalize()
    return f"{label}: {title}" if title else label


def _citation(path: str, lineno: int, line: str, item: str, links: list[DesignLink], problems: list[Problem]) -> None:
    match = REFS_LINE_RE.match(line)
    if match is None:
        return
    found, bad = parse_refs(match.group("refs"))
    if not match.group("em") and not found:
        return  # prose that happens to start with "Requirements:"
    if found:
        links.append(DesignLink(item, lineno, found))
    if bad or not found:
        shown = ", ".join(bad) if bad else "(empty)"
        problems.append(
            Problem(
                path,
                lineno,
                "warning",
                "DES003",
                f"cannot read requirement reference(s) {shown}: write '**Validates: Requirements 1.1, 2.3**'",
            )
        )


def load_design(path: Path) -> DesignDoc:
    """Read and parse ``path`` (see ``requirements.read_text`` for encoding handling)."""
    from .requirements import read_text

    text, problems = read_text(path)
    doc = parse_design(text, path)
    doc.problems[:0] = problems
    return doc
