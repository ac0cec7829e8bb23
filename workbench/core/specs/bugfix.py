"""Bugfix specs: ``bugfix.md`` in place of ``requirements.md`` (Kiro's bugfix spec type).

Kiro's bugfix spec (https://kiro.dev/docs/specs/bugfix-specs) starts with a *bugfix analysis*,
``bugfix.md``, then ``design.md`` and ``tasks.md`` as for a feature. ``bugfix.md`` has three
sections, each a list of numbered statements that tasks cite like criteria (``_Requirements: 2.1_``):

* ``Current Behavior (Defect)``: ``1.1 WHEN <input> THEN the system <wrong result>``;
* ``Expected Behavior (Correct)``: ``2.1 WHEN <input> THEN the system SHALL <right result>``;
* ``Unchanged Behavior (Regression Prevention)``: ``3.1 WHEN ... THEN the system SHALL CONTINUE TO ...``.

Headings may be ``##`` or ``###``, spelt "Behavior" or "Behaviour"; a statement is a paragraph or
a list item starting with its number ``N.M`` (a statement without a number gets its position).
Parsed on markdown-it-py's CommonMark token stream, so code blocks and inline code are never read
as statements. The result is a ``RequirementsDoc`` with one ``Requirement`` per section (numbers
1, 2, 3), so traceability, the outline and approvals work unchanged.

Problems: ``BUG001``-``BUG003`` (a section is missing, error), ``BUG004`` (a section has no
statement, warning), ``BUG005`` (a statement numbered for another section, or a duplicate number,
warning). EARS lint does not apply: the current behaviour describes the defect, not a requirement.
"""

from __future__ import annotations

import re
from pathlib import Path

from .models import Criterion, Problem, Requirement, RequirementsDoc

SECTIONS: tuple[tuple[int, str, str, re.Pattern[str]], ...] = (
    (1, "BUG001", "Current Behavior (Defect)", re.compile(r"\bcurrent\s+behaviou?r", re.IGNORECASE)),
    (2, "BUG002", "Expected Behavior (Correct)", re.compile(r"\bexpected\s+behaviou?r", re.IGNORECASE)),
    (3, "BUG003", "Unchanged Behavior (Regression Prevention)", re.compile(r"\bunchanged\s+behaviou?r", re.IGNORECASE)),
)
"""Section number, code when missing, canonical heading, and the pattern its heading matches."""

_NUMBER_RE = re.compile(r"^\s*(?:\*\*)?(\d+)\.(\d+)(?:\*\*)?[.):]?\s+(.*)", re.DOTALL)

TEMPLATE = """\
# Bugfix Requirements Document

## Introduction

{idea}

## Bug Analysis

### Current Behavior (Defect)

1.1 WHEN <input or action> THEN the system <wrong result>

### Expected Behavior (Correct)

2.1 WHEN <input or action> THEN the system SHALL <right result>

### Unchanged Behavior (Regression Prevention)

3.1 WHEN <related input> THEN the system SHALL CONTINUE TO <behaviour that must not change>
"""
"""Skeleton written by ``workbench spec new NAME --bugfix``."""


def _section_of(title: str) -> int | None:
    for number, _code, _name, pattern in SECTIONS:
        if pattern.search(title):
            return number
    return None


def parse_bugfix(text: str, path: str = "bugfix.md") -> RequirementsDoc:
    """Parse the text of a ``bugfix.md``; never raises on bad content.

    Args:
        text: the document.
        path: the file name used in problems.

    Returns:
        A ``RequirementsDoc``: ``requirements`` holds the sections found (number 1 current,
        2 expected, 3 unchanged, in file order), each statement a ``Criterion`` with the id as
        written (``2.1``); ``introduction`` the ``## Introduction`` text; ``problems`` BUG001-BUG005.
    """
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").parse(text)
    problems: list[Problem] = []
    sections: dict[int, Requirement] = {}
    current: Requirement | None = None
    heading_level = 0
    intro: list[str] = []
    in_intro = False
    seen: set[str] = set()
    depth = 0  # list nesting: only top-level items of a section are statements
    for i, tok in enumerate(tokens):
        if tok.type == "heading_open":
            title = tokens[i + 1].content.strip()
            level = int(tok.tag[1])
            number = _section_of(title)
            in_intro = title.lower() == "introduction"
            if number is not None:
                current = sections.get(number)
                if current is None:
                    current = sections[number] = Requirement(number, title, "", [], tok.map[0] + 1 if tok.map else 0)
                heading_level = level
            elif current is not None and level <= heading_level:
                current = None  # a sibling or parent heading ends the section; sub-headings do not
            continue
        if tok.type in ("bullet_list_open", "ordered_list_open"):
            depth += 1
        elif tok.type in ("bullet_list_close", "ordered_list_close"):
            depth -= 1
        if tok.type != "inline" or tokens[i - 1].type != "paragraph_open" or not tok.map:
            continue
        content = tok.content.strip()
        if in_intro and current is None:
            intro.append(content)
            continue
        if current is None or depth > 1:
            continue
        line = tok.map[0] + 1
        match = _NUMBER_RE.match(content)
        in_list = depth == 1
        if match is None and not in_list:
            continue  # prose in the section (a note, a bold sub-title)
        if match is not None:
            req_no, crit_no, body = int(match.group(1)), int(match.group(2)), match.group(3)
        else:
            req_no, crit_no, body = current.number, len(current.criteria) + 1, content
        cid = f"{req_no}.{crit_no}"
        if req_no != current.number:
            problems.append(
                Problem(
                    path,
                    line,
                    "warning",
                    "BUG005",
                    f"statement {cid} is under '{current.title}' (section {current.number}): number it {current.number}.N",
                )
            )
        if cid in seen:
            problems.append(
                Problem(
                    path, line, "warning", "BUG005", f"statement number {cid} is used twice: give each statement its own number"
                )
            )
            continue
        seen.add(cid)
        current.criteria.append(Criterion(cid, req_no, crit_no, " ".join(body.split()), line))
    for number, code, name, _pattern in SECTIONS:
        section = sections.get(number)
        if section is None:
            problems.append(
                Problem(
                    path,
                    None,
                    "error",
                    code,
                    f"no '{name}' section: add '### {name}' with numbered statements {number}.1, {number}.2...",
                )
            )
        elif not section.criteria:
            problems.append(
                Problem(
                    path,
                    section.line,
                    "warning",
                    "BUG004",
                    f"'{section.title}' has no numbered statement: add '{number}.1 WHEN ... THEN the system ...'",
                )
            )
    requirements = sorted(sections.values(), key=lambda r: r.line)
    return RequirementsDoc(path, "\n\n".join(intro), {}, requirements, problems)


def load_bugfix(path: Path) -> RequirementsDoc:
    """Read and parse ``path`` (a ``bugfix.md``; BOM and invalid UTF-8 tolerated). Raises ``OSError``."""
    text = Path(path).read_bytes().decode("utf-8", errors="replace").removeprefix("\ufeff")
    return parse_bugfix(text, str(path))
