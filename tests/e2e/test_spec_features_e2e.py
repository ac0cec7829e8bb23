"""The installed ``workbench spec`` commands of issue 20 against the scripted server (real streamed
HTTP): quick spec, bugfix spec, update-tasks, trace both ways, lint counts, ``.kiro/specs`` for new
specs; and the README's ``spec`` row naming exactly the sub-commands ``spec --help`` lists."""

from __future__ import annotations

import json
import re
from pathlib import Path

from workbench.scripted.server import Reply

from .conftest import README, llm_env

DRAFTS = Path(__file__).parents[1] / "specs" / "drafts"
REQUIREMENTS = (DRAFTS / "requirements.md").read_text()
DESIGN = (DRAFTS / "design.md").read_text()
TASKS = (DRAFTS / "tasks.md").read_text()


def test_readme_spec_row_matches_spec_help(wb) -> None:
    proc = wb("spec", "--help")
    assert proc.returncode == 0, proc.stderr
    listed = set(re.findall(r"^    ([a-z][a-z-]*)(?:\s|$)", proc.stdout, re.MULTILINE))
    row = next(line for line in README.read_text(encoding="utf-8").splitlines() if line.startswith("| `workbench spec "))
    named = set(re.match(r"\| `workbench spec ([a-z\\|-]+)`", row).group(1).split("\\|"))
    assert named == listed
    assert "update-tasks" in listed


def test_quick_spec_then_update_tasks_on_the_installed_wheel(wb, scripted, e2e_ws) -> None:
    (e2e_ws / ".kiro" / "steering").mkdir(parents=True)  # a Kiro workspace: new specs go to .kiro/specs
    env = llm_env(scripted) | {"WORKBENCH_LLM__MAX_RETRIES": "0"}
    scripted.enqueue(
        Reply(
            text=f"=== requirements.md ===\n{REQUIREMENTS}\n=== design.md ===\n{DESIGN}\n=== tasks.md ===\n{TASKS}",
            chunk_chars=50,
        )
    )
    quick = wb("spec", "new", "notes", "--quick", "--idea", "export notes", "--path", e2e_ws, env=env)
    assert quick.returncode == 0, quick.stderr
    folder = e2e_ws / ".kiro" / "specs" / "notes"
    for doc in ("requirements", "design", "tasks"):
        assert f"drafted {folder / f'{doc}.md'} ({doc}: in review)" in quick.stdout
    assert (folder / "tasks.md").read_text() == TASKS.strip() + "\n"

    trace = wb("spec", "trace", "notes", "--json", "--path", e2e_ws)
    assert trace.returncode == 0, trace.stderr
    [report] = json.loads(trace.stdout)
    assert report["name"] == "kiro/notes"
    assert report["by_task"] == {"1": ["1.1", "2.1"], "2": ["1.2"]}
    lint = wb("spec", "lint", "--path", e2e_ws)
    assert lint.stdout.splitlines()[0].startswith("== kiro/notes: ")

    (folder / "requirements.md").write_text(
        REQUIREMENTS
        + (
            "\n### Requirement 3: Titles\n\n**User Story:** As a reader, I want titles, so that I find notes.\n\n"
            "#### Acceptance Criteria\n\n1. THE Note_Exporter SHALL write each title as a heading.\n"
        )
    )
    proposed = TASKS + "\n- [ ] 3. Write the titles\n  - _Requirements: 3.1_\n"
    scripted.enqueue(Reply(text=proposed))
    shown = wb("spec", "update-tasks", "notes", "--path", e2e_ws, env=env)
    assert shown.returncode == 0, shown.stderr
    assert "+- [ ] 3. Write the titles" in shown.stdout
    assert (folder / "tasks.md").read_text() == TASKS.strip() + "\n"
    scripted.enqueue(Reply(text=proposed))
    applied = wb("spec", "update-tasks", "notes", "--yes", "--path", e2e_ws, env=env)
    assert applied.returncode == 0, applied.stderr
    assert (folder / "tasks.md").read_text() == proposed.strip() + "\n"
    [row] = json.loads(wb("spec", "list", "--json", "--path", e2e_ws).stdout)
    assert row["tasks"] == {"done": 0, "total": 3}
    [report] = json.loads(wb("spec", "trace", "notes", "--json", "--path", e2e_ws).stdout)
    assert report["uncovered"] == [] and report["by_task"]["3"] == ["3.1"]


def test_bugfix_spec_on_the_installed_wheel(wb, e2e_ws) -> None:
    new = wb("spec", "new", "crash", "--bugfix", "--idea", "export crashes on empty notebooks", "--path", e2e_ws)
    assert new.returncode == 0, new.stderr
    bugfix = e2e_ws / ".workbench" / "specs" / "crash" / "bugfix.md"
    assert new.stdout.strip() == f"created {bugfix}"
    lint = wb("spec", "lint", "crash", "--path", e2e_ws)
    assert lint.returncode == 0 and "== crash: 0 error(s), 0 warning(s)" in lint.stdout
    bugfix.write_text(bugfix.read_text().split("### Expected")[0])
    lint = wb("spec", "lint", "crash", "--path", e2e_ws)
    assert lint.returncode == 1
    assert "== crash: 2 error(s), 0 warning(s)" in lint.stdout
    assert "error BUG002" in lint.stdout and "error BUG003" in lint.stdout
    refused = wb("spec", "approve", "crash", "bugfix", "--path", e2e_ws)
    assert refused.returncode == 1 and "--force" in refused.stderr
    forced = wb("spec", "approve", "crash", "bugfix", "--force", "--who", "ann", "--path", e2e_ws)
    assert forced.returncode == 0 and forced.stdout.startswith("approved crash requirements")
