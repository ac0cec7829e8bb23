"""The ``grep`` tool: regex search with ``file:line: text`` results and a result cap.

Two engines give the same output format:

* ``rg`` (ripgrep, https://github.com/BurntSushi/ripgrep) when it is on ``PATH``: run as
  ``rg --no-ignore --hidden --no-follow --glob '!.git'`` in the workspace; past the cap its
  output is only counted (for the "N more" note), and it is killed after 10,000 more. Its regex dialect (Rust ``regex``) has no look-around or back-references; a pattern rg
  rejects is retried with the Python engine.
* Python: :func:`os.fwalk` from a guarded directory fd (symlinks never followed, ``.git`` pruned),
  each file read whole and searched with one compiled ``bytes`` regex (``re.MULTILINE``); line
  numbers are computed only for files that match. Binary files (NUL in the first 8 KiB) are skipped.

The result header names the engine, e.g. ``[grep 'foo' in .: 3 matches in 2 files (ripgrep)]``.
Context lines (``context``/``before``/``after``, like ``grep -C/-B/-A``) are shown as
``path-line- text`` with ``--`` between groups; ``files_only`` (``grep -l``) lists paths only. The
cap (``max_results``, at most ``grep_max_results``) counts matches, or files in ``files_only``.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import stat
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any, Literal

from workbench.core.tools import pathguard
from workbench.core.tools.base import Tool, ToolContext, ToolError, ToolResult, ToolSpec
from workbench.core.tools.globmatch import name_or_path_match
from workbench.core.tools.read_tools import walk_files

Engine = Literal["auto", "python", "rg"]
COUNT_MORE_LIMIT = 10_000
"""Past the cap, matches (or files) are only counted, up to this many, for the "N more" note."""
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
            "paths). Binary files and .git are skipped. context/before/after add surrounding lines "
            "('path-line- text', groups separated by '--'); files_only lists matching paths only."
        ),
        parameters={
            "type": "object",
            "properties": {
                "pattern": {"type": "string", "minLength": 1, "description": "Regular expression."},
                "path": {"type": "string", "minLength": 1, "default": ".", "description": "File or folder."},
                "glob": {"type": "string", "minLength": 1, "description": "File filter, e.g. '*.py'."},
                "ignore_case": {"type": "boolean", "default": False},
                "context": {
                    "type": "integer",
                    "minimum": 0,
                    "maximum": 20,
                    "description": "Lines of context before and after each match (like grep -C).",
                },
                "before": {"type": "integer", "minimum": 0, "maximum": 20, "description": "Lines before each match (-B)."},
                "after": {"type": "integer", "minimum": 0, "maximum": 20, "description": "Lines after each match (-A)."},
                "files_only": {
                    "type": "boolean",
                    "default": False,
                    "description": "List only the paths of matching files (like grep -l).",
                },
                "max_results": {
                    "type": "integer",
                    "minimum": 1,
                    "description": "Most matches (or files) to return; capped by the tool's limit.",
                },
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
        opts = _Opts.of(args, ctx)
        rg = shutil.which("rg") if self.engine in ("auto", "rg") else None
        if self.engine == "rg" and rg is None:
            raise ToolError("the rg engine was requested but ripgrep (rg) is not on PATH")
        if rg is not None:
            found = await _search_rg(rg, args, base, ctx, opts)
            if found is not None:
                return _format(pattern, base, found, opts, "ripgrep")
        found = await asyncio.to_thread(_search_python, regex, base, args.get("glob"), ctx, opts)
        return _format(pattern, base, found, opts, "python")


@dataclass(frozen=True)
class _Opts:
    """Output options of one search: lines before/after, files-only, cap (matches or files)."""

    before: int
    after: int
    files_only: bool
    cap: int
    line_chars: int

    @classmethod
    def of(cls, args: dict[str, Any], ctx: ToolContext) -> _Opts:
        ctxl = args.get("context", 0)
        cap = min(args.get("max_results", ctx.limits.grep_max_results), ctx.limits.grep_max_results)
        return cls(
            args.get("before", ctxl), args.get("after", ctxl), bool(args.get("files_only")), cap, ctx.limits.grep_max_line_chars
        )


@dataclass
class _Found:
    """Result lines and the number of matches (or files) they hold; ``more`` when the cap cut them."""

    lines: list[str] = field(default_factory=list)
    count: int = 0
    files: set[str] = field(default_factory=set)
    more: bool = False
    extra: int = 0
    """Matches (or files) past the cap, counted up to :data:`COUNT_MORE_LIMIT`."""

    @property
    def counted_all(self) -> bool:
        """False when counting past the cap stopped at :data:`COUNT_MORE_LIMIT`."""
        return self.extra < COUNT_MORE_LIMIT


def _clip(text: str, max_chars: int) -> str:
    return text if len(text) <= max_chars else text[:max_chars] + "..."


def _line_of(data: bytes, start: int, max_chars: int) -> str:
    """Return the line containing byte offset ``start``, decoded and cut to ``max_chars``."""
    begin = data.rfind(b"\n", 0, start) + 1
    stop = data.find(b"\n", start)
    text = data[begin : len(data) if stop < 0 else stop].decode("utf-8", errors="replace").rstrip("\r")
    return _clip(text, max_chars)


def _file_hits(regex: re.Pattern[bytes], data: bytes, rel: str, opts: _Opts, found: _Found) -> None:
    """Add one file's matching lines (with context) to ``found``, up to the cap."""
    match = regex.search(data)
    if match is None:
        return
    found.files.add(rel)
    if opts.files_only:
        if found.count >= opts.cap:
            found.more = True
            found.extra += 1
            return
        found.lines.append(rel)
        found.count += 1
        return
    matched: list[int] = []
    line, pos, last = 1, 0, 0
    for m in regex.finditer(data, match.start()):
        line += data.count(b"\n", pos, m.start())
        pos = m.start()
        if last == line:
            continue
        last = line
        if found.count + len(matched) >= opts.cap:
            found.more = True
            found.extra += 1
            if not found.counted_all:
                break
            continue
        matched.append(line)
    if not opts.before and not opts.after:
        starts = _line_starts(data) if len(matched) > 1 else None
        for n in matched:
            at = starts[n - 1] if starts else _offset_of_line(data, n)
            found.lines.append(f"{rel}:{n}: {_line_of(data, at, opts.line_chars)}")
        found.count += len(matched)
        return
    rows = data.split(b"\n")
    if data.endswith(b"\n"):
        rows.pop()
    hit = set(matched)
    last = -1
    for n in matched:
        lo, hi = max(1, n - opts.before), min(len(rows), n + opts.after)
        if last >= 0 and lo > last + 1:
            found.lines.append("--")
        for k in range(max(lo, last + 1), hi + 1):
            text = _clip(rows[k - 1].decode("utf-8", errors="replace").rstrip("\r"), opts.line_chars)
            found.lines.append(f"{rel}:{k}: {text}" if k in hit else f"{rel}-{k}- {text}")
        last = hi
    found.count += len(matched)


def _line_starts(data: bytes) -> list[int]:
    """Byte offset of the start of every line."""
    return [0, *(m.end() for m in re.finditer(rb"\n", data))]


def _offset_of_line(data: bytes, n: int) -> int:
    at = 0
    for _ in range(n - 1):
        at = data.index(b"\n", at) + 1
    return at


def _search_python(regex: re.Pattern[bytes], base: str, glob: str | None, ctx: ToolContext, opts: _Opts) -> _Found:
    """Search with the Python engine."""
    limits = ctx.limits
    found = _Found()
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
        if found.count >= opts.cap:
            found.extra += _count_past_cap(regex, data, opts.files_only)
            found.more = found.more or found.extra > 0
        else:
            if found.lines and (opts.before or opts.after) and not opts.files_only and regex.search(data):
                found.lines.append("--")
            _file_hits(regex, data, rel, opts, found)
        if not found.counted_all:
            candidates.close()
            return found
    return found


def _count_past_cap(regex: re.Pattern[bytes], data: bytes, files_only: bool) -> int:
    """Matching lines of ``data`` (1 or 0 per file with ``files_only``), for the "N more" note."""
    if files_only:
        return int(regex.search(data) is not None)
    n, last = 0, -2
    for m in regex.finditer(data):
        start = data.rfind(b"\n", 0, m.start())
        if start != last:
            n, last = n + 1, start
            if n >= COUNT_MORE_LIMIT:
                break
    return n


def _read_all(fd: int) -> bytes:
    """Read an open file to the end."""
    chunks = []
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
    return b"".join(chunks)


def _candidates(ctx: ToolContext, base: str) -> Generator[tuple[str, str, int], None, None]:
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


async def _search_rg(rg: str, args: dict[str, Any], base: str, ctx: ToolContext, opts: _Opts) -> _Found | None:
    """Search with ripgrep; return what was found, or None to fall back to Python."""
    # Check the start path through the guard first (symlinks refused, must exist).
    if base != ".":
        await asyncio.to_thread(lambda: next(_candidates(ctx, base), None))
    cmd = [
        rg,
        "--no-config",
        "--line-number",
        "--with-filename",
        "--no-heading",
        "--null",
        "--color",
        "never",
        "--no-ignore",
        "--hidden",
        "--no-follow",
        "--glob",
        "!.git",
        "--sort",
        "path",
        "--max-filesize",
        str(ctx.limits.grep_max_file_bytes),
    ]
    if args.get("ignore_case"):
        cmd.append("--ignore-case")
    if args.get("glob"):
        cmd += ["--glob", args["glob"]]
    if opts.files_only:
        cmd.append("--files-with-matches")
    else:
        cmd += ["--before-context", str(opts.before), "--after-context", str(opts.after)]
    cmd += ["--regexp", args["pattern"], "--"]
    if base != ".":
        cmd.append(base)
    proc = await asyncio.create_subprocess_exec(
        *cmd,
        cwd=ctx.workspace,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        stdin=asyncio.subprocess.DEVNULL,
    )
    found = _Found()
    try:
        assert proc.stdout is not None and proc.stderr is not None
        if opts.files_only:
            data = await proc.stdout.read()
            for name in filter(None, data.split(b"\0")):
                if found.count >= opts.cap:
                    found.more = True
                    found.extra += 1
                    continue
                rel = name.decode("utf-8", errors="replace").removeprefix("./")
                found.lines.append(rel)
                found.files.add(rel)
                found.count += 1
        while not opts.files_only:
            raw = await proc.stdout.readline()
            if not raw:
                break
            raw = raw.rstrip(b"\n")
            if raw == b"--":
                if not found.more:
                    found.lines.append("--")
                continue
            name, _, rest = raw.partition(b"\0")
            digits = len(rest) - len(rest.lstrip(b"0123456789"))
            line_no, sep, text = rest[:digits], rest[digits : digits + 1], rest[digits + 1 :]
            rel = name.decode("utf-8", errors="replace").removeprefix("./")
            shown = _clip(text.decode("utf-8", errors="replace").rstrip("\r"), opts.line_chars)
            if found.more and sep != b":":
                continue  # context of matches past the cap
            if sep == b":":
                if found.count >= opts.cap:
                    found.more = True
                    found.extra += 1
                    if not found.counted_all:
                        break
                    continue
                found.count += 1
                found.files.add(rel)
                found.lines.append(f"{rel}:{line_no.decode()}: {shown}")
            else:
                found.lines.append(f"{rel}-{line_no.decode()}- {shown}")
        if found.more and not found.counted_all:
            _kill(proc)
            await proc.wait()
            while found.lines and found.lines[-1] == "--":
                found.lines.pop()
            return found
        err = await proc.stderr.read()
        code = await proc.wait()
    finally:
        if proc.returncode is None:
            _kill(proc)
            await proc.wait()
    if code == 2 and not found.lines and b"regex" in err.lower():
        return None  # a pattern only Python's re accepts (look-around, back-references)
    while found.more and found.lines and found.lines[-1] == "--":
        found.lines.pop()
    return found


def _format(pattern: str, base: str, found: _Found, opts: _Opts, engine: str) -> ToolResult:
    """Build the grep result: header with counts and engine, lines, truncation note."""
    unit = "files" if opts.files_only else "matches"
    extra = f"{found.extra}{'' if found.counted_all else '+'}"
    if found.more:
        count = f"first {found.count} of {found.count + found.extra}{'' if found.counted_all else '+'} {'files with matches' if opts.files_only else 'matches'} (truncated)"
    elif opts.files_only:
        count = f"{found.count} files with matches"
    else:
        count = f"{found.count} matches in {len(found.files)} files"
    lines = [f"[grep {pattern!r} in {base}: {count} ({engine})]", *found.lines]
    if found.more:
        lines.append(f"... {extra} more {unit} not shown (cap {opts.cap}); narrow the pattern, path or glob")
    summary = f"grep {pattern!r}: {'>' + str(opts.cap) if found.more else found.count} {unit} ({engine})"
    return ToolResult(content="\n".join(lines) + "\n", summary=summary)


def _kill(proc: asyncio.subprocess.Process) -> None:
    """Kill ripgrep; it may already have exited (its whole output was read), which is fine."""
    try:
        proc.kill()
    except ProcessLookupError:
        pass
