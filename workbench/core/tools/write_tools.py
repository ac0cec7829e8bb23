"""Mutating file tools: ``write_file``, ``edit_file``, ``delete_file`` and ``move_file``.

Each has ``preview`` (the :class:`~workbench.core.tools.base.Proposal` shown in the approval
modal, computed without changing anything) and ``run``. ``write_file`` and ``edit_file`` accept
``override=`` with the full new content the user edited in the modal. All writes go through
:func:`workbench.core.tools.pathguard.atomic_write`.
"""

from __future__ import annotations

import asyncio
import os
import stat
from typing import Any

from workbench.core.tools import pathguard
from workbench.core.tools.base import Proposal, Tool, ToolContext, ToolError, ToolResult, ToolSpec, unified_diff

_PATH = {"type": "string", "minLength": 1, "description": "Path relative to the workspace root."}


def _read_text(path: pathguard.GuardedPath) -> str | None:
    """Return the current UTF-8 text of ``path``, or None when it does not exist.

    Raises:
        ToolError: It exists but is not UTF-8 text (or is a directory/special file/symlink).
    """
    if path.lstat() is None:
        return None
    data = pathguard.read_bytes(path)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ToolError(f"{path.rel!r} is not UTF-8 text (byte {exc.start}); the file tools edit text only") from None


def _encode(ctx: ToolContext, rel: str, text: str) -> bytes:
    """Encode new content as UTF-8, enforcing ``write_max_bytes``."""
    data = text.encode("utf-8")
    if len(data) > ctx.limits.write_max_bytes:
        raise ToolError(f"content for {rel!r} is {len(data)} bytes, over the {ctx.limits.write_max_bytes} byte cap")
    return data


def _stats(diff: str) -> str:
    """Return ``+added -removed`` line counts of a unified diff."""
    added = sum(1 for ln in diff.splitlines() if ln.startswith("+") and not ln.startswith("+++"))
    removed = sum(1 for ln in diff.splitlines() if ln.startswith("-") and not ln.startswith("---"))
    return f"+{added} -{removed}"


def _write(ctx: ToolContext, rel: str, new_text: str, expect_old: Any = ...) -> ToolResult:
    """Write ``new_text`` to ``rel`` through the guard and describe the change.

    Args:
        ctx: Tool context.
        rel: Tool path.
        new_text: Full new content.
        expect_old: When given, a callable checking the current text (raises ToolError).
    """
    with pathguard.resolve_workspace_path(ctx.workspace, rel, create_parents=True) as path:
        pathguard.check_overwritable(path)
        old_text = _read_text(path)
        if expect_old is not ...:
            expect_old(old_text)
        data = _encode(ctx, path.rel, new_text)
        created = pathguard.atomic_write(path, data)
        diff = unified_diff(path.rel, old_text, new_text)
        verb = "created" if created else "wrote"
        lines = new_text.count("\n") + (0 if new_text.endswith("\n") or not new_text else 1)
        summary = f"{verb} {path.rel} ({lines} lines, {_stats(diff)})"
        return ToolResult(content=summary, summary=summary, diff=diff, changed_paths=[path.rel])


class WriteFileTool(Tool):
    """``write_file``: create or overwrite a file with the given content (parents created)."""

    spec = ToolSpec(
        name="write_file",
        description="Create or overwrite a text file with the full given content; missing folders are created.",
        parameters={
            "type": "object",
            "properties": {"path": _PATH, "content": {"type": "string"}},
            "required": ["path", "content"],
            "additionalProperties": False,
        },
        mutates=True,
        kind="write",
    )

    async def preview(self, args: dict[str, Any], ctx: ToolContext) -> Proposal:
        """Diff of the current file (or nothing) against ``content``; editable."""
        return await asyncio.to_thread(self._preview, args, ctx)

    def _preview(self, args: dict[str, Any], ctx: ToolContext) -> Proposal:
        rel = pathguard.normalize_relative(args["path"])
        try:
            path = pathguard.resolve_workspace_path(ctx.workspace, rel)
        except ToolError as exc:
            if isinstance(exc, pathguard.PathRefused):
                raise
            old = None  # parent folder missing: it will be created
        else:
            with path:
                pathguard.check_overwritable(path)
                old = _read_text(path)
        return Proposal(rel, old, args["content"], unified_diff(rel, old, args["content"]), editable=True)

    async def run(self, args: dict[str, Any], ctx: ToolContext, *, override: str | None = None) -> ToolResult:
        """Write ``content`` (or ``override``) atomically."""
        text = args["content"] if override is None else override
        return await asyncio.to_thread(_write, ctx, args["path"], text)


def _locate(text: str, old: str, rel: str) -> int:
    """Return the offset of the single match of ``old`` in ``text``.

    Raises:
        ToolError: 0 matches or more than one (overlapping matches count), with the lines.
    """
    if not old:
        raise ToolError("old_text is empty; give the exact text to replace (use write_file to create a file)")
    positions: list[int] = []
    at = text.find(old)
    while at >= 0 and len(positions) < 50:
        positions.append(at)
        at = text.find(old, at + 1)
    if not positions:
        hint = ""
        if "\r\n" in text and "\n" in old and "\r\n" not in old:
            hint = " The file uses CRLF line endings; include the '\\r' characters."
        elif " ".join(old.split()) and " ".join(old.split()) in " ".join(text.split()):
            hint = " A match exists if whitespace is ignored: check indentation, tabs and spaces."
        raise ToolError(
            f"old_text was not found in {rel!r} (0 matches). It must match the file exactly, including "
            f"whitespace and indentation; read the file again with read_file.{hint}"
        )
    if len(positions) > 1:
        lines = ", ".join(str(text.count("\n", 0, p) + 1) for p in positions[:10])
        raise ToolError(
            f"old_text matches {len(positions)} times in {rel!r} (starting at lines {lines}); it must match "
            "exactly once: include more surrounding lines to make it unique"
        )
    return positions[0]


class EditFileTool(Tool):
    """``edit_file``: replace one exact occurrence of ``old_text`` with ``new_text``."""

    spec = ToolSpec(
        name="edit_file",
        description=(
            "Replace text in a file: old_text must match the current file exactly (whitespace included) "
            "and exactly once; it is replaced by new_text. Include enough surrounding lines to be unique."
        ),
        parameters={
            "type": "object",
            "properties": {"path": _PATH, "old_text": {"type": "string"}, "new_text": {"type": "string"}},
            "required": ["path", "old_text", "new_text"],
            "additionalProperties": False,
        },
        mutates=True,
        kind="write",
    )

    def _compute(self, args: dict[str, Any], ctx: ToolContext) -> tuple[str, str, str]:
        with pathguard.resolve_workspace_path(ctx.workspace, args["path"]) as path:
            pathguard.check_overwritable(path)
            old = _read_text(path)
            if old is None:
                raise ToolError(f"{path.rel!r} does not exist; use write_file to create it")
            rel = path.rel
        if args["old_text"] == args["new_text"]:
            raise ToolError("old_text and new_text are identical; nothing would change")
        at = _locate(old, args["old_text"], rel)
        return rel, old, old[:at] + args["new_text"] + old[at + len(args["old_text"]) :]

    async def preview(self, args: dict[str, Any], ctx: ToolContext) -> Proposal:
        """Diff of the single replacement; editable (the whole new file text)."""
        rel, old, new = await asyncio.to_thread(self._compute, args, ctx)
        return Proposal(rel, old, new, unified_diff(rel, old, new), editable=True)

    async def run(self, args: dict[str, Any], ctx: ToolContext, *, override: str | None = None) -> ToolResult:
        """Apply the replacement, or write ``override`` after checking old_text still matches once."""

        def apply() -> ToolResult:
            rel, _old, new = self._compute(args, ctx)

            def still_same(current: str | None) -> None:
                if current is None:
                    raise ToolError(f"{rel!r} was deleted since the edit was computed")
                _locate(current, args["old_text"], rel)
                if override is None and current != _old:
                    raise ToolError(f"{rel!r} changed while the edit was applied; read it again")

            return _write(ctx, args["path"], new if override is None else override, still_same)

        return await asyncio.to_thread(apply)


class DeleteFileTool(Tool):
    """``delete_file``: remove one regular file (not a directory, not a symlink)."""

    spec = ToolSpec(
        name="delete_file",
        description="Delete one file of the workspace (folders are not deleted).",
        parameters={
            "type": "object",
            "properties": {"path": _PATH},
            "required": ["path"],
            "additionalProperties": False,
        },
        mutates=True,
        kind="write",
    )

    def _check(self, path: pathguard.GuardedPath) -> str | None:
        st = path.lstat()
        if st is None:
            raise ToolError(f"{path.rel!r} does not exist")
        if stat.S_ISLNK(st.st_mode):
            raise pathguard.PathRefused(f"{path.rel!r} is a symbolic link; the file tools never touch symlinks")
        if stat.S_ISDIR(st.st_mode):
            raise ToolError(f"{path.rel!r} is a directory; delete_file removes files only")
        try:
            return _read_text(path)
        except ToolError:
            return None  # binary: no text diff

    async def preview(self, args: dict[str, Any], ctx: ToolContext) -> Proposal:
        """The file's text as a removal diff; not editable."""

        def go() -> Proposal:
            with pathguard.resolve_workspace_path(ctx.workspace, args["path"]) as path:
                old = self._check(path)
                diff = unified_diff(path.rel, old, None) if old is not None else f"Binary file {path.rel} deleted\n"
                return Proposal(path.rel, old, None, diff)

        return await asyncio.to_thread(go)

    async def run(self, args: dict[str, Any], ctx: ToolContext, *, override: str | None = None) -> ToolResult:
        """Unlink the file by ``dir_fd``."""
        if override is not None:
            raise ToolError("delete_file cannot take edited content")

        def go() -> ToolResult:
            with pathguard.resolve_workspace_path(ctx.workspace, args["path"]) as path:
                old = self._check(path)
                with pathguard.os_errors("delete", path.rel):
                    os.unlink(path.name, dir_fd=path.parent_fd)
                    os.fsync(path.parent_fd)
                diff = unified_diff(path.rel, old, None) if old is not None else None
                return ToolResult(f"deleted {path.rel}", f"deleted {path.rel}", diff, [path.rel])

        return await asyncio.to_thread(go)


class MoveFileTool(Tool):
    """``move_file``: rename a file or folder inside the workspace; the destination must not exist."""

    spec = ToolSpec(
        name="move_file",
        description="Move or rename a file or folder. The destination must not exist; missing folders are created.",
        parameters={
            "type": "object",
            "properties": {"src": _PATH, "dst": _PATH},
            "required": ["src", "dst"],
            "additionalProperties": False,
        },
        mutates=True,
        kind="write",
    )

    def _check(self, ctx: ToolContext, args: dict[str, Any]) -> tuple[str, str]:
        src = pathguard.normalize_relative(args["src"])
        dst = pathguard.normalize_relative(args["dst"])
        if src == "." or dst == ".":
            raise pathguard.PathRefused("move_file cannot move the workspace root or onto it")
        if dst == src or dst.startswith(src + "/"):
            raise ToolError(f"cannot move {src!r} to {dst!r}: the destination is the source or inside it")
        return src, dst

    async def preview(self, args: dict[str, Any], ctx: ToolContext) -> Proposal:
        """A git-style rename note; not editable."""

        def go() -> Proposal:
            src, dst = self._check(ctx, args)
            with pathguard.resolve_workspace_path(ctx.workspace, src) as path:
                self._src_ok(path)
            return Proposal(f"{src} -> {dst}", None, None, f"rename from {src}\nrename to {dst}\n")

        return await asyncio.to_thread(go)

    @staticmethod
    def _src_ok(path: pathguard.GuardedPath) -> None:
        st = path.lstat()
        if st is None:
            raise ToolError(f"{path.rel!r} does not exist")
        if stat.S_ISLNK(st.st_mode):
            raise pathguard.PathRefused(f"{path.rel!r} is a symbolic link; the file tools never touch symlinks")

    async def run(self, args: dict[str, Any], ctx: ToolContext, *, override: str | None = None) -> ToolResult:
        """Rename by directory fds (``os.rename`` with ``src_dir_fd``/``dst_dir_fd``)."""
        if override is not None:
            raise ToolError("move_file cannot take edited content")

        def go() -> ToolResult:
            src, dst = self._check(ctx, args)
            with pathguard.resolve_workspace_path(ctx.workspace, src) as s:
                self._src_ok(s)
                with pathguard.resolve_workspace_path(ctx.workspace, dst, create_parents=True) as d:
                    if d.lstat() is not None:
                        raise ToolError(f"{dst!r} already exists; delete it first or choose another name")
                    with pathguard.os_errors("move", f"{src} -> {dst}"):
                        os.rename(s.name, d.name, src_dir_fd=s.parent_fd, dst_dir_fd=d.parent_fd)
                        os.fsync(d.parent_fd)
                        os.fsync(s.parent_fd)
            text = f"moved {src} -> {dst}"
            return ToolResult(text, text, f"rename from {src}\nrename to {dst}\n", [src, dst])

        return await asyncio.to_thread(go)
