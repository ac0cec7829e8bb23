"""Search/replace file tools: ``edit_file`` (one replacement, or every match with ``replace_all``)
and ``multi_edit`` (ordered replacements in one file, all or nothing).

Matching follows the file, not the model's habits (:mod:`.textcodec`): ``old_text`` written with
``\\n`` matches a CRLF file (and ``\\r\\n`` text matches an LF file), and ``new_text`` is written with
the file's own line ending, so an edit never mixes line endings. The file keeps its encoding
(UTF-8, with its BOM if it had one, or Latin-1), mode and owner (:func:`pathguard.atomic_write`).

Why ``multi_edit`` + ``replace_all`` and not Codex's ``apply_patch``: the model already uses
exact search/replace with ``edit_file``; ``multi_edit`` is the same contract repeated (Claude
Code's MultiEdit), so nothing new has to be learnt or parsed, and each failure names the edit.
"""

from __future__ import annotations

import asyncio
from typing import Any

from workbench.core.tools import pathguard, textcodec
from workbench.core.tools.base import Proposal, Tool, ToolContext, ToolError, ToolResult, ToolSpec, unified_diff
from workbench.core.tools.write_tools import _PATH, _read_text, _write

_EDIT_PROPS = {
    "old_text": {"type": "string", "description": "Exact text to find (whitespace included)."},
    "new_text": {"type": "string", "description": "Replacement text."},
    "replace_all": {
        "type": "boolean",
        "default": False,
        "description": "Replace every occurrence instead of requiring exactly one (e.g. to rename).",
    },
}


def _find_all(text: str, old: str) -> list[int]:
    """Offsets of ``old`` in ``text`` (overlapping matches count), at most 51."""
    positions: list[int] = []
    at = text.find(old)
    while at >= 0 and len(positions) <= 50:
        positions.append(at)
        at = text.find(old, at + 1)
    return positions


def apply_edit(text: str, old: str, new: str, rel: str, *, replace_all: bool = False) -> str:
    """Apply one replacement to ``text`` (see the module docstring for line endings).

    Args:
        text: the file's current text.
        old: text to find; must match exactly once unless ``replace_all``.
        new: replacement, written with the file's line ending.
        rel: the path, for messages.
        replace_all: replace every (non-overlapping) occurrence; at least one is needed.

    Returns:
        The new text.

    Raises:
        ToolError: empty or unchanged ``old``, no match, or several matches without ``replace_all``.
    """
    if not old:
        raise ToolError("old_text is empty; give the exact text to replace (use write_file to create a file)")
    if old == new:
        raise ToolError("old_text and new_text are identical; nothing would change")
    newline = textcodec.newline_of(text)
    positions = _find_all(text, old)
    if not positions:
        alt = textcodec.to_file_newlines(old, newline)
        if alt != old:
            old, positions = alt, _find_all(text, alt)
    if not positions:
        hint = ""
        if " ".join(old.split()) and " ".join(old.split()) in " ".join(text.split()):
            hint = " A match exists if whitespace is ignored: check indentation, tabs and spaces."
        raise ToolError(
            f"old_text was not found in {rel!r} (0 matches). It must match the file exactly, including "
            f"whitespace and indentation; read the file again with read_file.{hint}"
        )
    new = textcodec.to_file_newlines(new, newline) if ("\n" in new) else new
    if replace_all:
        return text.replace(old, new)
    if len(positions) > 1:
        lines = ", ".join(str(text.count("\n", 0, p) + 1) for p in positions[:10])
        raise ToolError(
            f"old_text matches {len(positions)} times in {rel!r} (starting at lines {lines}); it must match "
            "exactly once: include more surrounding lines to make it unique, or set replace_all"
        )
    at = positions[0]
    return text[:at] + new + text[at + len(old) :]


class _EditBase(Tool):
    """Shared preview/run of the search/replace tools: subclasses turn args into edits."""

    def _edits(self, args: dict[str, Any]) -> list[dict[str, Any]]:
        raise NotImplementedError

    def _apply(self, text: str, args: dict[str, Any], rel: str) -> str:
        edits = self._edits(args)
        for i, edit in enumerate(edits, 1):
            try:
                text = apply_edit(text, edit["old_text"], edit["new_text"], rel, replace_all=edit.get("replace_all", False))
            except ToolError as exc:
                if len(edits) == 1:
                    raise
                raise ToolError(f"edit {i} of {len(edits)} failed, so none were applied: {exc}") from None
        return text

    def _compute(self, args: dict[str, Any], ctx: ToolContext) -> tuple[str, str, str]:
        with pathguard.resolve_workspace_path(ctx.workspace, args["path"]) as path:
            pathguard.check_overwritable(path)
            old = _read_text(path)
            if old is None:
                raise ToolError(f"{path.rel!r} does not exist; use write_file to create it")
            rel = path.rel
        return rel, old, self._apply(old, args, rel)

    async def preview(self, args: dict[str, Any], ctx: ToolContext) -> Proposal:
        """Diff of the replacement(s); editable (the whole new file text)."""
        rel, old, new = await asyncio.to_thread(self._compute, args, ctx)
        return Proposal(rel, old, new, unified_diff(rel, old, new), editable=True)

    async def run(self, args: dict[str, Any], ctx: ToolContext, *, override: str | None = None) -> ToolResult:
        """Apply the replacement(s) atomically, or write ``override`` if the edits still apply."""

        def apply() -> ToolResult:
            rel, before, new = self._compute(args, ctx)

            def still_same(current: str | None) -> None:
                if current is None:
                    raise ToolError(f"{rel!r} was deleted since the edit was computed")
                self._apply(current, args, rel)
                if override is None and current != before:
                    raise ToolError(f"{rel!r} changed while the edit was applied; read it again")

            return _write(ctx, args["path"], new if override is None else override, still_same)

        return await asyncio.to_thread(apply)


class EditFileTool(_EditBase):
    """``edit_file``: replace one exact occurrence of ``old_text`` (or all, with ``replace_all``)."""

    spec = ToolSpec(
        name="edit_file",
        description=(
            "Replace text in a file: old_text must match the current file exactly (whitespace included) "
            "and exactly once; it is replaced by new_text. Include enough surrounding lines to be unique, "
            "or set replace_all to replace every occurrence. Line endings follow the file (\\n matches CRLF)."
        ),
        parameters={
            "type": "object",
            "properties": {"path": _PATH, **_EDIT_PROPS},
            "required": ["path", "old_text", "new_text"],
            "additionalProperties": False,
        },
        mutates=True,
        kind="write",
    )

    def _edits(self, args: dict[str, Any]) -> list[dict[str, Any]]:
        return [args]


class MultiEditTool(_EditBase):
    """``multi_edit``: several replacements in one file, applied in order, all or nothing."""

    spec = ToolSpec(
        name="multi_edit",
        description=(
            "Make several edits to one file in one call. Each edit is like edit_file (old_text must match "
            "exactly once unless replace_all) and applies to the result of the previous ones, in order. "
            "If any edit fails, none is applied and the file is unchanged."
        ),
        parameters={
            "type": "object",
            "properties": {
                "path": _PATH,
                "edits": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": 100,
                    "items": {
                        "type": "object",
                        "properties": _EDIT_PROPS,
                        "required": ["old_text", "new_text"],
                        "additionalProperties": False,
                    },
                },
            },
            "required": ["path", "edits"],
            "additionalProperties": False,
        },
        mutates=True,
        kind="write",
    )

    def _edits(self, args: dict[str, Any]) -> list[dict[str, Any]]:
        return list(args["edits"])
