"""Script items for the scripted OpenAI-compatible server: replies, faults and script files.

A *script* is an ordered list of `Reply` and `Fault` items. The server pops one item per
`POST /v1/chat/completions` request (first in, first out). Scripts can be written in Python or
loaded from a JSON file with `load_script`.

JSON script format (a list; one object per request)::

    [
      {"text": "Hello", "reasoning": "thinking...", "tokens_per_second": 200},
      {"tool_calls": [{"name": "read_file", "arguments": "{\\"path\\": \\"a.py\\"}"}]},
      {"fault": {"status": 429, "retry_after": 1}},
      {"fault": {"cut_after_chunks": 3, "reply": {"text": "partial answer"}}}
    ]
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

__all__ = ["Fault", "Reply", "ScriptError", "ToolCallSpec", "fault_from_dict", "load_script", "reply_from_dict"]


class ScriptError(ValueError):
    """A script file or script item is invalid; the message names the file, the item and the fix."""


@dataclass
class ToolCallSpec:
    """One tool call the scripted model makes.

    Streamed as `delta.tool_calls[{index, id, type, function: {name, arguments}}]`, the
    arguments split across several chunks of 3-8 characters, as OpenAI does.
    """

    name: str
    """Function name, e.g. ``"read_file"``."""
    arguments: str
    """Raw JSON text of the arguments, sent verbatim (split across chunks when streamed)."""
    id: str | None = None
    """Tool call id; the server assigns ``"call_<n>"`` when None."""


@dataclass
class Reply:
    """One assistant reply the scripted model sends."""

    text: str = ""
    """Assistant content, streamed as `delta.content` pieces of `chunk_chars` characters."""
    reasoning: str = ""
    """Thinking text, streamed first as `delta.reasoning_content` (DeepSeek style)."""
    tool_calls: list[ToolCallSpec] = field(default_factory=list)
    """Tool calls, streamed after the text as `delta.tool_calls` with an index."""
    finish_reason: str | None = None
    """``"stop"``, ``"tool_calls"`` or ``"length"``; None picks ``"tool_calls"`` when there are
    tool calls, else ``"stop"``."""
    usage: dict | None = None
    """Usage object sent as is; None computes one (about 4 characters per token)."""
    chunk_chars: int = 4
    """Characters per content/reasoning delta (at least 1)."""
    tokens_per_second: float | None = None
    """Pace of a streamed reply, one token = 4 characters; None sends as fast as possible.
    Non-streamed replies are sent at once."""


@dataclass
class Fault:
    """A failure the scripted server injects instead of (or in the middle of) a reply.

    Precedence: with `status`, the server (after an optional stall) answers with that HTTP status
    and an OpenAI error body; otherwise it streams `reply` (or the default reply) and applies
    `stall_seconds`, `cut_after_chunks` and `malformed_after_chunks` to it. Chunk counts count
    SSE ``data:`` events of the stream, the first one (the role delta) included.
    """

    status: int | None = None
    """HTTP status to answer with, with body ``{"error": {"message", "type", "param", "code"}}``."""
    retry_after: float | None = None
    """Value of the ``Retry-After`` header (seconds) sent with `status`."""
    message: str | None = None
    """Error message text; None uses a standard one for the status."""
    stall_seconds: float | None = None
    """Sleep this long before the first byte (or after `after_chunks` chunks)."""
    cut_after_chunks: int | None = None
    """Send this many chunks, then close the connection abruptly (no ``[DONE]``, no chunked end)."""
    malformed_after_chunks: int | None = None
    """Send this many chunks, then a ``data: {not json`` event, then end the body."""
    after_chunks: int | None = None
    """Where the stall happens: after this many chunks; None = before the first byte."""
    reply: Reply | None = None
    """Content of the partial stream; None uses the server's default reply for the request."""


_REPLY_KEYS = {f.name for f in fields(Reply)}
_FAULT_KEYS = {f.name for f in fields(Fault)}
_TOOL_KEYS = {f.name for f in fields(ToolCallSpec)}


def _check_keys(obj: Any, allowed: set[str], where: str) -> dict:
    if not isinstance(obj, dict):
        raise ScriptError(f"{where}: expected a JSON object, got {type(obj).__name__}")
    unknown = sorted(set(obj) - allowed)
    if unknown:
        raise ScriptError(f"{where}: unknown key(s) {unknown}; allowed: {sorted(allowed)}")
    return obj


def reply_from_dict(obj: Any, where: str = "reply") -> Reply:
    """Build a `Reply` from its JSON form.

    Args:
        obj: A mapping with `Reply` field names; ``tool_calls`` is a list of
            ``{"name", "arguments", "id"?}`` objects, ``arguments`` a string or any JSON value
            (then serialized with `json.dumps`).
        where: Location used in error messages, e.g. ``"script.json: item 3"``.

    Returns:
        The reply.

    Raises:
        ScriptError: On unknown keys or wrong value types.
    """
    data = dict(_check_keys(obj, _REPLY_KEYS, where))
    calls = []
    for i, raw in enumerate(data.pop("tool_calls", None) or []):
        tc = dict(_check_keys(raw, _TOOL_KEYS, f"{where}: tool_calls[{i}]"))
        if not isinstance(tc.get("name"), str) or "arguments" not in tc:
            raise ScriptError(f"{where}: tool_calls[{i}]: needs a string 'name' and 'arguments'")
        if not isinstance(tc["arguments"], str):
            tc["arguments"] = json.dumps(tc["arguments"])
        calls.append(ToolCallSpec(**tc))
    for key, kind in (("text", str), ("reasoning", str), ("chunk_chars", int)):
        if key in data and not isinstance(data[key], kind):
            raise ScriptError(f"{where}: '{key}' must be a {kind.__name__}, got {data[key]!r}")
    if "chunk_chars" in data and data["chunk_chars"] < 1:
        raise ScriptError(f"{where}: 'chunk_chars' must be at least 1, got {data['chunk_chars']}")
    tps = data.get("tokens_per_second")
    if tps is not None and (not isinstance(tps, (int, float)) or tps <= 0):
        raise ScriptError(f"{where}: 'tokens_per_second' must be a positive number or null, got {tps!r}")
    if data.get("finish_reason") not in (None, "stop", "tool_calls", "length", "content_filter"):
        raise ScriptError(f"{where}: 'finish_reason' must be one of stop, tool_calls, length, content_filter or null")
    return Reply(tool_calls=calls, **data)


def fault_from_dict(obj: Any, where: str = "fault") -> Fault:
    """Build a `Fault` from its JSON form (a mapping with `Fault` field names).

    Args:
        obj: The mapping; a nested ``reply`` object follows `reply_from_dict`.
        where: Location used in error messages.

    Returns:
        The fault.

    Raises:
        ScriptError: On unknown keys or wrong value types.
    """
    data = dict(_check_keys(obj, _FAULT_KEYS, where))
    if data.get("reply") is not None:
        data["reply"] = reply_from_dict(data["reply"], f"{where}: reply")
    for key in ("status", "cut_after_chunks", "malformed_after_chunks", "after_chunks"):
        value = data.get(key)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
            raise ScriptError(f"{where}: '{key}' must be a non-negative integer or null, got {value!r}")
    status = data.get("status")
    if status is not None and not 400 <= status <= 599:
        raise ScriptError(f"{where}: 'status' must be an HTTP error status 400-599, got {status}")
    for key in ("retry_after", "stall_seconds"):
        value = data.get(key)
        if value is not None and (not isinstance(value, (int, float)) or value < 0):
            raise ScriptError(f"{where}: '{key}' must be a non-negative number or null, got {value!r}")
    return Fault(**data)


def item_from_dict(obj: Any, where: str) -> Reply | Fault:
    """Build one script item: ``{"fault": {...}}`` is a `Fault`, anything else a `Reply`.

    Args:
        obj: The JSON object.
        where: Location used in error messages.

    Returns:
        The reply or fault.

    Raises:
        ScriptError: When the object is invalid.
    """
    if isinstance(obj, dict) and "fault" in obj:
        if len(obj) != 1:
            raise ScriptError(f"{where}: a fault item has only the key 'fault', got {sorted(obj)}")
        return fault_from_dict(obj["fault"], f"{where}: fault")
    return reply_from_dict(obj, where)


def load_script(path: str | Path) -> list[Reply | Fault]:
    """Load a JSON script file (see the module docstring for the format).

    Args:
        path: The ``.json`` file, a JSON list of reply / ``{"fault": ...}`` objects.

    Returns:
        The script items in order.

    Raises:
        ScriptError: When the file is missing, is not valid JSON, is not a list, or an item is
            invalid; the message names the file and the item index (0-based).
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ScriptError(f"{path}: cannot read the script file: {err.strerror or err}") from err
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise ScriptError(f"{path}:{err.lineno}:{err.colno}: invalid JSON: {err.msg}") from err
    if not isinstance(data, list):
        raise ScriptError(f"{path}: the script must be a JSON list of items, got {type(data).__name__}")
    return [item_from_dict(obj, f"{path}: item {i}") for i, obj in enumerate(data)]
