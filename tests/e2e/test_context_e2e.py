"""Context discipline in the installed product: ``[agent] tool_budgets`` caps what a headless run
sends, and a prompt that cannot fit the model's window is refused with the reason, not sent."""

from __future__ import annotations

import json

from workbench.scripted.server import Reply, ToolCallSpec

from .conftest import llm_env, one_line_reason


def test_tool_budget_from_config_caps_a_read(wb, e2e_ws, scripted) -> None:
    (e2e_ws / "big.py").write_text("".join(f"value_{i} = {i} * 2  # line {i}\n" for i in range(3000)))
    scripted.enqueue(Reply(tool_calls=[ToolCallSpec("read_file", json.dumps({"path": "big.py"}), id="r1")]), Reply(text="read"))
    env = {**llm_env(scripted), "WORKBENCH_AGENT__TOOL_BUDGETS": json.dumps({"read_file": 400})}
    proc = wb("run", "-p", "read big.py", "--path", e2e_ws, env=env)
    assert proc.returncode == 0, proc.stderr
    sent = next(m["content"] for m in scripted.requests[-1]["body"]["messages"] if m["role"] == "tool")
    header, _, rest = sent.partition("\n")
    assert header.startswith("[read_file big.py: lines 1-") and "cut to the 400-token budget: call again with offset=" in header
    assert "over its budget of 400 tokens ([agent] tool_budgets)" in rest and len(sent) < 3000


def test_a_prompt_larger_than_the_window_is_refused_with_the_reason(wb, e2e_ws, scripted) -> None:
    env = {**llm_env(scripted), "WORKBENCH_MODELS": json.dumps({"scripted-demo": {"context_window": 2048}})}
    proc = wb("run", "-p", "explain this log: " + "error at step 42; " * 1500, "--path", e2e_ws, env=env)
    reason = one_line_reason(proc)
    assert "does not fit the model's context window" in proc.stderr and "context_window" in reason + proc.stderr
    assert not [r for r in scripted.requests if r["path"].endswith("chat/completions")], "the oversized request was sent"
