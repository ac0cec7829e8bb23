"""Mutating file tools: ``write_file``, ``delete_file`` and ``move_file`` (the search/replace
tools ``edit_file`` and ``multi_edit`` are in :mod:`.edit_tools` and write through :func:`_write`).

Each has ``preview`` (the :class:`~workbench.core.tools.base.Proposal` shown in the approval
modal, computed without changing anything) and ``run``. ``write_file`` and the edit tools accept
``override=`` with the full new content the user edited in the modal. All writes go through
:func:`workbench.core.tools.pathguard.atomic_write`.
"""

from __future__ import annotations

import asyncio
import os
import stat
from typing import Any

from workbench.core.tools import pathguard, textcodec
from workbench.core.tools.base import Proposal, Tool, ToolContext, ToolError, ToolResult, ToolSpec, unified_diff

_PATH = {"type": "string", "minLength": 1, "description": "Path relative to the workspace root."}


def _read_text(path: pathguard.GuardedPath) -> str | None:
    """Return the current text of ``path`` (decoded per :mod:`.textcodec`), or None when missing."""
    got = _read_coded(path)
    return None if got is None else got[0]


def _read_coded(path: pathguard.GuardedPath) -> tuple[str, str] | None:
    """Return ``(text, codec)`` of ``path`` per :mod:`.textcodec`, or None when it does not exist.

    Raises:
        ToolError: it is binary (NUL byte), a directory, a special file or a symlink.
    """
    if path.lstat() is None:
        return None
    data = pathguard.read_bytes(path)
    if b"\0" in data[:8192]:
        raise ToolError(f"{path.rel!r} looks binary (NUL byte); the file tools edit text only")
    return textcodec.decode(data)


def _encode(ctx: ToolContext, rel: str, text: str, codec: str = textcodec.UTF8) -> bytes:
    """Encode new content in ``codec``, enforcing ``write_max_bytes``."""
    data = textcodec.encode(text, codec, rel)
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
        got = _read_coded(path)
        old_text, codec = got if got is not None else (None, textcodec.UTF8)
        if expect_old is not ...:
            expect_old(old_text)
        try:
            data = _encode(ctx, path.rel, new_text, codec)
        except ToolError:
            if expect_old is not ...:
                raise  # an edit keeps the file's encoding
            data = _encode(ctx, path.rel, new_text)  # write_file of text the old encoding cannot hold: UTF-8
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
