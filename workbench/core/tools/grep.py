"""The ``grep`` tool: regex search with ``file:line: text`` results and a result cap.

Two engines give the same output format:

* ``rg`` (ripgrep, https://github.com/BurntSushi/ripgrep) when it is on ``PATH``: run as
  ``rg --no-ignore --hidden --no-follow --glob '!.git'`` in the workspace, killed once the cap is
  reached. Its regex dialect (Rust ``regex``) has no look-around or back-references; a pattern rg
  rejects is retried with the Python engine.
* Python: :func:`os.fwalk` from a guarded directory fd (symlinks never followed, ``.git`` pruned),
  each file read whole and searched with one compiled ``bytes`` regex (``re.MULTILINE``); line
  numbers are computed only for files that match. Binary files (NUL in the first 8 KiB) are skipped.

The result header names the engine, e.g. ``[grep 'foo' in .: 3 matches in 2 files (ripgrep)]``.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import stat
from collections.abc import Iterator
from typing import Any, Literal

from workbench.core.tools import pathguard
from workbench.core.tools.base import Tool, ToolContext, ToolError, ToolResult, ToolSpec
from workbench.core.tools.globmatch import name_or_path_match
from workbench.core.tools.read_tools import walk_files

Engine = Literal["auto", "python", "rg"]
_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK


class GrepTool(Tool):
    """``grep``: search file contents with a regular expression.

    Args:
        engine: ``"auto"`` (ripgrep when on ``PATH``, else Python), ``"python"`` or ``"rg"``.
    """

    spec = ToolSpec(
        name="grep",
        description=(
            "Search file contents with a regular expression (Python/ripgrep syntax). Returns "
            "'path:line: text' lines, at most a capped number. 'path' limits the search to a file or "
            "folder; 'glob' filters files ('*.py' matches names at any depth, 'src/**/*.ts' whole "
            "paths). Binary files and .git are skipped."
        ),
        parameters={
            "type": "object",
            "properties": {
                "pattern": {"type": "string", "minLength": 1, "description": "Regular expression."},
                "path": {"type": "string", "minLength": 1, "default": ".", "description": "File or folder."},
                "glob": {"type": "string", "minLength": 1, "description": "File filter, e.g. '*.py'."},
                "ignore_case": {"type": "boolean", "default": False},
            },
            "required": ["pattern"],
            "additionalProperties": False,
        },
        mutates=False,
        kind="read",
    )

    def __init__(self, engine: Engine = "auto") -> None:
        self.engine = engine

    async def run(self, args: dict[str, Any], ctx: ToolContext, *, override: str | None = None) -> ToolResult:
        """Search; see the module docstring for the engines."""
        pattern: str = args["pattern"]
        flags = re.MULTILINE | (re.IGNORECASE if args.get("ignore_case") else 0)
        try:
            regex = re.compile(pattern.encode("utf-8"), flags)
        except re.error as exc:
            raise ToolError(f"invalid regular expression {pattern!r}: {exc.msg} at position {exc.pos}") from None
        base = pathguard.normalize_relative(args.get("path", "."))
        rg = shutil.which("rg") if self.engine in ("auto", "rg") else None
        if self.engine == "rg" and rg is None:
            raise ToolError("the rg engine was requested but ripgrep (rg) is not on PATH")
        if rg is not None:
            hits = await _search_rg(rg, args, base, ctx)
            if hits is not None:
                return _format(pattern, base, hits, ctx, "ripgrep")
        hits = await asyncio.to_thread(_search_python, regex, base, args.get("glob"), ctx)
        return _format(pattern, base, hits, ctx, "python")


def _line_of(data: bytes, start: int, max_chars: int) -> str:
    """Return the line containing byte offset ``start``, decoded and cut to ``max_chars``."""
    begin = data.rfind(b"\n", 0, start) + 1
    stop = data.find(b"\n", start)
    text = data[begin : len(data) if stop < 0 else stop].decode("utf-8", errors="replace").rstrip("\r")
    return text if len(text) <= max_chars else text[:max_chars] + "..."


def _search_python(regex: re.Pattern[bytes], base: str, glob: str | None, ctx: ToolContext) -> list[str]:
    """Search with the Python engine; return up to ``grep_max_results + 1`` result lines."""
    limits = ctx.limits
    want = limits.grep_max_results + 1
    hits: list[str] = []
    candidates = _candidates(ctx, base)
    for rel, name, dir_fd in candidates:
        if glob and not name_or_path_match(glob, rel):
            continue
        try:
            fd = os.open(name, _READ_FLAGS, dir_fd=dir_fd)
        except OSError:
            continue  # symlink (O_NOFOLLOW), vanished or unreadable
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode) or st.st_size > limits.grep_max_file_bytes:
                continue
            data = os.read(fd, st.st_size + 1) if st.st_size < 1 << 20 else _read_all(fd)
        finally:
            os.close(fd)
        if b"\0" in data[:8192]:
            continue
        match = regex.search(data)
        if match is None:
            continue
        line, pos, last_line = 1, 0, 0
        for match in regex.finditer(data, match.start()):
            line += data.count(b"\n", pos, match.start())
            pos = match.start()
            if line == last_line:
                continue
            last_line = line
            hits.append(f"{rel}:{line}: {_line_of(data, pos, limits.grep_max_line_chars)}")
            if len(hits) >= want:
                candidates.close()
                return hits
    return hits


def _read_all(fd: int) -> bytes:
    """Read an open file to the end."""
    chunks = []
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
    return b"".join(chunks)


def _candidates(ctx: ToolContext, base: str) -> Iterator[tuple[str, str, int]]:
    """Yield ``(rel, name, dir_fd)`` for the files to search: ``base`` itself or the files under it.

    Raises:
        PathRefused: ``base`` is refused or a symlink.
        ToolError: ``base`` does not exist.
    """
    if base != ".":
        with pathguard.resolve_workspace_path(ctx.workspace, base) as path:
            st = path.lstat()
            if st is None:
                raise ToolError(f"{base!r} does not exist")
            if stat.S_ISLNK(st.st_mode):
                raise pathguard.PathRefused(f"{base!r} is a symbolic link; the file tools never follow symlinks")
            if not stat.S_ISDIR(st.st_mode):
                yield path.rel, path.name, path.parent_fd
                return
    yield from walk_files(ctx, base)


async def _search_rg(rg: str, args: dict[str, Any], base: str, ctx: ToolContext) -> list[str] | None:
    """Search with ripgrep; return up to cap+1 result lines, or None to fall back to Python."""
    # Check the start path through the guard first (symlinks refused, must exist).
    if base != ".":
        await asyncio.to_thread(lambda: next(_candidates(ctx, base), None))
    cmd = [rg, "--no-config", "--line-number", "--with-filename", "--no-heading", "--null", "--color", "never",
           "--no-ignore", "--hidden", "--no-follow", "--glob", "!.git", "--sort", "path",
           "--max-filesize", str(ctx.limits.grep_max_file_bytes)]
    if args.get("ignore_case"):
        cmd.append("--ignore-case")
    if args.get("glob"):
        cmd += ["--glob", args["glob"]]
    cmd += ["--regexp", args["pattern"], "--"]
    if base != ".":
        cmd.append(base)
    proc = await asyncio.create_subprocess_exec(
        *cmd, cwd=ctx.workspace, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        stdin=asyncio.subprocess.DEVNULL,
    )
    want = ctx.limits.grep_max_results + 1
    hits: list[str] = []
    try:
        assert proc.stdout is not None and proc.stderr is not None
        while len(hits) < want:
            raw = await proc.stdout.readline()
            if not raw:
                break
            name, _, rest = raw.rstrip(b"\n").partition(b"\0")
            line_no, _, text = rest.partition(b":")
            rel = name.decode("utf-8", errors="replace").removeprefix("./")
            shown = text.decode("utf-8", errors="replace").rstrip("\r")
            if len(shown) > ctx.limits.grep_max_line_chars:
                shown = shown[: ctx.limits.grep_max_line_chars] + "..."
            hits.append(f"{rel}:{line_no.decode()}: {shown}")
        if len(hits) >= want:
            proc.kill()
            await proc.wait()
            return hits
        err = await proc.stderr.read()
        code = await proc.wait()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    if code == 2 and not hits and b"regex" in err.lower():
        return None  # a pattern only Python's re accepts (look-around, back-references)
    return hits


def _format(pattern: str, base: str, hits: list[str], ctx: ToolContext, engine: str) -> ToolResult:
    """Build the grep result: header with counts and engine, lines, truncation note."""
    cap = ctx.limits.grep_max_results
    truncated = len(hits) > cap
    shown = hits[:cap]
    nfiles = len({h.split(":", 1)[0] for h in shown})
    count = f"first {cap} matches (truncated)" if truncated else f"{len(shown)} matches in {nfiles} files"
    lines = [f"[grep {pattern!r} in {base}: {count} ({engine})]", *shown]
    if truncated:
        lines.append(f"... more matches not shown (cap {cap}); narrow the pattern, path or glob")
    summary = f"grep {pattern!r}: {'>' + str(cap) if truncated else len(shown)} matches ({engine})"
    return ToolResult(content="\n".join(lines) + "\n", summary=summary)
