"""Read-only file tools: ``read_file``, ``list_dir`` and ``glob``.

Every path goes through :mod:`workbench.core.tools.pathguard`; every blocking call runs in
``asyncio.to_thread``. Directory walks use :func:`os.fwalk` (directory fds, symlinks never
followed) and skip ``.git`` directories.
"""

from __future__ import annotations

import asyncio
import os
import stat
from collections.abc import Iterator
from typing import Any

from workbench.core.tools import pathguard, textcodec
from workbench.core.tools.base import Tool, ToolContext, ToolError, ToolResult, ToolSpec
from workbench.core.tools.globmatch import name_or_path_match

_SMALL_FILE = 4 * 1024 * 1024
_PATH_SCHEMA = {"type": "string", "minLength": 1, "description": "Path relative to the workspace root."}


def is_git_dir(name: str) -> bool:
    """Tell whether a directory name is a ``.git`` directory (case-insensitive)."""
    return name.casefold() == ".git"


def walk_files(ctx: ToolContext, base: str) -> Iterator[tuple[str, str, int]]:
    """Yield ``(workspace-relative path, name, dir_fd)`` for every non-directory under ``base``.

    Walks with :func:`os.fwalk` from a guarded directory fd, in sorted order, pruning ``.git``.
    ``dir_fd`` is only valid during the iteration step. Symlinks are yielded (as names) but never
    followed.
    """
    base_fd = pathguard.open_directory(ctx.workspace, base)
    prefix = "" if pathguard.normalize_relative(base) == "." else pathguard.normalize_relative(base) + "/"
    try:
        for dirpath, dirnames, filenames, dir_fd in os.fwalk(".", dir_fd=base_fd, follow_symlinks=False):
            dirnames[:] = sorted(d for d in dirnames if not is_git_dir(d))
            rel_dir = prefix + ("" if dirpath == "." else dirpath[2:] + "/")
            for name in sorted(filenames):
                yield rel_dir + name, name, dir_fd
    finally:
        os.close(base_fd)


class ReadFileTool(Tool):
    """``read_file``: numbered lines of one text file, bounded like Claude Code's Read.

    Returns at most ``limit`` lines (default and cap :attr:`ToolLimits.read_max_lines`) and at most
    :attr:`ToolLimits.read_max_bytes` of text. Each line is ``"<number>\\t<text>"`` (``cat -n``
    style, ``\\r`` of CRLF files not shown). A line longer than
    :attr:`ToolLimits.read_max_line_chars` is cut with a marker giving the ``char_offset`` to read
    on; ``char_offset`` reads one line from that character, so even a multi-megabyte single line
    can be read to its end. Non-UTF-8 text is decoded as Latin-1 (:mod:`.textcodec`).
    """

    spec = ToolSpec(
        name="read_file",
        description=(
            "Read a text file of the workspace. Returns a header '[read_file PATH: lines A-B of N]' and "
            "the lines numbered like 'cat -n' (number, tab, text; the number is not part of the file). "
            "At most 2000 lines and ~40 KB per call: use offset (first line, 1-based) and limit (number "
            "of lines) to read further. A very long line is cut with a marker; call again with "
            "offset=that line and char_offset=the given character to read the rest of it."
        ),
        parameters={
            "type": "object",
            "properties": {
                "path": _PATH_SCHEMA,
                "offset": {"type": "integer", "minimum": 1, "description": "First line to read (1-based, default 1)."},
                "limit": {"type": "integer", "minimum": 1, "description": "Most lines to read (default 2000)."},
                "char_offset": {
                    "type": "integer",
                    "minimum": 0,
                    "description": "Read only line 'offset' from this character (0-based) on; for very long lines.",
                },
            },
            "required": ["path"],
            "additionalProperties": False,
        },
        mutates=False,
        kind="read",
    )

    async def run(self, args: dict[str, Any], ctx: ToolContext, *, override: str | None = None) -> ToolResult:
        """Read the file in a thread; see the class docstring."""
        return await asyncio.to_thread(self._run, args, ctx)

    def _run(self, args: dict[str, Any], ctx: ToolContext) -> ToolResult:
        lim = ctx.limits
        start = args.get("offset", 1)
        limit = min(args.get("limit", lim.read_max_lines), lim.read_max_lines)
        char_offset = args.get("char_offset")
        with pathguard.resolve_workspace_path(ctx.workspace, args["path"]) as path:
            fd, st = pathguard.open_regular_file(path)
            with os.fdopen(fd, "rb") as handle:
                head = handle.read(8192)
                if b"\0" in head:
                    raise ToolError(f"{path.rel!r} looks binary (NUL byte); read_file returns text only")
                handle.seek(0)
                if st.st_size <= _SMALL_FILE:
                    data = handle.read()
                    codec = textcodec.detect(data)
                    total = data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)
                    raw = data.split(b"\n")[start - 1 : min(start - 1 + limit, total)] if start <= total else []
                else:
                    codec = textcodec.detect(head)
                    raw, total = _stream_lines(handle, start, limit)
            rel = path.rel
        if total == 0:
            return ToolResult(content=f"[read_file {rel}: empty file (0 lines)]\n", summary=f"read {rel} (empty)")
        if start > total:
            raise ToolError(f"offset {start} is past the end of {rel!r}, which has {total} lines")
        enc_note = "" if codec == textcodec.UTF8 else f", decoded as {codec}"
        if char_offset is not None:
            return _one_line(
                rel, start, total, raw[0].decode(codec, errors="replace").removesuffix("\r"), char_offset, lim, enc_note
            )
        out: list[str] = []
        used = 0
        cut_note = ""
        last = start - 1
        for n, line in enumerate(raw, start):
            text = line.decode(codec, errors="replace").removesuffix("\r")
            width = min(lim.read_max_line_chars, lim.read_max_bytes // 2)
            if len(text) > width:
                text = (
                    text[:width] + f" [... line {n} is cut at character {width} of {len(text)}; read_file with "
                    f"offset={n} and char_offset={width} reads on]"
                )
            row = f"{n:>6}\t{text}\n"
            size = len(row.encode("utf-8"))
            if out and used + size > lim.read_max_bytes:
                cut_note = f"; output cut at {lim.read_max_bytes} bytes: call again with offset={n} to read on"
                break
            out.append(row)
            used += size
            last = n
        if not cut_note and last < total:
            cut_note = f"; {total - last} more lines: call again with offset={last + 1} to read on"
        header = f"[read_file {rel}: lines {start}-{last} of {total}{enc_note}{cut_note}]\n"
        return ToolResult(content=header + "".join(out), summary=f"read {rel} lines {start}-{last} of {total}")


def _one_line(rel: str, n: int, total: int, text: str, char_offset: int, lim: Any, enc_note: str) -> ToolResult:
    """The ``char_offset`` mode: one slice of line ``n`` that fits the byte budget."""
    if char_offset >= len(text) and char_offset:
        raise ToolError(f"char_offset {char_offset} is past the end of line {n} of {rel!r}, which has {len(text)} characters")
    width = max(1, lim.read_max_bytes // 4)  # worst case 4 UTF-8 bytes per character
    piece = text[char_offset : char_offset + width]
    stop = char_offset + len(piece)
    more = f"; {len(text) - stop} more characters: call again with offset={n} and char_offset={stop}" if stop < len(text) else ""
    header = f"[read_file {rel}: line {n} of {total}, characters {char_offset}-{stop} of {len(text)}{enc_note}{more}]\n"
    return ToolResult(content=header + piece + "\n", summary=f"read {rel} line {n} chars {char_offset}-{stop}")


def _stream_lines(handle: Any, start: int, limit: int) -> tuple[list[bytes], int]:
    """Lines ``start .. start+limit-1`` of a large file (without ``\\n``) and its line count."""
    picked: list[bytes] = []
    total = 0
    for total, line in enumerate(handle, 1):
        if start <= total < start + limit:
            picked.append(line.removesuffix(b"\n"))
    return picked, total


class ListDirTool(Tool):
    """``list_dir``: the entries of one directory with type and size, sorted, capped."""

    spec = ToolSpec(
        name="list_dir",
        description=(
            "List a directory of the workspace (default: the root). Directories end with '/', files "
            "show their size in bytes, symlinks are shown but never followed."
        ),
        parameters={
            "type": "object",
            "properties": {"path": {**_PATH_SCHEMA, "default": "."}},
            "additionalProperties": False,
        },
        mutates=False,
        kind="read",
    )

    async def run(self, args: dict[str, Any], ctx: ToolContext, *, override: str | None = None) -> ToolResult:
        """List the directory in a thread."""
        return await asyncio.to_thread(self._run, args, ctx)

    def _run(self, args: dict[str, Any], ctx: ToolContext) -> ToolResult:
        rel = pathguard.normalize_relative(args.get("path", "."))
        fd = pathguard.open_directory(ctx.workspace, rel)
        try:
            rows: list[tuple[int, str, str]] = []
            with pathguard.os_errors("list", rel), os.scandir(fd) as entries:
                for entry in entries:
                    st = entry.stat(follow_symlinks=False)
                    if stat.S_ISDIR(st.st_mode):
                        rows.append((0, entry.name, entry.name + "/"))
                    elif stat.S_ISLNK(st.st_mode):
                        rows.append((1, entry.name, f"{entry.name}@  (symlink, not followed)"))
                    elif stat.S_ISREG(st.st_mode):
                        rows.append((1, entry.name, f"{entry.name}  {st.st_size}"))
                    else:
                        rows.append((1, entry.name, f"{entry.name}  (special file)"))
        finally:
            os.close(fd)
        rows.sort()
        cap = ctx.limits.list_max_entries
        lines = [row[2] for row in rows[:cap]]
        header = f"[list_dir {rel}: {len(rows)} entries]"
        if len(rows) > cap:
            lines.append(f"... {len(rows) - cap} more entries not shown (cap {cap}); list a subdirectory")
        return ToolResult(content="\n".join([header, *lines]) + "\n", summary=f"listed {rel} ({len(rows)} entries)")


class GlobTool(Tool):
    """``glob``: workspace files whose path matches a glob, sorted, capped, ``.git`` skipped."""

    spec = ToolSpec(
        name="glob",
        description=(
            "Find files by glob. '**' matches across folders, '*' within one name. A pattern "
            "without '/' matches file names at any depth ('*.py'); with '/' it matches the path "
            "from the search root ('src/**/test_*.py'). .git is skipped."
        ),
        parameters={
            "type": "object",
            "properties": {
                "pattern": {"type": "string", "minLength": 1},
                "path": {**_PATH_SCHEMA, "default": ".", "description": "Directory to search (default root)."},
            },
            "required": ["pattern"],
            "additionalProperties": False,
        },
        mutates=False,
        kind="read",
    )

    async def run(self, args: dict[str, Any], ctx: ToolContext, *, override: str | None = None) -> ToolResult:
        """Walk and match in a thread."""
        return await asyncio.to_thread(self._run, args, ctx)

    def _run(self, args: dict[str, Any], ctx: ToolContext) -> ToolResult:
        pattern = args["pattern"]
        base = pathguard.normalize_relative(args.get("path", "."))
        skip = 0 if base == "." else len(base) + 1
        found = [rel for rel, _name, _fd in walk_files(ctx, base) if name_or_path_match(pattern, rel[skip:])]
        cap = ctx.limits.glob_max_results
        header = f"[glob {pattern!r} in {base}: {len(found)} files]"
        lines = found[:cap]
        if len(found) > cap:
            lines.append(f"... {len(found) - cap} more not shown (cap {cap}); use a narrower pattern")
        if not found and pattern.startswith("/"):
            lines.append("patterns are relative to the search path; drop the leading '/'")
        return ToolResult(content="\n".join([header, *lines]) + "\n", summary=f"glob {pattern} -> {len(found)} files")
