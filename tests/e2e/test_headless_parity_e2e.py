"""``workbench run --allowed-tools / --disallowed-tools``, the ``result`` totals, ``sessions show``
cost, and tool output escaped for the model while the log keeps it raw (issue 14, items 6 and 7)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from workbench.scripted.server import Reply, ToolCallSpec

from .conftest import REPO, llm_env, one_line_reason

SERVERS = REPO / "tests" / "plugins" / "servers"


def _hostile_payload() -> str:
    spec = importlib.util.spec_from_file_location("hostile_server", SERVERS / "hostile.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.PAYLOAD


def _call(name: str, args: dict, call_id: str) -> ToolCallSpec:
    return ToolCallSpec(name, json.dumps(args), id=call_id)


def _told(scripted, call_id: str) -> str:
    [content] = [m["content"] for m in scripted.requests[-1]["body"]["messages"] if m.get("tool_call_id") == call_id]
    return content


def _offered(request: dict) -> list[str]:
    return [t["function"]["name"] for t in request["body"].get("tools") or []]


def _result(stdout: str) -> dict:
    last = json.loads(stdout.splitlines()[-1])
    assert last["kind"] == "result"
    return last["payload"]


def test_disallowed_tool_is_not_offered_and_refused_when_called(wb, e2e_ws, scripted) -> None:
    scripted.enqueue(Reply(tool_calls=[_call("read_file", {"path": "hello.py"}, "r1")]), Reply(text="could not read"))
    proc = wb(
        "run",
        "--json",
        "-p",
        "read hello.py",
        "--path",
        e2e_ws,
        "--allowed-tools",
        "read_file,grep",
        "--disallowed-tools",
        "read_file",  # deny wins over allow
        "--disallowed-tools",
        "write_file:**/*.pem",
        env=llm_env(scripted),
    )
    assert proc.returncode == 0, proc.stderr
    offered = _offered(scripted.requests[0])
    assert "read_file" not in offered and "grep" in offered
    assert "write_file" in offered  # a pattern rule refuses some calls, it does not hide the tool
    told = _told(scripted, "r1")
    assert told == "Denied: denied by rule 'read_file'" and "print('hello')" not in told
    events = [json.loads(line) for line in proc.stdout.splitlines()]
    [denied] = [e for e in events if e["kind"] == "tool.denied"]
    assert denied["payload"]["name"] == "read_file" and denied["payload"]["by"] == "rule"
    totals = _result(proc.stdout)
    assert totals["exit_code"] == 0 and totals["status"] == "done"
    assert (totals["turns"], totals["steps"], totals["tool_calls"]) == (1, 2, 1)
    assert {"tokens_in", "tokens_out", "cost", "duration_s"} <= set(totals)


@pytest.mark.parametrize(
    ("flag", "value", "shown"),
    [
        ("--allowed-tools", "read_file,run command", "'run command'"),
        ("--disallowed-tools", "edit_file:/etc/*", "'edit_file:/etc/*'"),
        ("--allowed-tools", "read_file,,grep", "'read_file,,grep'"),
        ("--disallowed-tools", "run_command:", "'run_command:'"),
    ],
)
def test_bad_rule_syntax_exits_2_naming_the_flag_and_the_rule(wb, e2e_ws, flag, value, shown) -> None:
    proc = wb("run", "-p", "hi", "--path", e2e_ws, flag, value)
    assert proc.returncode == 2
    line = one_line_reason(proc)
    assert line.startswith(f"workbench: {flag}") and shown in line, line


def test_an_allow_never_reaches_a_protected_path_nor_passes_read_only(wb, e2e_ws, scripted) -> None:
    scripted.enqueue(
        Reply(
            tool_calls=[
                _call("write_file", {"path": "notes.txt", "content": "n"}, "w1"),
                _call("write_file", {"path": ".mcp.json", "content": "{}"}, "w2"),
            ]
        ),
        Reply(text="wrote what I could"),
    )
    proc = wb("run", "-p", "write", "--path", e2e_ws, "--allowed-tools", "write_file", env=llm_env(scripted))  # mode ask
    assert proc.returncode == 0, proc.stderr
    assert (e2e_ws / "notes.txt").read_text() == "n"  # allowed without an approval
    assert not (e2e_ws / ".mcp.json").exists()  # protected: needs a person even with the allow
    assert "protected path" in _told(scripted, "w2")
    scripted.enqueue(Reply(tool_calls=[_call("write_file", {"path": "other.txt", "content": "o"}, "w3")]), Reply(text="no"))
    proc = wb(
        "run", "-p", "write", "--path", e2e_ws, "--mode", "read-only", "--allowed-tools", "write_file", env=llm_env(scripted)
    )
    assert proc.returncode == 0, proc.stderr
    assert not (e2e_ws / "other.txt").exists() and "read-only mode" in _told(scripted, "w3")


def test_allowed_command_pattern_runs_without_approval_in_ask_mode(wb, sandbox_ws, scripted) -> None:
    _, ws = sandbox_ws
    scripted.enqueue(
        Reply(
            tool_calls=[
                _call("run_command", {"command": "echo allowed-word"}, "c1"),
                _call("run_command", {"command": "echo x; id"}, "c2"),  # shell control: the allow does not match
                _call("run_command", {"command": "echo secret"}, "c3"),  # the deny wins
                _call("run_command", {"command": "ls"}, "c4"),  # no rule: ask mode asks, nobody can approve
            ]
        ),
        Reply(text="done"),
    )
    proc = wb(
        "run",
        "--json",
        "-p",
        "run",
        "--path",
        ws,
        "--allowed-tools",
        "run_command:echo *",
        "--disallowed-tools",
        "run_command:echo secret*",
        env=llm_env(scripted),
    )
    assert proc.returncode == 0, proc.stderr
    assert "[exit 0," in _told(scripted, "c1") and _told(scripted, "c1").endswith("\nallowed-word\n")
    assert "nobody can approve" in _told(scripted, "c2")
    assert _told(scripted, "c3").startswith("Denied: denied by rule 'run_command:echo secret*'")
    assert "nobody can approve" in _told(scripted, "c4") and '--allowed-tools "run_command:ls"' in _told(scripted, "c4")
    totals = _result(proc.stdout)
    assert totals["tool_calls"] == 4 and [d["tool"] for d in totals["denied"]] == ["run_command", "run_command"]


def test_sessions_show_json_has_cost_and_tokens(wb, e2e_ws, scripted) -> None:
    config = Path(wb.env["WORKBENCH_HOME"]) / "config" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('[models."scripted-demo"]\ninput_price = 2.0\noutput_price = 8.0\n')
    scripted.enqueue(Reply(text="one", usage={"prompt_tokens": 1000, "completion_tokens": 500, "total_tokens": 1500}))
    first = wb("run", "--json", "-p", "first", "--path", e2e_ws, env=llm_env(scripted))
    assert first.returncode == 0, first.stderr
    assert _result(first.stdout)["cost"] == pytest.approx(0.006)
    sid = json.loads(first.stdout.splitlines()[0])["session_id"]
    scripted.enqueue(Reply(text="two", usage={"prompt_tokens": 2000, "completion_tokens": 100, "total_tokens": 2100}))
    second = wb("run", "--json", "-p", "second", "--session", sid, "--path", e2e_ws, env=llm_env(scripted))
    assert second.returncode == 0, second.stderr
    assert _result(second.stdout)["cost"] == pytest.approx(0.0048)
    shown = wb("sessions", "show", sid, "--json", "--path", e2e_ws)
    assert shown.returncode == 0, shown.stderr
    session = json.loads(shown.stdout)["session"]
    assert session["cost"] == pytest.approx(0.0108)
    assert (session["tokens_in"], session["tokens_out"], session["turns"]) == (3000, 600, 2)
    assert (session["prompt_tokens"], session["completion_tokens"]) == (3000, 600)
    text = wb("sessions", "show", sid, "--path", e2e_ws).stdout
    assert "3000 tokens in / 600 out, cost $0.0108" in text.splitlines()[0]


def test_hostile_mcp_and_file_output_is_inert_for_the_model_and_raw_in_the_log(wb, e2e_ws, venv_python, scripted) -> None:
    payload = _hostile_payload()
    config = Path(wb.env["WORKBENCH_HOME"]) / "config" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(
        f"[plugins.servers.hostile]\ncommand = {json.dumps(str(venv_python))}\n"
        f"args = [{json.dumps(str(SERVERS / 'hostile.py'))}]\n"
    )
    (e2e_ws / "notes.txt").write_bytes(payload.encode("utf-8"))
    scripted.enqueue(
        Reply(tool_calls=[_call("mcp__hostile__banner", {}, "m1"), _call("read_file", {"path": "notes.txt"}, "r1")]),
        Reply(text="read both"),
    )
    proc = wb("run", "-p", "show the banner", "--path", e2e_ws, "--allowed-tools", "mcp__hostile__banner", env=llm_env(scripted))
    assert proc.returncode == 0, proc.stderr
    for call_id in ("m1", "r1"):
        told = _told(scripted, call_id)
        for raw in ("\x1b", "\x07", "\x9b", "\u202e", "\u200b", "\u2060", "\ufeff", "\U000e0041"):
            assert raw not in told, (call_id, repr(raw))
        for shown in (
            "\\x1b]52;c;cm0gLXJmIH4=\\x07",
            "\\x1b[2J",
            "\\x1b]0;pwned\\x07",
            "\\x9b31m",
            "\\u202e~ fr- mr\\u202c ls",
            "ig\\u200bnore",
            "\\U000e0041",
        ):
            assert shown in told, (call_id, shown, told)
    assert "progress 10%\\x0dprogress 100%" in _told(scripted, "m1")
    assert "\x1b" not in proc.stdout + proc.stderr
    sid = json.loads(wb("sessions", "--json", "--path", e2e_ws).stdout)[0]["id"]
    shown = json.loads(wb("sessions", "show", sid, "--json", "--path", e2e_ws).stdout)
    finished = {m["payload"]["call_id"]: m["payload"] for m in shown["messages"] if m["kind"] == "tool.finished"}
    assert finished["m1"]["raw_content"] == payload  # the log keeps the bytes the server sent
    assert "\x1b]52;c;" in finished["r1"]["raw_content"] and "\u202e" in finished["r1"]["raw_content"]
    assert "\x1b" not in finished["m1"]["content"] and finished["m1"]["content"] == _told(scripted, "m1")


def test_a_bare_config_deny_rule_hides_the_tool_too(wb, e2e_ws, scripted) -> None:
    config = Path(wb.env["WORKBENCH_HOME"]) / "config" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('[permissions]\ndeny = ["grep", "read_file:secret/**"]\n')
    scripted.enqueue(Reply(tool_calls=[_call("grep", {"pattern": "hello"}, "g1")]), Reply(text="no grep"))
    proc = wb("run", "-p", "find hello", "--path", e2e_ws, env=llm_env(scripted))
    assert proc.returncode == 0, proc.stderr
    offered = _offered(scripted.requests[0])
    assert "grep" not in offered and "read_file" in offered
    assert _told(scripted, "g1") == "Denied: denied by rule 'grep'"


def test_json_output_is_lossless_and_terminal_safe(wb, e2e_ws, venv_python, scripted) -> None:
    payload = _hostile_payload()
    config = Path(wb.env["WORKBENCH_HOME"]) / "config" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(
        f"[plugins.servers.hostile]\ncommand = {json.dumps(str(venv_python))}\n"
        f"args = [{json.dumps(str(SERVERS / 'hostile.py'))}]\n"
    )
    scripted.enqueue(Reply(tool_calls=[_call("mcp__hostile__banner", {}, "m1")]), Reply(text="done"))
    proc = wb("run", "--json", "-p", "banner", "--path", e2e_ws, "--allowed-tools", "mcp__hostile__banner", env=llm_env(scripted))
    assert proc.returncode == 0, proc.stderr
    for raw in ("\x1b", "\x07", "\x9b", "\u202e", "\u200b", "\ufeff", "\U000e0041"):
        assert raw not in proc.stdout, repr(raw)
    [finished] = [e["payload"] for e in map(json.loads, proc.stdout.splitlines()) if e["kind"] == "tool.finished"]
    assert finished["raw_content"] == payload and "\\x1b]52;c;" in finished["content"]
