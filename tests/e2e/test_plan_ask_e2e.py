"""``update_plan`` and ``ask_user`` on the installed wheel: ``run --answer/--answers``, the headless
denial, and the plan in ``sessions show`` (text and JSON) and ``export`` (md and JSON)."""

from __future__ import annotations

import json

from workbench.scripted.server import Reply, ToolCallSpec

from .conftest import llm_env, one_line_reason

PLAN = [
    {"text": "read hello.py", "status": "done"},
    {"text": "change the greeting", "status": "in_progress"},
    {"text": "run it", "status": "pending"},
]


def _ask(cid: str, **args) -> Reply:
    return Reply(tool_calls=[ToolCallSpec("ask_user", json.dumps(args), id=cid)])


def _told(scripted, index: int) -> dict[str, str]:
    return {m["tool_call_id"]: m["content"] for m in scripted.requests[index]["body"]["messages"] if m["role"] == "tool"}


def test_answer_flags_answer_by_id_and_by_question_prefix(wb, e2e_ws, scripted) -> None:
    scripted.enqueue(
        _ask("q1", question="Which database should I use?", choices=["sqlite", "postgres"], id="db"),
        _ask("q2", question="What should the module be called?"),
        Reply(text="Using postgres in core_io."),
    )
    proc = wb(
        "run",
        "-p",
        "set up storage",
        "--answer",
        "db=2",
        "--answer",
        "what should the MODULE=core_io",
        "--path",
        e2e_ws,
        env=llm_env(scripted),
    )
    assert proc.returncode == 0, proc.stderr
    assert "Using postgres in core_io." in proc.stdout
    assert _told(scripted, 1)["q1"] == "The user chose: postgres"
    assert _told(scripted, 2)["q2"] == "The user answered: core_io"
    assert "ask_user: chose: postgres" in proc.stderr and "had no answer" not in proc.stderr


def test_answers_file_and_the_denial_without_an_answer(wb, e2e_ws, scripted, tmp_path) -> None:
    answers = tmp_path / "answers.toml"
    answers.write_text('"Which database" = "sqlite"\n')
    scripted.enqueue(
        _ask("q1", question="Which database?", choices=["sqlite", "postgres"]),
        _ask("q2", question="Deploy to production now?", choices=["yes", "no"]),
        Reply(text="Assuming no deploy."),
    )
    proc = wb("run", "--json", "-p", "go", "--answers", answers, "--path", e2e_ws, env=llm_env(scripted))
    assert proc.returncode == 0, proc.stderr
    assert _told(scripted, 1)["q1"] == "The user chose: sqlite"
    denied = _told(scripted, 2)["q2"]
    assert denied.startswith("Denied: no one can answer in this run") and "--answer" in denied
    assert "1 ask_user question(s) had no answer" in proc.stderr and "Deploy to production now?" in proc.stderr
    events = [json.loads(line) for line in proc.stdout.splitlines()]
    finished = [e["payload"] for e in events if e["kind"] == "tool.finished"]
    assert [f["summary"] for f in finished] == ["chose: sqlite", "not answered: no one can answer in this run"]
    assert finished[1]["is_error"] is True
    journal = (
        e2e_ws / ".workbench" / "journal" / "agentJournal.md"
    ).read_text()  # the answer is in the journal (the projection of tool.finished)
    assert "result: chose: sqlite" in journal and "**error**: not answered: no one can answer in this run" in journal


def test_bad_answer_flags_exit_2_naming_the_problem(wb, e2e_ws, scripted, tmp_path) -> None:
    proc = wb("run", "-p", "x", "--answer", "novalue", "--path", e2e_ws, env=llm_env(scripted))
    assert proc.returncode == 2 and "KEY=VALUE" in one_line_reason(proc)
    bad = tmp_path / "a.json"
    bad.write_text("{not json")
    proc = wb("run", "-p", "x", "--answers", bad, "--path", e2e_ws, env=llm_env(scripted))
    assert proc.returncode == 2 and "a.json" in one_line_reason(proc) and "JSON" in proc.stderr
    assert scripted.requests == []


def test_plan_is_in_sessions_show_and_exports(wb, e2e_ws, scripted) -> None:
    scripted.enqueue(
        Reply(tool_calls=[ToolCallSpec("update_plan", json.dumps({"items": PLAN}), id="p1")]), Reply(text="Plan made.")
    )
    proc = wb("run", "--json", "-p", "plan it", "--path", e2e_ws, env=llm_env(scripted))  # ask mode: no approval needed
    assert proc.returncode == 0, proc.stderr
    sid = json.loads(proc.stdout.splitlines()[0])["session_id"]
    assert _told(scripted, 1)["p1"].startswith("Plan updated (plan 1/3)")
    shown = wb("sessions", "show", sid, "--path", e2e_ws)
    assert shown.returncode == 0, shown.stderr
    assert "- plan 1/3\n  [x] read hello.py\n  [~] change the greeting\n  [ ] run it" in shown.stdout
    as_json = json.loads(wb("sessions", "show", sid, "--json", "--path", e2e_ws).stdout)
    assert as_json["plan"] == PLAN
    assert any(m["kind"] == "plan.updated" for m in as_json["messages"])
    md = wb("export", sid, "--format", "md", "--path", e2e_ws)
    assert md.returncode == 0, md.stderr
    assert "**plan 1/3**" in md.stdout and "  - [x] read hello.py" in md.stdout
    assert "  - [ ] **change the greeting** (in progress)" in md.stdout
    exported = json.loads(wb("export", sid, "--format", "json", "--path", e2e_ws).stdout)
    assert [e["payload"]["items"] for e in exported if e["kind"] == "plan.updated"] == [PLAN]
