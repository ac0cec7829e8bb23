"""``workbench spec ...`` commands through run_spec_command and a real subprocess."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from workbench.cli.commands.spec import add_spec_parser, run_spec_command
from workbench.core.specs.store import ApprovalStore, ApprovalStoreError

CORPUS = Path(__file__).parent / "corpus"
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def workspace(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path / "home"))
    ws = tmp_path / "ws"
    ws.mkdir()
    return ws


def run(ws: Path, *argv: str, store: ApprovalStore | None = None) -> int:
    parser = argparse.ArgumentParser(prog="workbench")
    add_spec_parser(parser.add_subparsers(dest="command", required=True))
    return run_spec_command(parser.parse_args(["spec", *argv]), ws, store)


def add_corpus(ws: Path, name: str, where: str = ".workbench/specs") -> Path:
    dest = ws / where / name
    shutil.copytree(CORPUS / name, dest)
    return dest


def test_new_creates_template_that_lints_clean(workspace, capsys):
    assert run(workspace, "new", "user-login", "--idea", "Users sign in with e-mail") == 0
    req = workspace / ".workbench" / "specs" / "user-login" / "requirements.md"
    text = req.read_text()
    assert "Users sign in with e-mail" in text and "### Requirement 1" in text
    assert run(workspace, "new", "user-login") == 2
    assert "already exists" in capsys.readouterr().err
    assert run(workspace, "new", "../evil") == 2
    assert run(workspace, "lint", "user-login") == 0


def test_list_json_includes_kiro_specs(workspace, capsys):
    add_corpus(workspace, "good-ears")
    add_corpus(workspace, "good-legacy", ".kiro/specs")
    assert run(workspace, "list", "--json") == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["name"], r["source"]) for r in rows] == [("good-ears", "workbench"), ("kiro/good-legacy", "kiro")]
    assert rows[0]["tasks"] == {"done": 2, "total": 6}
    assert rows[0]["docs"] == {"requirements": "draft", "design": "draft", "tasks": "draft"}
    assert rows[1]["docs"]["design"] == "missing"
    assert run(workspace, "list") == 0
    assert "good-ears" in capsys.readouterr().out


def test_lint_exit_codes_and_json(workspace, capsys):
    add_corpus(workspace, "good-ears")
    add_corpus(workspace, "malformed")
    assert run(workspace, "lint", "good-ears") == 0
    capsys.readouterr()
    assert run(workspace, "lint", "malformed", "--json") == 1
    data = json.loads(capsys.readouterr().out)
    assert data["errors"] > 0
    problem_codes = {p["code"] for p in data["specs"][0]["problems"]}
    assert {"REQ003", "TSK002", "TRC002", "DES001", "EARS001"} <= problem_codes
    assert run(workspace, "lint") == 1
    out = capsys.readouterr().out
    assert ".workbench/specs/malformed/tasks.md:5: error TSK002" in out
    # errors come first, then the warnings
    severities = [line.split(": ")[1].split()[0] for line in out.splitlines() if ": error " in line or ": warning " in line]
    assert "warning" in severities and severities == sorted(severities)
    assert run(workspace, "lint", "nope") == 2
    assert "no spec named 'nope'" in capsys.readouterr().err


def test_trace_json(workspace, capsys):
    add_corpus(workspace, "malformed")
    assert run(workspace, "trace", "malformed", "--json") == 0
    [report] = json.loads(capsys.readouterr().out)
    assert report["uncovered"] == ["1.4", "3.1"]
    assert {"task": "1", "ref": "9.9", "line": 3} in report["unknown_refs"]
    assert run(workspace, "trace") == 0
    assert "(no task)" in capsys.readouterr().out


def test_approve_status_and_staleness(workspace, capsys):
    subprocess.run(["git", "init", "-q"], cwd=workspace, check=True)
    spec_dir = add_corpus(workspace, "good-ears")
    subprocess.run(["git", "add", "-A"], cwd=workspace, check=True)
    subprocess.run(["git", "-c", "user.name=T", "-c", "user.email=t@e", "commit", "-qm", "spec"], cwd=workspace, check=True)
    store = ApprovalStore.for_workspace(workspace)
    assert str(store.path).startswith(os.environ["WORKBENCH_HOME"])

    assert run(workspace, "approve", "good-ears", "design", store=store) == 1
    assert "before requirements is approved" in capsys.readouterr().err
    assert run(workspace, "approve", "good-ears", "requirements", "--who", "ann", store=store) == 0
    assert run(workspace, "approve", "good-ears", "design", "--who", "ann", store=store) == 0
    assert "approved good-ears design" in capsys.readouterr().out
    assert [r.doc for r in store.load()] == ["requirements", "design"]

    # approvals survive: a new store object reads the same file
    (spec_dir / "requirements.md").write_text((spec_dir / "requirements.md").read_text() + "\n", encoding="utf-8")
    assert run(workspace, "status", "good-ears", "--json") == 0
    [status] = json.loads(capsys.readouterr().out)
    docs = status["docs"]
    assert (docs["requirements"]["state"], docs["design"]["state"], docs["tasks"]["state"]) == ("stale", "stale", "draft")
    assert docs["requirements"]["changed_files"] == [".workbench/specs/good-ears/requirements.md"]
    assert docs["requirements"]["approval"]["who"] == "ann"
    assert run(workspace, "status") == 0
    assert "files changed since" in capsys.readouterr().out


def test_corrupt_store_is_a_clear_error(workspace, capsys):
    add_corpus(workspace, "good-ears")
    store = ApprovalStore(workspace / "approvals.json")
    store.path.write_text("{not json")
    with pytest.raises(ApprovalStoreError, match="approvals.json"):
        store.load()
    assert run(workspace, "status", store=store) == 1
    assert "not a valid approvals file" in capsys.readouterr().err


def test_subprocess_entry_point(workspace):
    add_corpus(workspace, "lint")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run(
        [sys.executable, "-m", "workbench.cli.commands.spec", "spec", "lint", "--json"],
        cwd=workspace,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1, result.stderr
    assert json.loads(result.stdout)["errors"] == 1


def test_trace_design_citations_in_a_subprocess(workspace):
    """``workbench spec trace`` (text and --json) shows the design <-> requirement links."""
    add_corpus(workspace, "kiro-dialect", ".kiro/specs")
    env = {**os.environ, "PYTHONPATH": str(REPO)}

    def spec(*argv):
        return subprocess.run(
            [sys.executable, "-m", "workbench", "spec", *argv], cwd=workspace, env=env, capture_output=True, text=True, timeout=60
        )

    result = spec("trace", "--json")
    assert result.returncode == 0, result.stderr
    [report] = json.loads(result.stdout)
    assert report["name"] == "kiro/kiro-dialect"
    assert report["uncovered"] == [] and report["unknown_refs"] == []
    assert report["design_uncovered"] == ["1.3", "1.4", "1.5", "2.1", "2.3"]
    assert report["design_matrix"]["3.1"] == ["Property 3: The status follows the checks"]
    result = spec("trace")
    assert result.returncode == 0, result.stderr
    assert "  1.1      1, 2.2  | design: Property 1: A new commit restarts the checks" in result.stdout
    assert "criteria the design does not cite: 1.3, 1.4, 1.5, 2.1, 2.3" in result.stdout
    # the other way: each task's criteria, each design item's criteria and the tasks implementing them
    assert "  tasks -> criteria:\n    1        1.1, 1.2, 1.3, 1.4\n    2.1      1.5\n" in result.stdout
    assert "    3a       2.3\n" in result.stdout
    assert "    Property 1: A new commit restarts the checks: 1.1, 1.2 -> 1, 2.2\n" in result.stdout
    assert "    Property 3: The status follows the checks: 3.1, 3.2 -> 4\n" in result.stdout
    assert report["by_task"] == {
        "1": ["1.1", "1.2", "1.3", "1.4"],
        "2.1": ["1.5"],
        "2.2": ["1.1", "1.2"],
        "3": ["2.1", "2.2"],
        "3a": ["2.3"],
        "4": ["2.3", "3.1", "3.2"],
    }
    assert report["by_design"] == {
        "Property 1: A new commit restarts the checks": ["1.1", "1.2"],
        "Property 2: Reports expire": ["2.2"],
        "Property 3: The status follows the checks": ["3.1", "3.2"],
    }
    assert report["design_tasks"] == {
        "Property 1: A new commit restarts the checks": ["1", "2.2"],
        "Property 2: Reports expire": ["3"],
        "Property 3: The status follows the checks": ["4"],
    }
    # every finding of the Kiro-dialect fixture is a true one: only the design coverage gaps
    result = spec("lint", "--json")
    assert result.returncode == 0, result.stderr
    codes = [p["code"] for p in json.loads(result.stdout)["specs"][0]["problems"]]
    assert codes == ["TRC004"] * 5


def test_approve_with_errors_needs_force_in_a_subprocess(workspace):
    add_corpus(workspace, "malformed")
    add_corpus(workspace, "good-ears")
    env = {**os.environ, "PYTHONPATH": str(REPO)}

    def spec(*argv):
        return subprocess.run(
            [sys.executable, "-m", "workbench", "spec", *argv], cwd=workspace, env=env, capture_output=True, text=True, timeout=60
        )

    result = spec("approve", "malformed", "requirements", "--who", "ann")
    assert result.returncode == 1
    assert "refused: requirements.md has" in result.stderr and "--force" in result.stderr
    assert ".workbench/specs/malformed/requirements.md:15: error REQ010" in result.stderr
    assert ApprovalStore.for_workspace(workspace).load() == []
    result = spec("approve", "malformed", "requirements", "--who", "ann", "--force")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("approved malformed requirements")
    # a clean document needs no --force
    result = spec("approve", "good-ears", "requirements", "--who", "ann")
    assert result.returncode == 0, result.stderr
    assert [r.spec for r in ApprovalStore.for_workspace(workspace).load()] == ["malformed", "good-ears"]


def test_lint_lists_errors_first_with_counts_per_spec(workspace):
    add_corpus(workspace, "malformed")
    add_corpus(workspace, "good-ears")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run(
        [sys.executable, "-m", "workbench", "spec", "lint"], cwd=workspace, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0] == "== good-ears: 0 error(s), 0 warning(s)"
    head = lines.index(next(line for line in lines if line.startswith("== malformed: ")))
    body = [line for line in lines[head + 1 : -1]]
    errors = sum(" error " in line for line in body)
    warnings = sum(" warning " in line for line in body)
    assert lines[head] == f"== malformed: {errors} error(s), {warnings} warning(s)" and errors and warnings
    assert [" error " in line for line in body] == [True] * errors + [False] * warnings
    assert lines[-1] == f"2 spec(s): {errors} error(s), {warnings} warning(s)"
    result = subprocess.run(
        [sys.executable, "-m", "workbench", "spec", "lint", "--json"],
        cwd=workspace,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    data = json.loads(result.stdout)
    malformed = next(s for s in data["specs"] if s["name"] == "malformed")
    assert (malformed["errors"], malformed["warnings"]) == (errors, warnings)
    assert [p["severity"] for p in malformed["problems"]] == ["error"] * errors + ["warning"] * warnings
