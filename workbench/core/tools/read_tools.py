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

from workbench.core.tools import pathguard
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
    """``read_file``: text of one file, optionally a 1-based inclusive line range, size-capped."""

    spec = ToolSpec(
        name="read_file",
        description=(
            "Read a text file of the workspace. Returns a header line "
            "'[read_file PATH: lines A-B of N]' followed by the plain text of those lines. "
            "Use start_line/end_line (1-based, inclusive) to read part of a large file."
        ),
        parameters={
            "type": "object",
            "properties": {
                "path": _PATH_SCHEMA,
                "start_line": {"type": "integer", "minimum": 1, "description": "First line (1-based)."},
                "end_line": {"type": "integer", "minimum": 1, "description": "Last line, inclusive."},
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
        start = args.get("start_line", 1)
        end = args.get("end_line")
        if end is not None and end < start:
            raise ToolError(f"end_line ({end}) is before start_line ({start})")
        cap = ctx.limits.read_max_bytes
        with pathguard.resolve_workspace_path(ctx.workspace, args["path"]) as path:
            fd, st = pathguard.open_regular_file(path)
            with os.fdopen(fd, "rb") as handle:
                if st.st_size <= _SMALL_FILE:
                    data = handle.read()
                    if b"\0" in data[:8192]:
                        raise ToolError(f"{path.rel!r} looks binary (NUL byte); read_file returns text only")
                    total = data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)
                    picked, cut = _slice(data, start, end, total, cap)
                else:
                    head = handle.read(8192)
                    if b"\0" in head:
                        raise ToolError(f"{path.rel!r} looks binary (NUL byte); read_file returns text only")
                    handle.seek(0)
                    lines, stop, cut = _pick(iter(handle), start, end, cap)
                    total = stop + sum(1 for _ in handle)
                    picked = (len(lines), b"".join(lines))
            rel = path.rel
        if total == 0:
            return ToolResult(content=f"[read_file {rel}: empty file (0 lines)]\n", summary=f"read {rel} (empty)")
        if start > total:
            raise ToolError(f"start_line {start} is past the end of {rel!r}, which has {total} lines")
        last = start + picked[0] - 1
        header = f"[read_file {rel}: lines {start}-{last} of {total}"
        if cut:
            header += f", cut at {cap} bytes; call again with start_line={last + 1} to read on"
        text = picked[1].decode("utf-8", errors="replace")
        if text and not text.endswith("\n"):
            text += "\n"
        return ToolResult(content=header + "]\n" + text, summary=f"read {rel} lines {start}-{last} of {total}")


def _slice(data: bytes, start: int, end: int | None, total: int, cap: int) -> tuple[tuple[int, bytes], bool]:
    """Cut lines ``start..end`` (``\n``-separated, 1-based) out of an in-memory file, up to ``cap`` bytes.

    Returns:
        ``((number of lines, their bytes), cut by the cap)``.
    """
    stop = total if end is None else min(end, total)
    if start == 1 and stop == total and len(data) <= cap:
        return (total, data), False
    chosen = data.split(b"\n")[start - 1 : stop]
    body = b"\n".join(chosen) + b"\n"
    if len(body) <= cap:
        return (len(chosen), body), False
    at = body.rfind(b"\n", 0, cap)
    if at < 0:  # the first line alone is over the cap
        return (1, body[:cap] + b"\n"), True
    return (body.count(b"\n", 0, at + 1), body[: at + 1]), True


def _pick(lines: Iterator[bytes], start: int, end: int | None, cap: int) -> tuple[list[bytes], int, bool]:
    """Collect lines ``start..end`` up to ``cap`` bytes.

    Returns:
        ``(picked lines, number of lines consumed, cut by the cap)``.
    """
    picked: list[bytes] = []
    used = 0
    n = 0
    for n, line in enumerate(lines, 1):
        if n < start:
            continue
        if end is not None and n > end:
            return picked, n, False
        if used + len(line) > cap:
            if not picked:
                picked.append(line[: max(cap, 1)] + b"\n")
            return picked, n, True
        picked.append(line)
        used += len(line)
    return picked, n, False


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
        return ToolResult(
            content="\n".join([header, *lines]) + "\n", summary=f"glob {pattern} -> {len(found)} files"
        )
