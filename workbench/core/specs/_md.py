"""Line-level Markdown helpers shared by the spec parsers (internal).

Lines are split on ``\\n`` only (a trailing ``\\r`` is dropped), so line numbers agree with a
byte-level split of the same file, which ``tasks.set_task_state`` relies on.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

HEADING_RE = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
FENCE_RE = re.compile(r"^[ \t]*(`{3,}|~{3,})(.*)$")
RULE_RE = re.compile(r"^ {0,3}(?:(?:-[ \t]*){3,}|(?:\*[ \t]*){3,}|(?:_[ \t]*){3,})$")
"""A thematic break (CommonMark 4.1): three or more ``-``, ``*`` or ``_``, spaces allowed."""


def split_lines(text: str) -> list[str]:
    """Split ``text`` on ``\\n`` and drop one trailing ``\\r`` per line.

    A final empty string after a trailing newline is dropped, so ``len(result)`` is the number
    of lines an editor shows. A leading byte-order mark is removed.
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [ln[:-1] if ln.endswith("\r") else ln for ln in lines]


def iter_lines(lines: list[str]) -> Iterator[tuple[int, str, bool]]:
    """Yield ``(lineno, line, in_code)`` with 1-based numbers; ``in_code`` for fenced code lines.

    Fences follow CommonMark (https://spec.commonmark.org/0.31.2/#fenced-code-blocks): an
    opening fence is three or more backticks or tildes (a backtick fence's info string holds no
    backtick); the closing fence uses the same character, at least as many of them, and nothing
    but whitespace after. A line of three backticks followed by text (``ollector;``) inside a block does not close it.
    Unlike CommonMark, any indentation is accepted, so fences inside list items of any depth
    count. The fence lines themselves are reported with ``in_code=True``; an unclosed fence runs
    to the end of the document.
    """
    fence_char = ""
    fence_len = 0
    for index, line in enumerate(lines, start=1):
        head = line.lstrip(" \t")[:1]
        match = FENCE_RE.match(line) if head in ("`", "~") else None
        if not fence_len:
            if match and not (match.group(1)[0] == "`" and "`" in match.group(2)):
                fence_char, fence_len = match.group(1)[0], len(match.group(1))
                yield index, line, True
                continue
            yield index, line, False
            continue
        if match and match.group(1)[0] == fence_char and len(match.group(1)) >= fence_len and not match.group(2).strip():
            fence_len = 0
        yield index, line, True


def is_rule(line: str) -> bool:
    """Return whether ``line`` is a thematic break (``---``, ``***``, ``___``, spaced or not)."""
    return line[:4].lstrip()[:1] in ("-", "*", "_") and RULE_RE.match(line) is not None


def heading(line: str) -> tuple[int, str] | None:
    """Return ``(level, text)`` for an ATX heading line, else ``None``."""
    if "#" not in line[:4]:
        return None
    match = HEADING_RE.match(line)
    if not match:
        return None
    return len(match.group(1)), match.group(2).strip()


def plain(text: str) -> str:
    """Strip emphasis markers (``*``, ``_``, backticks) around a heading or term."""
    return text.strip().strip("*_`").strip()
