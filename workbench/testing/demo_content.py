"""Canned content for the scripted server: the demo model's reply and a Markdown corpus.

`demo_reply` answers any prompt in `workbench demo` (clearly labelled as the scripted demo
model); `markdown_reply_corpus` builds the long, deterministic Markdown reply used by the
streaming benchmark.
"""

from __future__ import annotations

import random

from workbench.testing.script import Reply
from workbench.testing.wire import message_text

__all__ = ["DEMO_TOKENS_PER_SECOND", "demo_reply", "last_user_text", "markdown_reply_corpus"]

DEMO_TOKENS_PER_SECOND = 150.0
"""Pace of demo replies: fast enough to read, slow enough to see the stream."""


def last_user_text(body: dict) -> str:
    """Text of the last ``user`` message of a chat completions request body (``""`` if none)."""
    messages = body.get("messages") if isinstance(body, dict) else None
    for message in reversed(messages if isinstance(messages, list) else []):
        if isinstance(message, dict) and message.get("role") == "user":
            return message_text(message)
    return ""


def demo_reply(body: dict) -> Reply:
    """The scripted demo model's answer to a request: Markdown that echoes the prompt.

    Args:
        body: The parsed chat completions request body.

    Returns:
        A paced reply (`DEMO_TOKENS_PER_SECOND`) with a short reasoning text and Markdown content:
        a heading, a paragraph, a bullet list and a fenced Python code block.
    """
    prompt = last_user_text(body).strip() or "(an empty prompt)"
    quoted = "\n".join(f"> {line}" for line in prompt.splitlines()) or "> "
    turns = sum(1 for m in body.get("messages", []) if isinstance(m, dict) and m.get("role") == "user")
    text = (
        "## Scripted demo reply\n\n"
        "I am **the scripted demo model**: a local test server that ships with Workbench. "
        "I do not call any real LLM, so everything here works offline. You wrote:\n\n"
        f"{quoted}\n\n"
        "What this reply shows:\n\n"
        "- replies **stream** in as rendered Markdown, token by token;\n"
        "- the *thinking* block above holds the model's `reasoning_content`;\n"
        f"- this is user turn {turns} of the session, stored in the event log;\n"
        "- `Esc` cancels a reply in flight and keeps what arrived.\n\n"
        "A code block, highlighted:\n\n"
        "```python\n"
        "def echo(prompt: str) -> str:\n"
        '    """Answer like the scripted demo model."""\n'
        f"    return f\"You said: {{prompt}}\"  # {len(prompt)} characters\n"
        "```\n\n"
        "Point `llm.base_url` at a real OpenAI-compatible endpoint to talk to a real model.\n"
    )
    reasoning = (
        f"The user sent {len(prompt)} characters. I am the scripted demo model, so I answer with "
        "a fixed Markdown template that echoes the prompt."
    )
    return Reply(text=text, reasoning=reasoning, tokens_per_second=DEMO_TOKENS_PER_SECOND)


_WORDS = (
    "stream render widget token block paragraph event session buffer frame latency journal spec "
    "container plugin model reply prompt delta chunk parser layout cursor history store append "
    "index worker thread queue batch anchor scroll theme palette binding focus pane markdown code"
).split()

_CODE = [
    "def handle(event: dict) -> None:\n    kind = event.get('kind')\n    if kind == 'delta':\n"
    "        buffer.append(event['text'])\n    elif kind == 'done':\n        flush(buffer)\n",
    "async def pump(queue: asyncio.Queue) -> int:\n    count = 0\n    while (item := await queue.get()) is not None:\n"
    "        count += len(item)\n    return count\n",
    "class Window:\n    def __init__(self, size: int) -> None:\n        self.size = size\n"
    "        self.items: list[str] = []\n\n    def push(self, item: str) -> None:\n"
    "        self.items = (self.items + [item])[-self.size :]\n",
]


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(_WORDS) for _ in range(rng.randint(6, 16))]
    if rng.random() < 0.3:
        i = rng.randrange(len(words))
        words[i] = f"`{words[i]}`"
    if rng.random() < 0.2:
        i = rng.randrange(len(words))
        words[i] = f"**{words[i]}**"
    return " ".join(words).capitalize() + "."


def markdown_reply_corpus(tokens: int = 20000, seed: int = 0) -> str:
    """Deterministic Markdown of about ``tokens * 4`` characters for streaming benchmarks.

    Mixes headings, paragraphs (with inline code and bold), bullet and numbered lists and fenced
    Python code blocks; every fence is closed. The same arguments always give the same text.

    Args:
        tokens: Target size in tokens (one token = 4 characters); the result is within one block
            (a few hundred characters) of ``tokens * 4``.
        seed: Seed of the pseudo-random layout.

    Returns:
        The Markdown text, ending with a newline.
    """
    rng = random.Random(seed)
    target = max(0, tokens) * 4
    blocks: list[str] = []
    size = 0
    section = 0
    while size < target:
        roll = rng.random()
        if not blocks or roll < 0.12:
            section += 1
            block = f"{'#' * rng.choice((2, 3))} Section {section}: {rng.choice(_WORDS)} {rng.choice(_WORDS)}"
        elif roll < 0.55:
            block = " ".join(_sentence(rng) for _ in range(rng.randint(2, 5)))
        elif roll < 0.75:
            bullet = rng.choice(("-", "*", "1."))
            block = "\n".join(f"{bullet} {_sentence(rng)}" for _ in range(rng.randint(3, 6)))
        else:
            block = f"```python\n{rng.choice(_CODE)}```"
        blocks.append(block)
        size += len(block) + 2
    return "\n\n".join(blocks) + "\n"
