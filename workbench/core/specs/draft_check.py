"""Checks a model's draft before it replaces a spec document.

A draft must parse as the kind of document it replaces (requirements need ``### Requirement N``
headings, a design at least two of the known design sections, tasks at least one checkbox task),
and a revision of ``requirements.md`` must not drop requirements silently: every requirement
number of the previous text must still be there, or be named on a line that says it was removed
(``Requirement 3 was removed: merged into 2``). A draft that fails is not applied; the caller
keeps it beside the document (``<doc>.draft.md``) and tells the user why.
"""

from __future__ import annotations

import re

from . import _md
from .design import canonical_section
from .requirements import parse_requirements
from .tasks import parse_tasks

_REMOVED_RE = re.compile(r"\b(?:remov|delet|drop|merg|withdr|obsolet)", re.IGNORECASE)
_REQ_NUMBER_RE = re.compile(r"\brequirements?\s+(\d+)", re.IGNORECASE)


def _looks_like(text: str) -> str | None:
    """The document kind ``text`` most resembles, or ``None``."""
    if parse_requirements(text).requirements:
        return "requirements"
    if parse_tasks(text).all_tasks:
        return "tasks"
    if _design_sections(text) >= 2:
        return "design"
    return None


def _design_sections(text: str) -> int:
    names = set()
    for line in _md.parse_lines(text):
        head = None if line.code else line.heading
        if head is not None and (name := canonical_section(head[1])) is not None:
            names.add(name)
    return len(names)


def check_draft(doc: str, text: str, previous: str | None, *, bugfix: bool = False) -> str | None:
    """Return why ``text`` must not replace ``doc``, or ``None`` when it may.

    Args:
        doc: ``"requirements"``, ``"design"`` or ``"tasks"``.
        text: the model's draft (already cleaned).
        previous: the text it would replace (``None`` for a first draft).
        bugfix: ``doc`` is a bugfix spec's ``bugfix.md``: it needs the Current / Expected /
            Unchanged Behavior sections (``bugfix.parse_bugfix``) instead of requirements.
    """
    if doc == "requirements" and bugfix:
        from .bugfix import parse_bugfix

        missing = [p.message.split("'")[1] for p in parse_bugfix(text).problems if p.code in ("BUG001", "BUG002", "BUG003")]
        if missing:
            return f"it is not a bugfix analysis: it has no {', '.join(repr(m) for m in missing)} section"
        return None
    if doc == "requirements":
        parsed = parse_requirements(text)
        if not parsed.requirements:
            return _not_a(doc, "it has no '### Requirement N' heading", text)
        if previous is not None:
            before = [r.number for r in parse_requirements(previous).requirements]
            after = {r.number for r in parsed.requirements}
            said = {int(n) for line in text.splitlines() if _REMOVED_RE.search(line) for n in _REQ_NUMBER_RE.findall(line)}
            lost = [n for n in before if n not in after and n not in said]
            if lost:
                shown = ", ".join(map(str, lost))
                return f"it drops requirement(s) {shown} without saying so (name each removed requirement on a line saying why)"
        return None
    if doc == "design":
        if _design_sections(text) < 2:
            return _not_a(doc, "it has fewer than two of the design sections (Overview, Architecture, ...)", text)
        return None
    if doc == "tasks":
        if not parse_tasks(text).all_tasks:
            return _not_a(doc, "it has no '- [ ] 1. Title' task", text)
        return None
    raise ValueError(f"unknown spec document {doc!r}")


def _not_a(doc: str, reason: str, text: str) -> str:
    kind = _looks_like(text)
    looks = f"; it looks like a {kind} document" if kind and kind != doc else ""
    return f"it is not a {doc} document: {reason}{looks}"
