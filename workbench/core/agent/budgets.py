"""Per-tool result budgets in tokens, and the stubs that replace old results to fit the window.

Every tool result sent to the model is held to a budget in tokens (:data:`DEFAULT_BUDGETS`, per
tool name; ``mcp`` for any ``mcp__`` tool; ``default`` for the rest), overridable with
``[agent] tool_budgets = {read_file = 8000, mcp = 2000}``. A budget is also held to a quarter of the
model's context window, so one result can never crowd out the conversation. A result over its
budget is cut at a line boundary with a note saying how many lines and characters are not shown
and how to get them (the full result stays in the ``tool.finished`` event as ``full_content``).

:func:`stub_for` builds the short, re-readable stub that replaces an old large result when a
request must shrink (:func:`workbench.core.agent.context.stub_tool_results`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from workbench.core.agent.tokens import TokenCounter

DEFAULT_BUDGETS: dict[str, int] = {
    "default": 10_000,
    "read_file": 12_000,
    "grep": 5_000,
    "glob": 3_000,
    "list_dir": 3_000,
    "run_command": 6_000,
    "mcp": 6_000,
}
"""Tokens per tool result by default (``read_file``'s 40 KB cap is ~10k tokens of code)."""
WINDOW_SHARE = 0.25
"""No result takes more than this share of the context window."""
_READ_HEADER = re.compile(r"^\[read_file (?P<path>.+?): lines (?P<a>\d+)-(?P<b>\d+) of (?P<n>\d+)")
_LINE_NO = re.compile(r"^\s*(\d+)\t")


class ResultBudgets:
    """Caps tool results to their token budget.

    Args:
        counter: returns the session's :class:`TokenCounter` (it changes with the model).
        configured: ``agent.tool_budgets`` overrides, by tool name / ``mcp`` / ``default``.
        window: returns the model's context window in tokens.
    """

    def __init__(
        self,
        counter: Callable[[], TokenCounter],
        configured: Mapping[str, int] | None = None,
        window: Callable[[], int] = lambda: 128_000,
    ) -> None:
        self.counter = counter
        self.configured = dict(configured or {})
        self.window = window

    def budget(self, tool: str) -> int:
        """The budget in tokens of ``tool``'s results (configured, else default; <= window share)."""
        table = {**DEFAULT_BUDGETS, **self.configured}
        key = tool if tool in table else ("mcp" if tool.startswith("mcp__") else "default")
        return max(64, min(table[key], int(self.window() * WINDOW_SHARE)))

    def cap(self, tool: str, content: str) -> tuple[str, bool]:
        """``(content for the model, cut?)``: ``content`` cut to ``tool``'s budget with a note."""
        counter = self.counter()
        budget = self.budget(tool)
        view = content[: budget * 8]  # no need to tokenize megabytes to cut them
        total = counter.text(view)
        if total <= budget and len(view) == len(content):
            return content, False
        room = budget - 80  # the note
        keep = min(len(view), int(len(view) * room / max(total, 1)))
        cut = 0
        while keep > 0:
            cut = view.rfind("\n", 0, keep) + 1 or keep
            if counter.text(view[:cut]) <= room:
                break
            keep, cut = int(keep * 0.85), 0
        head, rest = content[:cut], content[cut:]
        more_lines = rest.count("\n") + (0 if rest.endswith("\n") else 1)
        if tool == "read_file":
            head = _read_header(head, budget)
        return head + _note(tool, head, more_lines, len(rest), budget), True


def _read_header(head: str, budget: int) -> str:
    """A cut ``read_file`` result with its header's line range made true (what is really shown)."""
    first, _, body = head.partition("\n")
    m = _READ_HEADER.match(first)
    last = next((n.group(1) for line in reversed(body.splitlines()) if (n := _LINE_NO.match(line))), None)
    if m is None or last is None:
        return head
    enc = re.search(r", decoded as [\w-]+", first)
    return (
        f"[read_file {m['path']}: lines {m['a']}-{last} of {m['n']}{enc.group(0) if enc else ''}; cut to the "
        f"{budget}-token budget: call again with offset={int(last) + 1} to read on]\n{body}"
    )


def _note(tool: str, head: str, more_lines: int, more_chars: int, budget: int) -> str:
    """The "N more" note after a cut result, with how to get the rest."""
    hint = "ask for less: a narrower query, a path or glob"
    if tool == "read_file":
        last = next((m.group(1) for line in reversed(head.splitlines()) if (m := _LINE_NO.match(line))), None)
        hint = f"call read_file again with offset={int(last) + 1} to read on" if last else "call read_file with a smaller limit"
    elif tool == "grep":
        hint = "narrow the pattern, path or glob, or use files_only"
    return (
        f"\n[... {more_lines} more line{'' if more_lines == 1 else 's'} ({more_chars} characters) not shown: this {tool} result is over its budget "
        f"of {budget} tokens ([agent] tool_budgets); {hint}. The full result is kept in the session log.]"
    )


def stub_for(name: str | None, arguments: str | None, content: str, tokens: int) -> str:
    """A short stub for an elided tool result that says what it was and how to get it again.

    ``read_file`` results name the file and line range (``[result of read_file src/x.py lines
    1-400 elided ...; call read_file again ...]``); other tools name their arguments.
    """
    if name == "read_file" and (m := _READ_HEADER.match(content)):
        a, b = int(m["a"]), int(m["b"])
        return (
            f"[result of read_file {m['path']} lines {a}-{b} (of {m['n']}) elided to fit the context window; "
            f"call read_file again with offset={a} limit={b - a + 1} if you need it]"
        )
    try:
        args = json.loads(arguments or "{}")
        shown = ", ".join(f"{k}={json.dumps(v)[:80]}" for k, v in args.items()) if isinstance(args, dict) else ""
    except ValueError:
        shown = (arguments or "")[:120]
    first = content.split("\n", 1)[0][:160]
    label = f"{name}({shown})" if name else "a tool call"
    return (
        f"[result of {label} elided to fit the context window ({tokens} tokens; it began {first!r}); "
        f"call {name or 'the tool'} again (narrower if you can) if you need it]"
    )


def call_index(history: list[dict[str, Any]]) -> dict[str, tuple[str, str]]:
    """``{tool_call_id: (tool name, arguments JSON)}`` of the assistant messages in ``history``."""
    out: dict[str, tuple[str, str]] = {}
    for m in history:
        for c in m.get("tool_calls") or ():
            out[c["id"]] = (c["function"]["name"], c["function"]["arguments"])
    return out
