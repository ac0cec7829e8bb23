"""OpenAI Chat Completions wire objects built from a scripted `Reply`.

Shapes follow the Chat Completions API reference
(https://platform.openai.com/docs/api-reference/chat/create and .../chat/streaming):
``chat.completion`` objects for ``stream: false``, ``chat.completion.chunk`` objects for
``stream: true``, and the error body ``{"error": {"message", "type", "param", "code"}}``.
`reasoning_content` deltas follow DeepSeek's reasoning models
(https://api-docs.deepseek.com/guides/reasoning_model).
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Iterator
from typing import Any

from workbench.scripted.script import Reply

__all__ = [
    "ERROR_DEFAULTS",
    "completion_object",
    "default_finish_reason",
    "error_body",
    "message_text",
    "split_arguments",
    "sse",
    "stream_chunks",
    "usage_for",
]

ERROR_DEFAULTS: dict[int, tuple[str, str | None, str]] = {
    400: ("invalid_request_error", None, "The request is invalid."),
    401: ("invalid_request_error", "invalid_api_key", "Incorrect API key provided."),
    403: ("permission_denied", "unsupported_country_region_territory", "You are not allowed to use this model."),
    404: ("invalid_request_error", "model_not_found", "The model does not exist or you do not have access to it."),
    408: ("timeout", None, "The request timed out."),
    409: ("conflict", None, "The request conflicts with the current state."),
    422: ("invalid_request_error", None, "The request could not be processed."),
    429: ("requests", "rate_limit_exceeded", "Rate limit reached. Please try again later."),
    500: ("server_error", None, "The server had an error while processing your request."),
    502: ("server_error", None, "Bad gateway."),
    503: ("server_error", "overloaded", "The engine is currently overloaded, please try again later."),
}
"""Per HTTP status: (error type, error code, default message), modelled on OpenAI's responses."""


def error_body(status: int, message: str | None = None) -> dict:
    """The OpenAI error JSON for an HTTP status.

    Args:
        status: HTTP status code (4xx/5xx).
        message: Message text; None uses the standard one for the status.

    Returns:
        ``{"error": {"message", "type", "param", "code"}}``.
    """
    kind, code, default = ERROR_DEFAULTS.get(
        status, ("server_error" if status >= 500 else "invalid_request_error", None, f"HTTP error {status}.")
    )
    return {"error": {"message": message or default, "type": kind, "param": None, "code": code}}


def message_text(message: dict) -> str:
    """Plain text of one request message (string content or the text parts of a list).

    Args:
        message: One entry of the request's ``messages``.

    Returns:
        Its text, or ``""``.
    """
    content = message.get("content") if isinstance(message, dict) else None
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict) and isinstance(p.get("text"), str))
    return ""


def _tokens(chars: int) -> int:
    return math.ceil(chars / 4)


def usage_for(reply: Reply, body: dict) -> dict:
    """The usage object for a reply: `reply.usage` when given, else an estimate of 4 chars/token.

    Args:
        reply: The scripted reply.
        body: The parsed request body (its messages count as the prompt).

    Returns:
        ``{"prompt_tokens", "completion_tokens", "total_tokens", ...}``; completion counts text,
        reasoning and tool arguments, with ``completion_tokens_details.reasoning_tokens``.
    """
    if reply.usage is not None:
        return dict(reply.usage)
    messages = body.get("messages") if isinstance(body.get("messages"), list) else []
    prompt = _tokens(sum(len(message_text(m)) for m in messages))
    reasoning = _tokens(len(reply.reasoning))
    completion = _tokens(len(reply.text) + sum(len(tc.name) + len(tc.arguments) for tc in reply.tool_calls))
    completion += reasoning
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "completion_tokens_details": {"reasoning_tokens": reasoning},
    }


def default_finish_reason(reply: Reply) -> str:
    """`reply.finish_reason`, else ``"tool_calls"`` when it calls tools, else ``"stop"``."""
    return reply.finish_reason or ("tool_calls" if reply.tool_calls else "stop")


def split_arguments(arguments: str, seed: int) -> list[str]:
    """Split tool-call arguments into pieces of 3-8 characters, deterministically.

    Args:
        arguments: The raw JSON text.
        seed: Seed of the split pattern (the server uses the request number).

    Returns:
        The pieces; ``"".join(pieces) == arguments``. Empty arguments give ``[]``.
    """
    rng = random.Random(seed)
    pieces, pos = [], 0
    while pos < len(arguments):
        size = rng.randint(3, 8)
        pieces.append(arguments[pos : pos + size])
        pos += size
    return pieces


def _pieces(text: str, size: int) -> Iterator[str]:
    size = max(1, size)
    for pos in range(0, len(text), size):
        yield text[pos : pos + size]


def stream_chunks(
    reply: Reply, *, ids: list[str], meta: dict[str, Any], include_usage: bool, body: dict, seed: int
) -> Iterator[tuple[dict, int]]:
    """The ``chat.completion.chunk`` objects of a streamed reply, in order.

    Order: a role delta, reasoning deltas, content deltas, tool-call deltas (the first one of each
    call carries id, type and name, then argument pieces), a final empty delta with the finish
    reason, and, when `include_usage`, a usage chunk with ``choices: []``.

    Args:
        reply: The scripted reply.
        ids: Tool call ids, one per `reply.tool_calls` entry.
        meta: ``{"id", "created", "model"}`` shared by every chunk.
        include_usage: Whether ``stream_options.include_usage`` was set.
        body: Parsed request body (for the usage estimate).
        seed: Seed of the argument split pattern.

    Yields:
        ``(chunk, chars)``: the chunk object and the number of generated characters it carries
        (used for pacing).
    """
    extra = {"usage": None} if include_usage else {}

    def chunk(delta: dict, finish: str | None = None) -> dict:
        return {
            **meta,
            "object": "chat.completion.chunk",
            "system_fingerprint": "fp_scripted",
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
            **extra,
        }

    yield chunk({"role": "assistant", "content": ""}), 0
    for piece in _pieces(reply.reasoning, reply.chunk_chars):
        yield chunk({"reasoning_content": piece}), len(piece)
    for piece in _pieces(reply.text, reply.chunk_chars):
        yield chunk({"content": piece}), len(piece)
    for index, (call, call_id) in enumerate(zip(reply.tool_calls, ids, strict=True)):
        head = {"index": index, "id": call_id, "type": "function", "function": {"name": call.name, "arguments": ""}}
        yield chunk({"tool_calls": [head]}), len(call.name)
        for piece in split_arguments(call.arguments, seed + index):
            yield chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]}), len(piece)
    yield chunk({}, default_finish_reason(reply)), 0
    if include_usage:
        yield (
            {
                **meta,
                "object": "chat.completion.chunk",
                "system_fingerprint": "fp_scripted",
                "choices": [],
                "usage": usage_for(reply, body),
            },
            0,
        )


def completion_object(reply: Reply, *, ids: list[str], meta: dict[str, Any], body: dict) -> dict:
    """The ``chat.completion`` object of a non-streamed reply.

    Args:
        reply: The scripted reply.
        ids: Tool call ids, one per `reply.tool_calls` entry.
        meta: ``{"id", "created", "model"}``.
        body: Parsed request body (for the usage estimate).

    Returns:
        The completion; ``message.content`` is None when the reply has only tool calls.
    """
    message: dict[str, Any] = {"role": "assistant", "content": reply.text or (None if reply.tool_calls else "")}
    if reply.reasoning:
        message["reasoning_content"] = reply.reasoning
    if reply.tool_calls:
        message["tool_calls"] = [
            {"id": call_id, "type": "function", "function": {"name": tc.name, "arguments": tc.arguments}}
            for tc, call_id in zip(reply.tool_calls, ids, strict=True)
        ]
    return {
        **meta,
        "object": "chat.completion",
        "system_fingerprint": "fp_scripted",
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": default_finish_reason(reply)}],
        "usage": usage_for(reply, body),
    }


def sse(obj: dict | str) -> bytes:
    """One server-sent event line: ``data: <json>\\n\\n`` (a str is sent as is, e.g. ``[DONE]``)."""
    data = obj if isinstance(obj, str) else json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
    return f"data: {data}\n\n".encode()
