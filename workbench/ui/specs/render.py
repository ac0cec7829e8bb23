"""Turning a loaded spec (``core.specs.review.ReviewData``) into ``LineView`` rows.

Plain functions, no widgets: each document view has one row per file line (row ``i`` is line
``i + 1``), so the cursor, comments and task ticks address file lines directly.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from workbench.ui.specs.lines import LazyRows, Row

if TYPE_CHECKING:
    from workbench.core.specs.comments import Comment
    from workbench.core.specs.models import Problem
    from workbench.core.specs.review import ReviewData

STATE_STYLE: dict[str, str] = {
    "missing": "muted",
    "draft": "",
    "in_review": "progress",
    "approved": "ok",
    "stale": "error",
}
"""Document state -> row style name."""

STATE_LABEL: dict[str, str] = {
    "missing": "missing",
    "draft": "draft",
    "in_review": "in review",
    "approved": "approved",
    "stale": "stale",
}

_KEYWORD_RE = re.compile(r"\b(?:WHEN|WHILE|IF|THEN|WHERE|SHALL NOT|SHALL)\b")
_BOLD_RE = re.compile(r"\*\*[^*]+\*\*")
_BOX_RE = re.compile(r"^([ \t]*[-*+][ \t]+)\[([ xX~-])\](\*?)")
_HEADING_RE = re.compile(r"^ {0,3}(#{1,6})[ \t]")
_BOX_STYLE = {" ": "", "x": "ok", "X": "ok", "-": "progress", "~": "progress"}
_BOX_GLYPH = {" ": "[ ]", "x": "[x]", "X": "[x]", "-": "[-]", "~": "[-]"}


def _mark(problems: list[Problem] | None) -> tuple[str, str]:
    """Return ``(glyph, style)`` for the worst problem of a line."""
    if not problems:
        return " ", "gutter"
    if any(p.severity == "error" for p in problems):
        return "✗", "error"
    return "!", "warning"


def _markdown_row(lineno: int, line: str, problems: list[Problem] | None, commented: bool, keywords: bool) -> Row:
    glyph, gutter_style = _mark(problems)
    spans: list[tuple[int, int, str]] = []
    style = ""
    head = _HEADING_RE.match(line)
    if head:
        style = "heading" if len(head.group(1)) <= 2 else "subheading"
    else:
        if "**" in line:
            spans += [(m.start(), m.end(), "bold") for m in _BOLD_RE.finditer(line)]
        if keywords:
            spans += [(m.start(), m.end(), "keyword") for m in _KEYWORD_RE.finditer(line)]
    gutter = f"{lineno:>4}{'*' if commented else ' '}{glyph}"
    return Row(line, style, tuple(spans), lineno, gutter, gutter_style)


def document_rows(data: ReviewData, doc: str) -> LazyRows | list[Row]:
    """Rows of ``requirements`` or ``design``: line numbers, lint marks, EARS keywords, comment marks.

    The gutter shows ``*`` on lines with a pending comment and ``x``/``!`` on lines with an
    error/warning. Row ``i`` (key ``i + 1``, the line number) is made when first read
    (``LazyRows``).
    """
    text = data.texts.get(doc)
    if text is None:
        return []
    by_line = data.problems_by_line(doc)
    commented = {c.line for c in data.comments if c.doc == doc and c.state == "pending" and c.line}
    keywords = doc == "requirements"
    from workbench.core.specs import split_lines

    lines = split_lines(text)

    def make(index: int) -> Row:
        n = index + 1
        return _markdown_row(n, lines[index], by_line.get(n), n in commented, keywords)

    def find(key: object) -> int | None:
        return key - 1 if type(key) is int and 1 <= key <= len(lines) else None

    return LazyRows(lines, make, _gutter_width(len(lines)) if lines else 0, find)


def _gutter_width(lines: int) -> int:
    """Width of ``_markdown_row``'s gutter in a document of ``lines`` lines."""
    return len(f"{lines:>4}") + 2


def task_rows(data: ReviewData) -> list[Row]:
    """Rows of ``tasks.md``: task lines are selectable (key = task id), checkboxes coloured by state."""
    text = data.texts.get("tasks")
    if text is None or data.bundle.tasks is None:
        return []
    from workbench.core.specs import split_lines

    ids = {t.line: t.id for t in data.bundle.tasks.all_tasks}
    by_line = data.problems_by_line("tasks")
    commented = {c.line for c in data.comments if c.doc == "tasks" and c.state == "pending" and c.line}
    rows = []
    for n, line in enumerate(split_lines(text), start=1):
        row = _markdown_row(n, line, by_line.get(n), n in commented, False)
        task_id = ids.get(n)
        if task_id is not None:
            box = _BOX_RE.match(line)
            if box:
                start = len(box.group(1))
                style = _BOX_STYLE.get(box.group(2), "")
                spans = [(start, start + 3, style)] if style else []
                if box.group(2) in "xX":
                    spans.append((start + 3, len(line), "muted"))
                row.spans = tuple(spans)
        elif "equirements" in line:
            row.style = "muted"
        row.key = task_id
        rows.append(row)
    return rows


OUTLINE_EMPTY = {
    "requirements": "(no requirements parsed)",
    "design": "(no design headings)",
    "tasks": "(no tasks parsed)",
}
"""What the outline says when its document has nothing to list."""


def outline_rows(data: ReviewData, doc_kind: str = "requirements") -> tuple[list[Row], dict[object, int]]:
    """Outline of one document: each tab (Requirements, Design, Tasks) has its own.

    Requirements: one row per requirement and per criterion, with lint marks (keys
    ``("req", N)`` and ``("crit", "N.M")``). Design: one row per heading, indented by level, a
    property followed by the criteria it validates (keys ``("head", line)``). Tasks: one row per
    task, indented by depth, with its checkbox state and the criteria it cites (keys
    ``("task", id)``).

    Returns:
        ``(rows, lines)``: ``lines`` maps each key to its line in the document.
    """
    if doc_kind == "design":
        return _design_outline(data)
    if doc_kind == "tasks":
        return _tasks_outline(data)
    doc = data.bundle.requirements
    if doc is None:
        return [], {}
    by_line = data.problems_by_line("requirements")
    comments = {c.criterion or c.requirement for c in data.comments if c.doc == "requirements" and c.state == "pending"}
    rows: list[Row] = []
    lines: dict[object, int] = {}
    for req in doc.requirements:
        problems = list(by_line.get(req.line, []))
        for criterion in req.criteria:
            problems += by_line.get(criterion.line, [])
        glyph, style = _mark(problems)
        title = f"{req.number}. {req.title}" if req.title else f"Requirement {req.number}"
        key = ("req", req.number)
        rows.append(Row(title, "bold", (), key, f"{glyph}{'*' if req.number in comments else ' '}", style))
        lines[key] = req.line
        for criterion in req.criteria:
            glyph, style = _mark(by_line.get(criterion.line))
            if glyph == " ":
                glyph, style = "✓", "ok"
            pattern = criterion.ears.pattern if criterion.ears and criterion.ears.pattern else "?"
            label = f"  {criterion.id} {pattern}: {criterion.text}"
            key = ("crit", criterion.id)
            rows.append(
                Row(
                    label,
                    "",
                    ((2, 2 + len(criterion.id), "muted"),),
                    key,
                    f"{glyph}{'*' if criterion.id in comments else ' '}",
                    style,
                )
            )
            lines[key] = criterion.line
    return rows, lines


def _design_outline(data: ReviewData) -> tuple[list[Row], dict[object, int]]:
    design = data.bundle.design
    if design is None:
        return [], {}
    by_line = data.problems_by_line("design")
    cited = {link.line: link for link in design.links}
    cites_after: dict[int, list[str]] = {}
    heads = sorted(line for _level, _text, line in design.headings)
    for line, link in cited.items():  # a citation belongs to the nearest heading above it
        above = [h for h in heads if h <= line]
        if above:
            cites_after.setdefault(above[-1], []).extend(link.refs)
    rows: list[Row] = []
    lines: dict[object, int] = {}
    top = min((level for level, _t, _l in design.headings), default=1)
    for level, text, line in design.headings:
        glyph, style = _mark(by_line.get(line))
        refs = cites_after.get(line)
        label = "  " * max(0, level - top - 1) + text + (f" → {', '.join(refs)}" if refs else "")
        key = ("head", line)
        rows.append(Row(label, "bold" if level <= top + 1 else "", (), key, f"{glyph} ", style))
        lines[key] = line
    return rows, lines


def _tasks_outline(data: ReviewData) -> tuple[list[Row], dict[object, int]]:
    tasks = data.bundle.tasks
    if tasks is None:
        return [], {}
    by_line = data.problems_by_line("tasks")
    box = {"done": "[x]", "in_progress": "[-]", "todo": "[ ]"}
    rows: list[Row] = []
    lines: dict[object, int] = {}
    for task in tasks.all_tasks:
        glyph, style = _mark(by_line.get(task.line))
        refs = f" ({', '.join(task.requirements)})" if task.requirements else ""
        mark = box.get(task.state, "[ ]")
        label = "  " * task.depth + f"{mark} {task.id} {task.title}{refs}"
        key = ("task", task.id)
        rows.append(Row(label, "muted" if mark == "[x]" else "", (), key, f"{glyph} ", style))
        lines[key] = task.line
    return rows, lines


def trace_rows(data: ReviewData) -> list[Row]:
    """The criterion -> tasks (and design) matrix, then unknown references, tasks citing nothing,
    criteria the design does not cite, missing design sections; then the other way: each task's
    criteria, and each design item's criteria and the tasks implementing them."""
    report = data.trace
    rows = [Row(f"{'Criterion':<10} Tasks", "subheading")]
    for cid, tasks in report.matrix.items():
        design = report.design_matrix.get(cid)
        cited = f"  | design: {'; '.join(design)}" if design else ""
        rows.append(Row(f"{cid:<10} {', '.join(tasks) if tasks else '(no task)'}{cited}", "" if tasks else "warning", key=cid))
    if report.unknown_refs:
        rows += [Row(""), Row("Tasks citing unknown criteria", "subheading")]
        rows += [Row(f"task {u.task_id} (tasks.md:{u.line}) cites {u.ref}", "error", key=u.ref) for u in report.unknown_refs]
    if report.design_unknown_refs:
        rows += [Row(""), Row("Design citing unknown criteria", "subheading")]
        rows += [
            Row(f"{u.task_id or 'design'} (design.md:{u.line}) cites {u.ref}", "error", key=u.ref)
            for u in report.design_unknown_refs
        ]
    if report.design_uncovered:
        rows += [
            Row(""),
            Row("Criteria the design does not cite", "subheading"),
            Row(", ".join(report.design_uncovered), "warning"),
        ]
    if report.tasks_without_refs:
        rows += [Row(""), Row("Tasks citing nothing", "subheading"), Row(", ".join(report.tasks_without_refs), "warning")]
    if report.design_missing:
        rows += [Row(""), Row("Design sections missing", "subheading"), Row(", ".join(report.design_missing), "warning")]
    if report.by_task:
        rows += [Row(""), Row(f"{'Task':<10} Criteria", "subheading")]
        rows += [
            Row(f"{tid:<10} {', '.join(cids) if cids else '(cites nothing)'}", "" if cids else "warning", key=("task", tid))
            for tid, cids in report.by_task.items()
        ]
    if report.by_design:
        rows += [Row(""), Row("Design item -> criteria -> tasks", "subheading")]
        for item, cids in report.by_design.items():
            tasks = report.design_tasks.get(item) or []
            rows.append(
                Row(
                    f"{item or '(design)'}: {', '.join(cids) or '(no known criterion)'} -> {', '.join(tasks) if tasks else '(no task)'}",
                    "" if tasks else "warning",
                    key=("design", item),
                )
            )
    if not report.matrix:
        rows.append(Row("(no criteria: requirements.md is missing or has no numbered criteria)", "muted"))
    return rows


def problem_rows(data: ReviewData) -> list[Row]:
    """A counts line (``2 error(s), 5 warning(s)``), then one row per problem: ``file:line: severity
    CODE message`` (paths relative to the workspace), errors first."""
    from workbench.core.specs.codes import count_line, errors_first

    if not data.problems:
        return []
    base = data.spec.workspace
    return [Row(count_line(data.problems), "subheading")] + [
        Row(p.format(base), "error" if p.severity == "error" else "warning", key=(p.file, p.line))
        for p in errors_first(data.problems)
    ]


def comment_rows(comments: list[Comment]) -> list[Row]:
    """One row per comment, pending ones first: ``doc anchor: text`` (sent ones muted)."""
    ordered = [c for c in comments if c.state == "pending"] + [c for c in comments if c.state != "pending"]
    return [
        Row(
            f"{c.doc} {c.anchor}: {c.text}",
            "comment" if c.state == "pending" else "muted",
            key=c.id,
            gutter="*" if c.state == "pending" else "-",
        )
        for c in ordered
    ]


def diff_rows(lines: list[str]) -> list[Row]:
    """Rows of a unified diff, coloured by line kind."""
    rows = []
    for line in lines:
        if line.startswith(("+++", "---")):
            style = "bold"
        elif line.startswith("@@"):
            style = "hunk"
        elif line.startswith("+"):
            style = "add"
        elif line.startswith("-"):
            style = "del"
        else:
            style = ""
        rows.append(Row(line, style))
    return rows


def status_markup(data: ReviewData) -> str:
    """Content markup for the header: spec key, each document's state, task progress."""
    from textual.markup import escape

    parts = [f"[b]{escape(data.spec.key)}[/b]"]
    colours = {"approved": "$success", "stale": "$error", "in_review": "$warning", "missing": "$text-muted", "draft": "$text"}
    for doc, status in data.statuses.items():
        parts.append(f"{doc} [{colours.get(status.state, '$text')}]{STATE_LABEL.get(status.state, status.state)}[/]")
    if data.bundle.tasks is not None:
        done, total = data.bundle.tasks.progress()
        parts.append(f"tasks {done}/{total}")
    errors = sum(1 for p in data.problems if p.severity == "error")
    warnings = len(data.problems) - errors
    parts.append(f"{errors} error(s), {warnings} warning(s)")
    return "  ·  ".join(parts)


def draft_rows(text: str, doc: str) -> list[Row]:
    """Rows of a document while the model streams it: line numbers, headings, EARS keywords (no lint yet).

    Args:
        text: the text received so far (the last line may be partial).
        doc: ``requirements``, ``design`` or ``tasks`` (keywords are marked in requirements only).
    """
    keywords = doc == "requirements"
    return [_markdown_row(n, line, None, False, keywords) for n, line in enumerate(text.split("\n"), start=1)]
