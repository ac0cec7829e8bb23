"""Shared types of the built-in tools: specs, results, context, limits and argument validation.

A tool is described to the model by a :class:`ToolSpec` (the OpenAI function-calling ``tools``
entry, see https://platform.openai.com/docs/guides/function-calling), validated with JSON Schema
(https://json-schema.org/draft/2020-12) and run with a :class:`ToolContext`. Anything that should
go back to the model as an error result is raised as a :class:`ToolError`.
"""

from __future__ import annotations

import abc
import difflib
import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import jsonschema


ToolKind = Literal["read", "write", "command"]


class ToolError(Exception):
    """A tool failed in a way the model can act on; ``str(error)`` is sent back as the result."""


class ToolArgumentsError(ToolError):
    """The arguments of a tool call are not valid JSON or do not match the tool's schema."""


@dataclass(frozen=True)
class ToolSpec:
    """What the model sees of a tool, plus what the permission layer needs.

    Attributes:
        name: Function name, e.g. ``"read_file"`` (``^[a-zA-Z0-9_-]{1,64}$`` per the OpenAI API).
        description: One paragraph for the model.
        parameters: JSON Schema (draft 2020-12) of the arguments object.
        mutates: True when the tool changes files or state (it then has a ``preview``).
        kind: ``"read"``, ``"write"`` or ``"command"``; drives the permission mode defaults.
    """

    name: str
    description: str
    parameters: dict[str, Any]
    mutates: bool
    kind: ToolKind

    def __post_init__(self) -> None:
        import jsonschema  # imported on first use: ~150 ms that the config and CLI do not need

        jsonschema.Draft202012Validator.check_schema(self.parameters)

    @cached_property
    def validator(self) -> jsonschema.Draft202012Validator:
        """The compiled JSON Schema validator for :attr:`parameters` (built once)."""
        import jsonschema

        return jsonschema.Draft202012Validator(self.parameters)

    def to_openai(self) -> dict[str, Any]:
        """Return the ``tools=[...]`` entry for the chat completions API."""
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": self.parameters,
            },
        }


@dataclass(frozen=True)
class ToolLimits:
    """Caps that keep tool output small enough for the model's context.

    Attributes:
        read_max_bytes: Most bytes of file text ``read_file`` returns in one call (~10k tokens).
        read_max_lines: Most lines ``read_file`` returns in one call (its default ``limit``).
        read_max_line_chars: A longer line is cut with a marker naming the ``char_offset`` to
            read on from (capped by ``read_max_bytes`` too).
        result_max_chars: Most characters of any tool result sent to the model (MCP tools, command
            output, ...); the rest is cut with a note, the full result stays in the event log.
        write_max_bytes: Largest content ``write_file``/``edit_file`` will write.
        list_max_entries: Most entries ``list_dir`` returns.
        glob_max_results: Most paths ``glob`` returns.
        grep_max_results: Most matching lines ``grep`` returns.
        grep_max_line_chars: A matching line longer than this is cut (with a ``...`` marker).
        grep_max_file_bytes: Files larger than this are skipped by the Python grep engine.
    """

    read_max_bytes: int = 40 * 1024
    read_max_lines: int = 2000
    read_max_line_chars: int = 2000
    result_max_chars: int = 48 * 1024
    write_max_bytes: int = 8 * 1024 * 1024
    list_max_entries: int = 500
    glob_max_results: int = 500
    grep_max_results: int = 200
    grep_max_line_chars: int = 300
    grep_max_file_bytes: int = 16 * 1024 * 1024


@dataclass(frozen=True)
class ToolContext:
    """Where and how a tool runs.

    Attributes:
        workspace: The workspace root; every tool path is relative to it.
        limits: Output caps.
    """

    workspace: Path
    limits: ToolLimits = field(default_factory=ToolLimits)


@dataclass
class ToolResult:
    """The outcome of one tool call.

    Attributes:
        content: Text sent back to the model.
        summary: One line for the event log and the chat transcript.
        diff: Unified diff of a file change, or None.
        changed_paths: Workspace-relative paths the call created, changed, moved or deleted.
        is_error: True when ``content`` describes a failure.
    """

    content: str
    summary: str
    diff: str | None = None
    changed_paths: list[str] = field(default_factory=list)
    is_error: bool = False

    @classmethod
    def from_error(cls, tool_name: str, error: Exception) -> ToolResult:
        """Build the error result the agent loop sends back for a :class:`ToolError`."""
        message = str(error)
        return cls(content=f"Error: {message}", summary=f"{tool_name} failed: {message}"[:200], is_error=True)


@dataclass(frozen=True)
class Proposal:
    """A file change shown in the approval modal before it is applied.

    Attributes:
        path: Workspace-relative path that changes (for a move: ``"src -> dst"``).
        old_text: Current text, or None when the file does not exist yet.
        new_text: Text after the change, or None for a delete or a move.
        diff: Unified diff (``a/path`` / ``b/path`` headers), empty when nothing changes.
        editable: True when the user may edit ``new_text`` before applying (key ``e``); the edited
            text is passed back as ``run(..., override=text)``.
    """

    path: str
    old_text: str | None
    new_text: str | None
    diff: str
    editable: bool = False


class Tool(abc.ABC):
    """A built-in tool. Subclasses set :attr:`spec` and implement :meth:`run`."""

    spec: ToolSpec
    """Set on the class by built-in tools, per instance by plugin tools (one class, many tools)."""

    @abc.abstractmethod
    async def run(self, args: dict[str, Any], ctx: ToolContext, *, override: str | None = None) -> ToolResult:
        """Run the tool.

        Args:
            args: Arguments already checked by :func:`validate_arguments`.
            ctx: Workspace and limits.
            override: For editable mutating tools, the full new file content chosen by the user in
                the approval modal; it replaces what the tool would have written.

        Returns:
            The result for the model.

        Raises:
            ToolError: A failure the model should see (bad path, no match, ...).
        """

    async def preview(self, args: dict[str, Any], ctx: ToolContext) -> Proposal:
        """Describe the change :meth:`run` would make, without making it (mutating tools only).

        Raises:
            ToolError: The change cannot be made (same checks as :meth:`run`).
        """
        raise ToolError(f"{self.spec.name} does not change files, so it has nothing to preview")


def validate_arguments(spec: ToolSpec, raw_json: str) -> dict[str, Any]:
    """Parse and validate the JSON arguments string of a tool call.

    An empty string is read as ``{}`` (some models send it for tools without arguments).

    Args:
        spec: The tool called.
        raw_json: ``tool_call.function.arguments`` as streamed by the model.

    Returns:
        The arguments object.

    Raises:
        ToolArgumentsError: Invalid JSON (with line, column and offset), not an object, or a schema
            violation (naming each bad field and the rule it broke).
    """
    text = raw_json if raw_json.strip() else "{}"
    try:
        args = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ToolArgumentsError(
            f"arguments for {spec.name} are not valid JSON: {exc.msg} at line {exc.lineno} column "
            f"{exc.colno} (char {exc.pos}); send one JSON object matching the tool's schema"
        ) from None
    if not isinstance(args, dict):
        raise ToolArgumentsError(f"arguments for {spec.name} must be a JSON object, got {type(args).__name__}: {text[:80]}")
    errors = sorted(spec.validator.iter_errors(args), key=lambda e: (list(e.absolute_path), e.message))
    if errors:
        parts = []
        for error in errors[:5]:
            where = "/".join(str(p) for p in error.absolute_path)
            parts.append(f"'{where}': {error.message}" if where else error.message)
        raise ToolArgumentsError(f"invalid arguments for {spec.name}: " + "; ".join(parts))
    return args


def unified_diff(rel: str, old_text: str | None, new_text: str | None) -> str:
    """Return a unified diff of one file (``/dev/null`` for a missing side).

    Args:
        rel: Workspace-relative path used in the ``a/`` and ``b/`` headers.
        old_text: Text before, or None when the file is created.
        new_text: Text after, or None when the file is deleted.
    """
    old_lines = (old_text or "").splitlines(keepends=True)
    new_lines = (new_text or "").splitlines(keepends=True)
    fromfile = "/dev/null" if old_text is None else f"a/{rel}"
    tofile = "/dev/null" if new_text is None else f"b/{rel}"
    out = []
    for line in difflib.unified_diff(old_lines, new_lines, fromfile=fromfile, tofile=tofile):
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)
