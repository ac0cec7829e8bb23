"""Canned content for the scripted server: the demo model's reply and a Markdown corpus.

`demo_reply` answers any prompt in `workbench demo` (clearly labelled as the scripted demo
model); `markdown_reply_corpus` builds the long, deterministic Markdown reply used by the
streaming benchmark.
"""

from __future__ import annotations

import random

from workbench.scripted.script import Reply, ToolCallSpec
from workbench.scripted.wire import message_text

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


def _demo_agent_step(body: dict) -> Reply | None:
    """Tool-using answers for prompts that ask for work on the sample project (see `demo_reply`)."""
    import json

    messages = [m for m in body.get("messages", []) if isinstance(m, dict)]
    prompt = last_user_text(body).lower()
    tools = {t.get("function", {}).get("name") for t in body.get("tools") or [] if isinstance(t, dict)}
    # what happened since the last user message
    since: list[dict] = []
    for m in reversed(messages):
        if m.get("role") == "user":
            break
        since.insert(0, m)
    called = [c.get("function", {}).get("name") for m in since for c in (m.get("tool_calls") or [])]
    results = [message_text(m) for m in since if m.get("role") == "tool"]
    pace = DEMO_TOKENS_PER_SECOND
    if "plan" in prompt and {"update_plan", "ask_user"} <= tools:
        return _demo_plan_step(called, results, pace)
    if any(w in prompt for w in ("fix", "edit", "zero")) and {"read_file", "edit_file"} <= tools:
        if not called:
            return Reply(
                text="Let me read `divide` first.",
                reasoning="The user wants a change: read the file before editing it.",
                tool_calls=[ToolCallSpec("read_file", json.dumps({"path": "src/calc/__init__.py"}))],
                tokens_per_second=pace,
            )
        if called == ["read_file"]:
            return Reply(
                text="`divide` raises a bare `ZeroDivisionError`. I will make the error say what went wrong.",
                tool_calls=[
                    ToolCallSpec(
                        "edit_file",
                        json.dumps(
                            {
                                "path": "src/calc/__init__.py",
                                "old_text": "    return a / b\n",
                                "new_text": '    if b == 0:\n        raise ZeroDivisionError("divide: the divisor b is 0")\n    return a / b\n',
                            }
                        ),
                    )
                ],
                tokens_per_second=pace,
            )
        outcome = results[-1] if results else "(no result)"
        return Reply(
            text=f"Done. The edit's result: `{outcome.splitlines()[0] if outcome else ''}`.\n\nPress `esc esc` on an empty prompt to rewind it.",
            tokens_per_second=pace,
        )
    if any(w in prompt for w in ("test", "run")) and "run_command" in tools:
        if not called:
            return Reply(
                text="Running the tests in the sandbox.",
                tool_calls=[
                    ToolCallSpec(
                        "run_command", json.dumps({"command": "python3 -m pytest -q || python3 -m unittest discover -s tests"})
                    )
                ],
                tokens_per_second=pace,
            )
        outcome = results[-1] if results else "(no result)"
        return Reply(text="The command's result:\n\n```text\n" + outcome[:1500] + "\n```\n", tokens_per_second=pace)
    if any(w in prompt for w in ("files", "list", "layout")) and "list_dir" in tools:
        if not called:
            return Reply(tool_calls=[ToolCallSpec("list_dir", json.dumps({"path": "."}))], tokens_per_second=pace)
        outcome = results[-1] if results else ""
        return Reply(text="Here is the project's top level:\n\n```text\n" + outcome[:1500] + "\n```\n", tokens_per_second=pace)
    return None


def _demo_plan_step(called: list, results: list[str], pace: float) -> Reply:
    """ "make a plan": a checklist (``update_plan``), a question with choices (``ask_user``), then the
    checklist moved on and an answer that quotes what the user picked."""
    import json

    def plan(*statuses: str) -> ToolCallSpec:
        texts = ("Choose the test runner", "Add tests for divide", "Run the tests in the sandbox")
        return ToolCallSpec(
            "update_plan", json.dumps({"items": [{"text": t, "status": s} for t, s in zip(texts, statuses, strict=True)]})
        )

    if not called:
        return Reply(text="A plan first.", tool_calls=[plan("in_progress", "pending", "pending")], tokens_per_second=pace)
    if called == ["update_plan"]:
        question = {"id": "runner", "question": "Which test runner should the project use?", "choices": ["pytest", "unittest"]}
        return Reply(
            text="One question before I start.",
            tool_calls=[ToolCallSpec("ask_user", json.dumps(question))],
            tokens_per_second=pace,
        )
    if called == ["update_plan", "ask_user"]:
        return Reply(tool_calls=[plan("done", "in_progress", "pending")], tokens_per_second=pace)
    answer = results[1] if len(results) > 1 else "(no answer)"
    return Reply(
        text=f"The plan moved on (see the checklist and the status bar). Your answer: `{answer.splitlines()[0] if answer else ''}`.",
        tokens_per_second=pace,
    )


def demo_reply(body: dict) -> Reply:
    """The scripted demo model's answer to a request.

    Prompts that ask for work use the tools like a coding agent would: "fix divide by zero" reads
    and edits the sample project (an approval in ask mode), "run the tests" uses ``run_command``
    in the sandbox, "list the files" uses ``list_dir``, "make a plan" keeps a checklist and asks a
    question (``update_plan``, ``ask_user``). Anything else gets Markdown that echoes the prompt.

    Args:
        body: The parsed chat completions request body.

    Returns:
        A paced reply (`DEMO_TOKENS_PER_SECOND`): tool calls, or a short reasoning text and Markdown
        content (a heading, a paragraph, a bullet list and a fenced Python code block).
    """
    step = _demo_agent_step(body)
    if step is not None:
        return step
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
        f'    return f"You said: {{prompt}}"  # {len(prompt)} characters\n'
        "```\n\n"
        "Try **fix divide by zero** (tool calls and an approval), **run the tests** (the sandbox), "
        "**make a plan** (a checklist and a question) or **list the files**. Point `llm.base_url` at a real OpenAI-compatible endpoint to talk to a real model.\n"
    )
    reasoning = (
        f"The user sent {len(prompt)} characters. I am the scripted demo model, so I answer with "
        "a fixed Markdown template that echoes the prompt."
    )
    return Reply(text=text, reasoning=reasoning, tokens_per_second=DEMO_TOKENS_PER_SECOND)


_WORDS = [
    "stream",
    "render",
    "widget",
    "token",
    "block",
    "paragraph",
    "event",
    "session",
    "buffer",
    "frame",
    "latency",
    "journal",
    "spec",
    "container",
    "plugin",
    "model",
    "reply",
    "prompt",
    "delta",
    "chunk",
    "parser",
    "layout",
    "cursor",
    "history",
    "store",
    "append",
    "index",
    "worker",
    "thread",
    "queue",
    "batch",
    "anchor",
    "scroll",
    "theme",
    "palette",
    "binding",
    "focus",
    "pane",
    "markdown",
    "code",
]

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
