"""Parser for ``tasks.md`` and the one-line task state rewrite.

Kiro's implementation plan (https://kiro.dev/docs/specs/) is a nested checkbox list::

    - [ ] 1. Set up the project
      - Create the package layout
      - _Requirements: 1.1, 2.3_
    - [-] 2. Implement the parser
      - [x] 2.1 Parse headings
        - _Requirements: 1.2_
      - [ ]* 2.2 Write property tests      (optional task)

``[ ]`` is todo, ``[-]`` in progress (``[~]`` is read as in progress too), ``[x]`` done and a
``*`` right after the box (or ``\\*``, escaped as Markdown formatters write it) marks an
optional task. A ``_Requirements:_`` entry (or Kiro's
``**Validates: Requirements 1.2, 1.3**``, or ``_需求: 1.2_`` in a Chinese spec) cites criteria (``1.2``), whole requirements (``3``) or
a range (``1.1-1.3``, ``1.1–1.3`` with an en dash, ``1.3-2.2`` across requirements). Task ids
may carry a letter (``10a``, ``2.1b``); a bullet starting with a bare number and no checkbox
(``- 43 tests pass``) is prose, not a task. Under a ``## Task N: Title`` (or ``### N. Title``)
heading, sub-tasks ``N.1``, ``N.2`` need no parent checkbox (the heading groups them). An id
inside bold text (``- [ ] **1.1 Title**``) is read as the id.
Parse problems use codes ``TSK001``-``TSK005`` and are never raised.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from . import _md
from ._io import atomic_write_bytes
from .models import Problem, Task, TaskNotFoundError, TasksDoc

MARK_TO_STATE: dict[str, str] = {" ": "todo", "x": "done", "X": "done", "-": "in_progress", "~": "in_progress"}
"""Checkbox mark -> task state."""

STATE_TO_MARK: dict[str, str] = {"todo": " ", "in_progress": "-", "done": "x"}
"""Task state -> the mark written by ``set_task_state``."""

_CHECKBOX_RE = re.compile(r"^(?P<indent>[ \t]*)[-*+][ \t]+\[(?P<mark>[^\]]{0,2})\](?!\()(?P<opt>\\?\*)?[ \t]*(?P<rest>.*)$")
_TASK_TEXT_RE = re.compile(r"^(?P<id>\d+[a-z]?(?:\.\d+[a-z]?)*)\.?(?P<opt>\\?\*)?(?:[ \t]+(?P<title>.*?))?[ \t]*$")
_NO_BOX_RE = re.compile(r"^(?P<indent>[ \t]*)[-*+][ \t]+(?P<id>\d+[a-z]?(?:\.\d+[a-z]?)*)(?P<dot>\.)?[ \t]+\S")
#: A requirement citation line: ``_Requirements: 1.1, 2.3_`` or ``**Validates: Requirements 7.1**``
#: (group ``refs``: the references; ``em``: the emphasis marker before it, if any).
REFS_LINE_RE = re.compile(
    r"^\s*(?:[-*+]\s+)?(?P<em>[_*]{1,2})?\s*(?:Requirements?\s*:|(?:需求|要件)\s*[:：]|Validates\s*:\s*(?:Requirements?\b)?)"
    r"\s*[_*]{0,2}\s*(?P<refs>.*?)\s*[_*]{0,2}\s*$",
    re.IGNORECASE,
)
_REF_RE = re.compile(r"^\d+(?:\.\d+)?$")
_RANGE_RE = re.compile(r"^(\d+)\.(\d+)-(?:(\d+)\.)?(\d+)$")
_DASH_RE = re.compile(r"\s*(?:-|\u2013|\u2014|\bto\b|\bthrough\b)\s*")
_TASK_HEADING_RE = re.compile(r"^(?:task\s+(\d+[a-z]?)\b|(\d+[a-z]?)[.:)]\s+\S)", re.IGNORECASE)
_BOLD_ID_RE = re.compile(r"^(\*\*|__)(\d+[a-z]?(?:\.\d+[a-z]?)*\.?)[ \t]+(.*?)\1[ \t]*(.*)$")
_PAREN_RE = re.compile(r"\([^)]*\)")
_REF_WORDS_RE = re.compile(r"\b(?:requirements?|and|all\s+(?:from|of|in))\b|需求|要件", re.IGNORECASE)
_REF_SPLIT_RE = re.compile(r"[,;\s]+")
_BOX_BYTES_RE = re.compile(rb"^([ \t]*[-*+][ \t]+\[)([^\]]{0,2})(\])")


def _may_cite(line: str) -> bool:
    """Cheap test before ``REFS_LINE_RE``: the line holds one of the citation words."""
    return (
        "equirement" in line
        or "alidates" in line
        or "EQUIREMENT" in line
        or "ALIDATES" in line
        or "需求" in line
        or "要件" in line
    )


def _digit_after_bullet(line: str) -> bool:
    stripped = line.lstrip()
    return len(stripped) > 2 and stripped[0] in "-*+" and stripped[2:3].isdigit()


def _indent_width(indent: str) -> int:
    return len(indent.expandtabs(4))


def parse_refs(text: str) -> tuple[list[str], list[str]]:
    """Split the text of a ``_Requirements:_`` entry into references.

    Ranges use ``-``, an en dash or an em dash (``1.1–1.4``, as Kiro writes them) or the words
    ``to``/``through``; parenthesised remarks are ignored.

    Args:
        text: e.g. ``"1.1, 2.3"``, ``"1.1-1.3"``, ``"Requirements 7.1, 7.2"`` or ``"3"``.

    Returns:
        ``(refs, bad_tokens)``: valid references and the tokens that are not. A range within one
        requirement is expanded (``1.1-1.3`` -> ``1.1, 1.2, 1.3``); a range across requirements
        stays one reference (``"1.3-2.2"``) that ``trace.build_trace`` expands against the
        requirements document, and so does ``all`` (every criterion).
    """
    text = _DASH_RE.sub("-", _PAREN_RE.sub(" ", text))
    text = _REF_WORDS_RE.sub(" ", text)
    if text.strip(" .").lower() == "all":  # "_Requirements: all_" / "All requirements": every criterion
        return ["all"], []
    refs: list[str] = []
    bad: list[str] = []
    for token in (t.strip(".") for t in _REF_SPLIT_RE.split(text) if t.strip()):
        if not token:
            continue
        if _REF_RE.match(token):
            refs.append(token)
            continue
        match = _RANGE_RE.match(token)
        if match and (match.group(3) is None or match.group(3) == match.group(1)) and int(match.group(2)) <= int(match.group(4)):
            refs.extend(f"{match.group(1)}.{m}" for m in range(int(match.group(2)), int(match.group(4)) + 1))
            continue
        if match and match.group(3) is not None and int(match.group(3)) > int(match.group(1)):
            refs.append(token)  # across requirements ("1.3-2.2"): the trace expands it
            continue
        bad.append(token)
    return refs, bad


def parse_tasks(text: str, path: str | Path = "tasks.md") -> TasksDoc:
    """Parse the text of a ``tasks.md``.

    Args:
        text: the document text.
        path: the file name used in the problems.

    Returns:
        The task tree, a flat list and the problems (never raised).
    """
    path = str(path)
    problems: list[Problem] = []
    roots: list[Task] = []
    flat: list[Task] = []
    by_id: dict[str, Task] = {}
    stack: list[tuple[int, Task]] = []
    current: Task | None = None
    heading_task: str | None = None  # N of the last "## Task N: Title" heading (groups N.1, N.2...)
    malformed = False  # the last checkbox line was a task that could not be read (TSK001)
    title_open = False  # the line before was the task's first line: a plain line continues its title

    def problem(line: int | None, severity: str, code: str, message: str) -> None:
        problems.append(Problem(path, line, severity, code, message))  # type: ignore[arg-type]

    for entry in _md.parse_lines(text):
        lineno, line = entry.no, entry.text
        if entry.code or entry.skip or not line.strip():
            title_open = False
            continue
        if title_open and current is not None and not entry.marker and entry.heading is None and not _may_cite(line):
            # the wrapped rest of the task's title ("- [x] 4. Add ... to\n    `CMakeLists.txt`")
            current.title = f"{current.title} {line.strip()}".strip()
            continue
        title_open = False
        head = entry.heading
        if head is not None:
            current = None
            group = _TASK_HEADING_RE.match(_md.plain(head[1]))
            heading_task = (group.group(1) or group.group(2)) if group else None
            continue
        box = _CHECKBOX_RE.match(line) if entry.marker and "[" in line else None
        if box:
            mark = box.group("mark")
            malformed = True
            if mark not in MARK_TO_STATE:
                problem(lineno, "error", "TSK001", f"checkbox [{mark}] is not one of [ ], [-], [x]")
                current = None
                continue
            rest = box.group("rest")
            if rest[:2] in ("**", "__"):  # "- [ ] **1.1 Title**": the id inside the emphasis
                bold = _BOLD_ID_RE.match(rest)
                if bold:
                    rest = f"{bold.group(2)} {bold.group(3)} {bold.group(4)}".strip()
            parsed = _TASK_TEXT_RE.match(rest)
            if parsed is None:
                problem(lineno, "error", "TSK001", "task has no number: write '- [ ] 3. Title' or '- [ ] 3.1 Title'")
                current = None
                continue
            malformed = False
            task_id, title = parsed.group("id"), (parsed.group("title") or "").strip()
            if not title:
                problem(lineno, "error", "TSK001", f"task {task_id} has no title")
            indent = _indent_width(box.group("indent"))
            while stack and stack[-1][0] >= indent:
                stack.pop()
            parent = stack[-1][1] if stack else None
            if parent is None and "." in task_id:
                parent = by_id.get(task_id.rsplit(".", 1)[0])
            task = Task(
                id=task_id,
                title=title,
                state=MARK_TO_STATE[mark],  # type: ignore[arg-type]
                optional=bool(box.group("opt") or parsed.group("opt")),
                requirements=[],
                line=lineno,
                depth=parent.depth + 1 if parent else 0,
            )
            if task_id in by_id:
                problem(
                    lineno, "error", "TSK002", f"task id {task_id} already used on line {by_id[task_id].line}; renumber this task"
                )
            else:
                if not (parent is None and heading_task is not None and task_id.rsplit(".", 1)[0] == heading_task):
                    _check_numbering(task, parent, roots, problem)
                by_id[task_id] = task
            (parent.children if parent else roots).append(task)
            flat.append(task)
            stack.append((indent, task))
            current = task
            title_open = True
            continue
        refs = REFS_LINE_RE.match(line) if _may_cite(line) else None
        if refs and (refs.group("em") or parse_refs(refs.group("refs"))[0]):
            found, bad = parse_refs(refs.group("refs"))
            if current is None and not malformed:  # under a malformed task: its TSK001 says enough
                problem(lineno, "error", "TSK004", "_Requirements:_ entry is not under a task")
            elif current is None:
                pass
            else:
                current.requirements.extend(found)
            if bad or not found:
                shown = ", ".join(bad) if bad else "(empty)"
                problem(
                    lineno, "error", "TSK004", f"cannot read requirement reference(s) {shown}: write '_Requirements: 1.1, 2.3_'"
                )
            continue
        no_box = _NO_BOX_RE.match(line) if entry.marker and _digit_after_bullet(line) else None
        # a prose bullet that starts with a number ("- 43 property-based tests") is not a task
        if (
            no_box
            and (no_box.group("dot") or "." in no_box.group("id"))
            and (not no_box.group("indent") or "." in no_box.group("id"))
        ):
            problem(
                lineno, "error", "TSK001", f"task {no_box.group('id')} has no checkbox: write '- [ ] {no_box.group('id')}. ...'"
            )
            continue
        if current is not None and line[:1] in (" ", "\t"):
            detail = line.strip()
            current.details.append(detail[2:] if detail[:2] in ("- ", "* ", "+ ") else detail)
        elif current is not None and line.lstrip()[:1] not in ("-", "*", "+"):
            current = None
    if not flat:
        problem(None, "warning", "TSK005", "no tasks found; write tasks as '- [ ] 1. Title'")
    return TasksDoc(path, roots, flat, problems)


def _check_numbering(
    task: Task, parent: Task | None, roots: list[Task], problem: Callable[[int | None, str, str, str], None]
) -> None:
    siblings = parent.children if parent else roots
    parts = task.id.split(".")
    if parent is not None:
        if task.id.rsplit(".", 1)[0] != parent.id:
            problem(task.line, "warning", "TSK003", f"task {task.id} is nested under task {parent.id}; number it {parent.id}.N")
            return
    elif len(parts) > 1:
        problem(task.line, "warning", "TSK003", f"sub-task {task.id} has no parent task {task.id.rsplit('.', 1)[0]}")
        return
    previous = siblings[-1] if siblings else None
    if not parts[-1].isdigit():
        return  # a letter id ("2.1b") is a task inserted after its number: not checked
    if previous is None or previous.id.rsplit(".", 1)[0] != task.id.rsplit(".", 1)[0] or not previous.id.split(".")[-1].isdigit():
        return
    expected = int(previous.id.split(".")[-1]) + 1
    if int(parts[-1]) != expected:
        expected_id = ".".join([*parts[:-1], str(expected)])
        problem(task.line, "warning", "TSK003", f"task {task.id} follows task {previous.id}; expected {expected_id}")


def load_tasks(path: Path) -> TasksDoc:
    """Read and parse ``path`` (see ``requirements.read_text`` for encoding handling)."""
    from .requirements import read_text

    text, problems = read_text(path)
    doc = parse_tasks(text, path)
    doc.problems[:0] = problems
    return doc


def set_task_state(path: Path, task_id: str, state: str) -> None:
    """Rewrite the checkbox of one task; every other byte of the file stays identical.

    Line endings (LF, CRLF or mixed), a missing final newline and a byte-order mark are kept.
    The write is atomic (temp file, fsync, ``os.replace``).

    Args:
        path: the ``tasks.md`` file.
        task_id: the task id, e.g. ``"2.1"``.
        state: ``"todo"``, ``"in_progress"`` or ``"done"``.

    Raises:
        ValueError: ``state`` is not a task state, or the file is not valid UTF-8.
        TaskNotFoundError: no task has that id, or several lines do.
        OSError: the file cannot be read or written.
    """
    if state not in STATE_TO_MARK:
        raise ValueError(f"unknown task state {state!r}; expected one of {', '.join(STATE_TO_MARK)}")
    path = Path(path)
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path} is not valid UTF-8 ({exc}); save it as UTF-8 first") from exc
    doc = parse_tasks(text, path)
    matches = [t for t in doc.all_tasks if t.id == task_id]
    if not matches:
        known = ", ".join(t.id for t in doc.all_tasks[:20]) or "none"
        raise TaskNotFoundError(f"task {task_id} not found in {path} (tasks: {known})")
    if len(matches) > 1:
        line_nos = ", ".join(str(t.line) for t in matches)
        raise TaskNotFoundError(f"task id {task_id} appears on lines {line_nos} of {path}; renumber the duplicates first")
    index = matches[0].line - 1
    lines = data.split(b"\n")
    target = lines[index]
    prefix = b""
    if index == 0 and target.startswith(b"\xef\xbb\xbf"):
        prefix, target = target[:3], target[3:]
    new, count = _BOX_BYTES_RE.subn(lambda m: m.group(1) + STATE_TO_MARK[state].encode() + m.group(3), target, count=1)
    if count != 1:  # parse and byte view disagree: refuse rather than corrupt the file
        raise TaskNotFoundError(f"line {index + 1} of {path} does not hold the checkbox of task {task_id}")
    if prefix + new == lines[index]:
        return
    lines[index] = prefix + new
    atomic_write_bytes(path, b"\n".join(lines))
