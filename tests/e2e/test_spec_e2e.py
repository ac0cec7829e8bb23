"""``workbench spec ...`` with ``--path`` after the sub-command, run from another folder."""

from __future__ import annotations

import json
import subprocess

REQUIREMENTS = """# Requirements Document

## Introduction

Login.

## Requirements

### Requirement 1: Login

**User Story:** As a user, I want to log in, so that I see my data.

#### Acceptance Criteria

1. WHEN the user submits valid credentials, THE System SHALL open the dashboard
"""


def test_spec_commands_take_path_after_the_subcommand(wb, e2e_ws) -> None:
    subprocess.run(["git", "init", "-q", str(e2e_ws)], check=True)
    new = wb("spec", "new", "user-login", "--idea", "log in", "--path", e2e_ws)
    assert new.returncode == 0, new.stderr
    req = e2e_ws / ".workbench" / "specs" / "user-login" / "requirements.md"
    assert req.is_file() and f"created {req}" in new.stdout
    req.write_text(REQUIREMENTS)

    listed = wb("spec", "list", "--json", "--path", e2e_ws)
    assert listed.returncode == 0, listed.stderr
    [row] = json.loads(listed.stdout)
    assert row["name"] == "user-login" and row["docs"]["requirements"] == "draft"
    before = wb("spec", "--path", e2e_ws, "list")  # before the sub-command works too
    assert before.returncode == 0 and "user-login" in before.stdout

    lint = wb("spec", "lint", "user-login", "--path", e2e_ws)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    assert "0 error(s)" in lint.stdout
    trace = wb("spec", "trace", "--json", "--path", e2e_ws)
    assert trace.returncode == 0 and json.loads(trace.stdout)[0]["name"] == "user-login"

    approved = wb("spec", "approve", "user-login", "requirements", "--who", "tester", "--path", e2e_ws)
    assert approved.returncode == 0, approved.stderr
    assert "approved user-login requirements" in approved.stdout and "by tester" in approved.stdout
    status = wb("spec", "status", "--json", "--path", e2e_ws)
    assert json.loads(status.stdout)[0]["docs"]["requirements"]["state"] == "approved"

    refused = wb("spec", "approve", "user-login", "tasks", "--path", e2e_ws)
    assert refused.returncode == 1 and "refused:" in refused.stderr
    dup = wb("spec", "new", "user-login", "--path", e2e_ws)
    assert dup.returncode == 2 and "already exists" in dup.stderr
    unknown = wb("spec", "lint", "nope", "--path", e2e_ws)
    assert unknown.returncode == 2 and "nope" in unknown.stderr


def test_spec_lint_exits_1_on_errors(wb, e2e_ws) -> None:
    folder = e2e_ws / ".workbench" / "specs" / "bad"
    folder.mkdir(parents=True)
    (folder / "requirements.md").write_text(
        "# Requirements Document\n\n## Requirements\n\n### Requirement 1: x\n\n"
        "#### Acceptance Criteria\n\n1. the system does things\n"
    )
    proc = wb("spec", "lint", "--path", e2e_ws)
    assert proc.returncode == 1
    assert "error" in proc.stdout
    assert proc.stderr.strip(), "a non-zero exit says why on stderr"
