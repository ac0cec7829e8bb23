"""Normalised stream items produced by :class:`workbench.core.llm.client.LLMClient`.

The wire format is OpenAI's Chat Completions streaming (``chat.completion.chunk`` objects, see
https://platform.openai.com/docs/api-reference/chat-streaming); DeepSeek-style
``delta.reasoning_content`` is surfaced as :class:`ReasoningDelta`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TextDelta:
    """A fragment of the reply's content."""

    text: str


@dataclass(frozen=True, slots=True)
class ReasoningDelta:
    """A fragment of the model's reasoning ("thinking"), shown collapsed."""

    text: str


@dataclass(frozen=True, slots=True)
class ToolCallDelta:
    """A fragment of a tool call: ``index`` identifies the call; ``arguments`` is partial JSON text."""

    index: int
    id: str | None
    name: str | None
    arguments: str


@dataclass(frozen=True, slots=True)
class Usage:
    """Token counts from the API's ``usage`` object."""

    prompt_tokens: int
    completion_tokens: int
    total_tokens: int

    def to_dict(self) -> dict[str, int]:
        """Return ``{"prompt_tokens", "completion_tokens", "total_tokens"}``."""
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.total_tokens,
        }


@dataclass(frozen=True, slots=True)
class Finish:
    """The choice finished with ``reason`` (``stop``, ``length``, ``tool_calls``, ...)."""

    reason: str


StreamItem = TextDelta | ReasoningDelta | ToolCallDelta | Usage | Finish
