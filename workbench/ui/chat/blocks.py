"""Where a streamed Markdown reply can be cut into independent blocks.

A cut is only made at a blank line outside a fenced code block (CommonMark fences: lines starting
with three or more backticks or tildes, https://spec.commonmark.org/0.31.2/#fenced-code-blocks), so
each finished part renders exactly as it would inside the whole document (up to list looseness).
"""

from __future__ import annotations


def last_block_boundary(text: str) -> int:
    """Return the offset just after the last blank line outside a code fence, or 0 if none.

    Args:
        text: Markdown source.

    Returns:
        An index ``i`` such that ``text[:i]`` is a sequence of complete blocks (0 when there is no
        safe cut yet).
    """
    pos = 0
    in_fence = False
    fence = ""
    boundary = 0
    for line in text.splitlines(keepends=True):
        stripped = line.lstrip()
        if not line.endswith("\n"):
            break  # the last, unfinished line is never a boundary
        if in_fence:
            body = stripped.strip()
            if len(body) >= 3 and set(body) == {fence[0]}:
                in_fence = False
        elif stripped.startswith("```") or stripped.startswith("~~~"):
            in_fence = True
            fence = stripped[:3]
        elif not stripped.strip() and pos > 0:
            boundary = pos + len(line)
        pos += len(line)
    return boundary
