"""Line-level Markdown helpers shared by the spec parsers (internal).

Lines are split on ``\\n`` only (a trailing ``\\r`` is dropped), so line numbers agree with a
byte-level split of the same file, which ``tasks.set_task_state`` relies on.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

HEADING_RE = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
FENCE_RE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


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

    The fence lines themselves are reported with ``in_code=True``.
    """
    fence: str | None = None
    for index, line in enumerate(lines, start=1):
        match = FENCE_RE.match(line) if ("`" in line[:6] or "~" in line[:6]) else None
        if fence is None and match:
            fence = match.group(1)[0] * 3
            yield index, line, True
            continue
        if fence is not None:
            if line.lstrip().startswith(fence):
                fence = None
            yield index, line, True
            continue
        yield index, line, False


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
