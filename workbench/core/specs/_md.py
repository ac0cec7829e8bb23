"""Markdown block structure shared by the spec parsers (internal), from markdown-it-py.

The block structure (fenced and indented code, headings, thematic breaks, list items and their
nesting) comes from markdown-it-py's CommonMark token stream
(https://markdown-it-py.readthedocs.io/, https://spec.commonmark.org/0.31.2/): each block token
carries ``.map``, the ``[first, last)`` 0-based lines it spans, which ``annotate`` turns into one
``Line`` per source line. The spec parsers walk those lines, so every problem keeps the line
number an editor shows, and put the spec semantics (requirements, criteria, tasks, citations)
on top.

Lines are split on ``\\n`` only (a trailing ``\\r`` is dropped), so line numbers agree with a
byte-level split of the same file, which ``tasks.set_task_state`` relies on.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass

from markdown_it import MarkdownIt

_BLOCKS = MarkdownIt("commonmark").disable(["inline", "text_join"])
"""Block-level CommonMark parser: inline tokens keep their raw ``content`` and get no children."""

_INLINE = MarkdownIt("commonmark")
"""Full CommonMark parser, for the inline tokens of one criterion (``prose``)."""


@dataclass(slots=True)
class Line:
    """One source line and the block structure it belongs to.

    Attributes:
        no: 1-based line number.
        text: the line without its line end.
        code: inside a fenced or indented code block (fence lines included).
        heading: ``(level, text)`` on the first line of an ATX or setext heading, else ``None``.
        rule: a thematic break (``---``, ``***``, ``___``).
        skip: the underline or later line of a setext heading (part of the heading above).
        marker: on the first line of a list item, its marker: ``-``, ``*``, ``+`` (bullet) or
            ``.``, ``)`` (ordered); else ``""``.
        number: the ordered item's number (``None`` for bullets and other lines).
        depth: list nesting of the innermost item holding this line (0: not in a list).
        item: 1-based line of the top-level (depth 1) list item holding this line, else 0.
    """

    no: int
    text: str
    code: bool = False
    heading: tuple[int, str] | None = None
    rule: bool = False
    skip: bool = False
    marker: str = ""
    number: int | None = None
    depth: int = 0
    item: int = 0

    @property
    def blank(self) -> bool:
        """Whether the line holds only whitespace."""
        return not self.text.strip()


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


def annotate(lines: list[str]) -> list[Line]:
    """Return one ``Line`` per entry of ``lines`` (as ``split_lines`` makes them).

    The lines are parsed once by markdown-it-py (CommonMark, block rules only); a lone ``\\r``
    inside a line is read as a space so that markdown-it's line numbers match ``lines``.
    """
    out = [Line(n, text) for n, text in enumerate(lines, start=1)]
    source = "\n".join(lines)
    if "\r" in source:
        source = source.replace("\r", " ")
    tokens = _BLOCKS.parse(source)
    depth = 0
    for index, token in enumerate(tokens):
        kind = token.type
        if kind == "list_item_open":
            depth += 1
            first, last = token.map  # type: ignore[misc]
            line = out[first]
            line.marker = token.markup
            if token.info:
                line.number = int(token.info)
            for held in out[first:last]:
                held.depth = depth
                if depth == 1:
                    held.item = first + 1
        elif kind == "list_item_close":
            depth -= 1
        elif kind in ("fence", "code_block"):
            first, last = token.map  # type: ignore[misc]
            for held in out[first:last]:
                held.code = True
        elif kind == "heading_open":
            first, last = token.map  # type: ignore[misc]
            out[first].heading = (int(token.tag[1]), tokens[index + 1].content.split("\n", 1)[0].strip())
            for held in out[first + 1 : last]:
                held.skip = True
        elif kind == "hr":
            out[token.map[0]].rule = True  # type: ignore[index]
    return out


def parse_lines(text: str) -> list[Line]:
    """``annotate(split_lines(text))``."""
    return annotate(split_lines(text))


def iter_lines(lines: list[str]) -> Iterator[tuple[int, str, bool]]:
    """Yield ``(lineno, line, in_code)`` with 1-based numbers; ``in_code`` for code block lines.

    Code follows CommonMark (https://spec.commonmark.org/0.31.2/#fenced-code-blocks): a line of
    three backticks followed by text (```` ```ollector; ````) inside a block does not close it, a
    backtick fence's info string holds no backtick, fences inside list items count, and an
    unclosed fence runs to the end of the document. Fence lines are reported with ``in_code=True``.
    """
    for line in annotate(lines):
        yield line.no, line.text, line.code


def plain(text: str) -> str:
    """Strip emphasis markers (``*``, ``_``, backticks) around a heading or term."""
    return text.strip().strip("*_`").strip()


@functools.lru_cache(maxsize=8192)
def prose(text: str) -> str:
    """Return the prose of one paragraph's inline Markdown: code spans, HTML and link targets removed.

    Uses markdown-it-py's inline tokens: text, link text and emphasis stay; ``code_inline`` spans,
    inline HTML, autolinks (``<https://...>``) and the targets of links and images become spaces.
    """
    if not any(c in text for c in "`<[&\\"):
        return text
    parts: list[str] = []
    autolink = 0
    for block in _INLINE.parseInline(text):
        for child in block.children or ():
            kind = child.type
            if kind == "link_open":
                autolink += child.markup == "autolink"
                parts.append(" ")
            elif kind == "link_close":
                autolink = max(0, autolink - (child.markup == "autolink"))
                parts.append(" ")
            elif kind == "text" and not autolink:
                parts.append(child.content)
            elif kind == "image":
                parts.append(" " + child.content + " ")
            else:
                parts.append(" ")
    return "".join(parts)
