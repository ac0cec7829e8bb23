"""Kiro features through ``workbench spec`` in a subprocess, against the scripted OpenAI-compatible
server (real streamed HTTP): quick spec, bugfix specs, update-tasks; and ``[specs] dir``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from workbench.core.specs.bugfix import parse_bugfix
from workbench.core.specs.bundle import check_spec, load_spec
from workbench.core.specs.discovery import find_spec, new_specs_dir
from workbench.core.specs.drafting import create_spec
from workbench.core.specs.quick import split_quick
from workbench.core.specs.store import ApprovalStore
from workbench.core.specs.workflow import compute_status, doc_hashes
from workbench.scripted.server import Fault, Reply, ScriptedServer

REPO = Path(__file__).resolve().parents[2]
DRAFTS = Path(__file__).parent / "drafts"
REQUIREMENTS = (DRAFTS / "requirements.md").read_text()
DESIGN = (DRAFTS / "design.md").read_text()
TASKS = (DRAFTS / "tasks.md").read_text()

BUGFIX = """\
# Bugfix Requirements Document

## Introduction

Exporting an empty notebook crashes with a ZeroDivisionError.

## Bug Analysis

### Current Behavior (Defect)

1.1 WHEN the user exports a notebook with no notes THEN the system raises ZeroDivisionError

### Expected Behavior (Correct)

2.1 WHEN the user exports a notebook with no notes THEN the system SHALL write an empty Markdown file

**Edge cases**

2.2 WHEN the notebook holds only deleted notes THEN the system SHALL write an empty Markdown file

### Unchanged Behavior (Regression Prevention)

3.1 WHEN the notebook has notes THEN the system SHALL CONTINUE TO write them oldest first

```text
3.9 not a statement: inside a code block
```
"""

BUGFIX_TASKS = """\
# Implementation Plan

- [ ] 1. Guard the empty notebook
  - _Requirements: 1.1, 2.1, 2.2_
- [ ] 2. Regression test for non-empty exports
  - _Requirements: 3.1_
"""


@pytest.fixture
def server():
    with ScriptedServer(model="scripted-spec") as srv:
        yield srv


@pytest.fixture
def ws(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path / "home"))
    ws = tmp_path / "project"
    ws.mkdir()
    return ws


def spec_cmd(ws: Path, server: ScriptedServer | None, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "WORKBENCH_", "DEEPSEEK_", "MOONSHOT_"))}
    env |= {"PYTHONPATH": str(REPO), "WORKBENCH_HOME": str(ws.parent / "home")}
    if server is not None:
        env |= {
            "OPENAI_BASE_URL": server.base_url,
            "OPENAI_API_KEY": "sk-test-spec-123456",
            "WORKBENCH_LLM__MODEL": "scripted-spec",
            "WORKBENCH_LLM__MAX_RETRIES": "0",
        }
    return subprocess.run(
        [sys.executable, "-m", "workbench", "spec", *argv], cwd=ws, env=env, capture_output=True, text=True, timeout=60
    )


def chat_bodies(server: ScriptedServer) -> list[dict]:
    return [r["body"] for r in server.requests if r["path"].endswith("/chat/completions")]


# -- bugfix specs --------------------------------------------------------------------------------
def test_bugfix_parse_exact():
    doc = parse_bugfix(BUGFIX)
    assert [(r.number, r.title) for r in doc.requirements] == [
        (1, "Current Behavior (Defect)"),
        (2, "Expected Behavior (Correct)"),
        (3, "Unchanged Behavior (Regression Prevention)"),
    ]
    assert [(c.id, c.line) for c in doc.criteria()] == [("1.1", 11), ("2.1", 15), ("2.2", 19), ("3.1", 23)]
    assert (
        doc.criteria()[2].text == "WHEN the notebook holds only deleted notes THEN the system SHALL write an empty Markdown file"
    )
    assert doc.problems == []
    assert doc.introduction == "Exporting an empty notebook crashes with a ZeroDivisionError."


def test_bugfix_lint_missing_sections_and_numbering():
    text = "# Bugfix\n\n## Current Behaviour\n\n1.1 WHEN x THEN it fails\n\n## Expected Behavior\n\n1.2 WHEN x THEN the system SHALL y\n"
    doc = parse_bugfix(text, "bugfix.md")
    assert [(p.code, p.severity, p.line) for p in doc.problems] == [("BUG005", "warning", 9), ("BUG003", "error", None)]
    empty = parse_bugfix("## Current Behavior\n\n## Expected Behavior\n\n## Unchanged Behavior\n\nprose only\n")
    assert [(p.code, p.line) for p in empty.problems] == [("BUG004", 1), ("BUG004", 3), ("BUG004", 5)]


def test_bugfix_spec_traces_tasks_to_statements(ws, server):
    result = spec_cmd(ws, None, "new", "empty-export", "--bugfix", "--idea", "empty export crashes")
    assert result.returncode == 0, result.stderr
    folder = ws / ".workbench" / "specs" / "empty-export"
    assert result.stdout == f"created {folder / 'bugfix.md'}\n"
    assert not (folder / "requirements.md").exists()
    assert "empty export crashes" in (folder / "bugfix.md").read_text()
    spec = find_spec(ws, "empty-export")
    assert spec.kind == "bugfix" and spec.path("requirements") == folder / "bugfix.md"
    problems, _ = check_spec(load_spec(spec))
    assert problems == []  # the template parses: three sections, one statement each
    (folder / "bugfix.md").write_text(BUGFIX)
    (folder / "tasks.md").write_text(BUGFIX_TASKS)
    trace = spec_cmd(ws, None, "trace", "empty-export", "--json")
    assert trace.returncode == 0, trace.stderr
    [report] = json.loads(trace.stdout)
    assert report["matrix"] == {"1.1": ["1"], "2.1": ["1"], "2.2": ["1"], "3.1": ["2"]}
    assert report["by_task"] == {"1": ["1.1", "2.1", "2.2"], "2": ["3.1"]}
    lint = spec_cmd(ws, None, "lint", "empty-export")
    assert lint.returncode == 0 and "== empty-export: 0 error(s), 0 warning(s)" in lint.stdout
    (folder / "bugfix.md").write_text(BUGFIX.split("### Unchanged")[0])
    lint = spec_cmd(ws, None, "lint", "empty-export")
    assert lint.returncode == 1
    assert (
        ".workbench/specs/empty-export/bugfix.md: error BUG003 no 'Unchanged Behavior (Regression Prevention)' section"
        in lint.stdout
    )
    refused = spec_cmd(ws, None, "approve", "empty-export", "bugfix")
    assert refused.returncode == 1 and "BUG003" in refused.stderr
    (folder / "bugfix.md").write_text(BUGFIX)
    approved = spec_cmd(ws, None, "approve", "empty-export", "bugfix", "--who", "ann")
    assert approved.returncode == 0, approved.stderr
    assert approved.stdout.startswith("approved empty-export requirements")
    [record] = ApprovalStore.for_workspace(ws).load()
    assert compute_status([record], doc_hashes(spec), spec.key)["requirements"].state == "approved"


# -- [specs] dir ---------------------------------------------------------------------------------
def test_new_specs_go_to_kiro_when_the_workspace_has_it(ws):
    assert new_specs_dir(ws) == (ws / ".workbench/specs", "workbench")
    (ws / ".kiro" / "steering").mkdir(parents=True)
    assert new_specs_dir(ws) == (ws / ".kiro/specs", "kiro")
    assert new_specs_dir(ws, ".workbench/specs") == (ws / ".workbench/specs", "workbench")
    with pytest.raises(ValueError, match=r"\[specs\] dir = 'elsewhere'"):
        new_specs_dir(ws, "elsewhere")
    spec = create_spec(ws, "tui-made")
    assert spec.root == ws / ".kiro/specs/tui-made" and spec.key == "kiro/tui-made"
    result = spec_cmd(ws, None, "new", "cli-made")
    assert result.returncode == 0, result.stderr
    assert (ws / ".kiro/specs/cli-made/requirements.md").is_file()
    listed = spec_cmd(ws, None, "list", "--json")
    assert [row["name"] for row in json.loads(listed.stdout)] == ["kiro/cli-made"]  # tui-made has no document yet
    # the setting wins over the folder
    (ws / ".workbench").mkdir(exist_ok=True)
    (ws / ".workbench" / "config.toml").write_text('[specs]\ndir = ".workbench/specs"\n')
    from helpers.trust import trust_workspace

    trust_workspace(ws)
    result = spec_cmd(ws, None, "new", "by-setting")
    assert result.returncode == 0, result.stderr
    assert (ws / ".workbench/specs/by-setting/requirements.md").is_file()
    (ws / ".workbench" / "config.toml").write_text('[specs]\ndir = "nowhere"\n')
    trust_workspace(ws)
    result = spec_cmd(ws, None, "new", "bad-setting")
    assert result.returncode == 2 and "specs.dir" in result.stderr
    assert not (ws / ".kiro/specs/bad-setting").exists() and not (ws / ".workbench/specs/bad-setting").exists()


# -- quick spec ----------------------------------------------------------------------------------
def quick_reply(first: str = REQUIREMENTS, name: str = "requirements.md") -> str:
    return f"=== {name} ===\n{first}\n=== design.md ===\n{DESIGN}\n=== tasks.md ===\n{TASKS}"


def test_quick_spec_drafts_three_documents_each_in_review(ws, server):
    server.enqueue(Reply(text=quick_reply(), chunk_chars=40))
    result = spec_cmd(ws, server, "new", "notes-export", "--quick", "--idea", "export notes to Markdown")
    assert result.returncode == 0, result.stderr
    folder = ws / ".workbench" / "specs" / "notes-export"
    for doc, text in (("requirements", REQUIREMENTS), ("design", DESIGN), ("tasks", TASKS)):
        assert (folder / f"{doc}.md").read_text() == text.strip() + "\n"
        assert f"drafted {folder / f'{doc}.md'} ({doc}: in review)" in result.stdout
    [body] = chat_bodies(server)  # one pass: one request
    assert body["stream"] is True
    prompt = body["messages"][1]["content"]
    assert "export notes to Markdown" in prompt and "=== design.md ===" in prompt
    spec = find_spec(ws, "notes-export")
    records = ApprovalStore.for_workspace(ws).load()
    assert [(r.doc, r.action) for r in records if r.spec == "notes-export"] == [
        ("requirements", "submit_review"),
        ("design", "submit_review"),
        ("tasks", "submit_review"),
    ]
    states = compute_status(records, doc_hashes(spec), spec.key)
    # design and tasks wait for the documents before them (the workflow shows them stale until then)
    assert states["requirements"].state == "in_review"
    assert "review design again once requirements is approved" in states["design"].reason
    # each is still approved separately, in order
    refused = spec_cmd(ws, None, "approve", "notes-export", "design")
    assert refused.returncode == 1 and "refused:" in refused.stderr
    assert spec_cmd(ws, None, "approve", "notes-export", "requirements").returncode == 0
    states = compute_status(ApprovalStore.for_workspace(ws).load(), doc_hashes(spec), spec.key)
    assert [states[d].state for d in ("requirements", "design")] == ["approved", "in_review"]
    assert spec_cmd(ws, None, "approve", "notes-export", "design").returncode == 0
    assert spec_cmd(ws, None, "approve", "notes-export", "tasks").returncode == 0


def test_quick_spec_keeps_a_wrong_document_beside_and_says_why(ws, server):
    server.enqueue(Reply(text=quick_reply(first=TASKS)))  # tasks where the requirements should be
    result = spec_cmd(ws, server, "new", "mixed", "--quick", "--idea", "x")
    assert result.returncode == 1
    folder = ws / ".workbench" / "specs" / "mixed"
    assert "not applied: the model's requirements.md was not applied: it is not a requirements document" in result.stderr
    assert (folder / "requirements.draft.md").read_text() == TASKS.strip() + "\n"
    assert (folder / "design.md").is_file() and (folder / "tasks.md").is_file()


def test_quick_spec_errors(ws, server):
    no_idea = spec_cmd(ws, server, "new", "a", "--quick")
    assert no_idea.returncode == 2 and "--idea" in no_idea.stderr
    server.enqueue(Fault(status=500, message="model overloaded"))
    failed = spec_cmd(ws, server, "new", "b", "--quick", "--idea", "x")
    assert failed.returncode == 1 and "Traceback" not in failed.stderr
    assert "error: the model request failed:" in failed.stderr and "model overloaded" in failed.stderr
    assert (ws / ".workbench/specs/b/requirements.md").is_file()  # the template stays
    server.enqueue(Reply(text="just some text"))
    unmarked = spec_cmd(ws, server, "new", "c", "--quick", "--idea", "x")
    assert unmarked.returncode == 1 and "no '=== name.md ===' marker" in unmarked.stderr
    with pytest.raises(Exception, match="design.md"):
        split_quick(find_spec(ws, "c"), "=== requirements.md ===\nx\n=== tasks.md ===\ny\n")


def test_quick_bugfix_spec(ws, server):
    server.enqueue(Reply(text=quick_reply(first=BUGFIX, name="bugfix.md").replace(TASKS, BUGFIX_TASKS)))
    result = spec_cmd(ws, server, "new", "empty", "--bugfix", "--quick", "--idea", "empty export crashes")
    assert result.returncode == 0, result.stderr
    folder = ws / ".workbench" / "specs" / "empty"
    assert (folder / "bugfix.md").read_text() == BUGFIX.strip() + "\n"
    assert "Current Behavior (Defect)" in chat_bodies(server)[0]["messages"][1]["content"]
    problems, report = check_spec(load_spec(find_spec(ws, "empty")))
    assert problems == [] and report.uncovered == []


# -- update tasks from requirements --------------------------------------------------------------
NEW_REQUIREMENTS = (
    REQUIREMENTS
    + """
### Requirement 3: Titles

**User Story:** As a reader, I want titles, so that I can find notes.

#### Acceptance Criteria

1. THE Note_Exporter SHALL write each note's title as a heading.
"""
)

PROPOSED = (
    TASKS.replace("- [ ] 1. Write", "- [x] 1. Write")
    + """
- [ ] 3. Write the titles
  - _Requirements: 3.1_
"""
)


def write(ws: Path, name: str, **docs: str) -> Path:
    folder = ws / ".workbench" / "specs" / name
    folder.mkdir(parents=True, exist_ok=True)
    for doc, text in docs.items():
        (folder / f"{doc}.md").write_text(text)
    return folder


def test_update_tasks_shows_the_diff_and_applies_only_with_yes(ws, server):
    folder = write(
        ws, "notes", requirements=NEW_REQUIREMENTS, design=DESIGN, tasks=TASKS.replace("- [ ] 1. Write", "- [x] 1. Write")
    )
    before = (folder / "tasks.md").read_text()
    server.enqueue(Reply(text="```markdown\n" + PROPOSED + "```\n", chunk_chars=30))
    shown = spec_cmd(ws, server, "update-tasks", "notes")
    assert shown.returncode == 0, shown.stderr
    assert "--- tasks.md (current)\n+++ tasks.md (proposed)\n" in shown.stdout
    assert "+- [ ] 3. Write the titles\n+  - _Requirements: 3.1_\n" in shown.stdout
    assert (folder / "tasks.md").read_text() == before  # not applied
    assert (folder / "tasks.proposed.md").read_text() == PROPOSED.strip() + "\n"
    assert "run again with --yes" in shown.stderr
    prompt = chat_bodies(server)[0]["messages"][1]["content"]
    assert "Criteria no task covers: 3.1" in prompt and "Current tasks.md, to revise" in prompt
    assert ApprovalStore.for_workspace(ws).load() == []

    server.enqueue(Reply(text=PROPOSED))
    applied = spec_cmd(ws, server, "update-tasks", "notes", "--yes")
    assert applied.returncode == 0, applied.stderr
    assert "+- [ ] 3. Write the titles" in applied.stdout and f"applied: {folder / 'tasks.md'} updated" in applied.stdout
    assert (folder / "tasks.md").read_text() == PROPOSED.strip() + "\n"
    [record] = ApprovalStore.for_workspace(ws).load()
    assert (record.doc, record.action) == ("tasks", "submit_review")
    _, report = check_spec(load_spec(find_spec(ws, "notes")))
    assert report.uncovered == []


def test_update_tasks_refuses_a_reply_that_is_not_tasks(ws, server):
    folder = write(ws, "notes", requirements=NEW_REQUIREMENTS, tasks=TASKS)
    server.enqueue(Reply(text=NEW_REQUIREMENTS))
    result = spec_cmd(ws, server, "update-tasks", "notes", "--yes")
    assert result.returncode == 1
    assert "refused: the proposal cannot replace tasks.md: it is not a tasks document" in result.stderr
    assert (folder / "tasks.md").read_text() == TASKS
    assert (folder / "tasks.draft.md").read_text() == NEW_REQUIREMENTS.strip() + "\n"


def test_update_tasks_without_tasks_or_unchanged(ws, server):
    write(ws, "bare", requirements=REQUIREMENTS)
    result = spec_cmd(ws, server, "update-tasks", "bare")
    assert result.returncode == 1 and "has no tasks.md yet" in result.stderr
    assert chat_bodies(server) == []  # refused before any request
    write(ws, "same", requirements=REQUIREMENTS, tasks=TASKS)
    server.enqueue(Reply(text=TASKS))
    result = spec_cmd(ws, server, "update-tasks", "same", "--yes")
    assert result.returncode == 0 and "proposes no change" in result.stdout
