"""Workflow state machine: transitions, refusals, staleness and git drift (real git)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from workbench.core.specs.models import Spec, WorkflowError
from workbench.core.specs.workflow import (
    ApprovalRecord,
    arecord_for_approval,
    can_approve,
    can_generate,
    compute_status,
    doc_hashes,
    files_changed_since,
    git_head,
    record_for_approval,
)

CORPUS = Path(__file__).parent / "corpus"


def git(cwd: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", "-c", "user.name=Test", "-c", "user.email=test@example.com", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


@pytest.fixture
def spec(tmp_path) -> Spec:
    root = tmp_path / ".workbench" / "specs" / "login"
    root.mkdir(parents=True)
    shutil.copy(CORPUS / "good-ears" / "requirements.md", root / "requirements.md")
    return Spec("login", root, "workbench", tmp_path)


def states(spec: Spec, records) -> dict[str, str]:
    return {doc: s.state for doc, s in compute_status(records, doc_hashes(spec), spec.key).items()}


def test_draft_review_changes_approve(spec):
    records: list[ApprovalRecord] = []
    assert states(spec, records) == {"requirements": "draft", "design": "missing", "tasks": "missing"}
    records.append(record_for_approval(spec, "requirements", "ann", action="submit_review"))
    assert states(spec, records)["requirements"] == "in_review"
    records.append(record_for_approval(spec, "requirements", "bob", action="request_changes", note="split 1.2"))
    status = compute_status(records, doc_hashes(spec))["requirements"]
    assert status.state == "draft" and "split 1.2" in status.reason and "bob" in status.reason
    records.append(record_for_approval(spec, "requirements", "bob"))
    status = compute_status(records, doc_hashes(spec))["requirements"]
    assert status.state == "approved" and status.approval.who == "bob"
    assert status.approval.sha256 == status.current_hash


def test_generation_and_approval_refused_out_of_order(spec):
    records: list[ApprovalRecord] = []
    statuses = compute_status(records, doc_hashes(spec))
    gate = can_generate("design", statuses)
    assert not gate.allowed and "before requirements is approved" in gate.reason and "draft" in gate.reason
    with pytest.raises(WorkflowError, match="cannot generate design"):
        gate.require()
    assert can_generate("requirements", statuses).allowed
    assert "cannot generate tasks before requirements" in can_generate("tasks", statuses).reason
    assert "does not exist" in can_approve("design", statuses).reason

    records.append(record_for_approval(spec, "requirements", "ann"))
    statuses = compute_status(records, doc_hashes(spec))
    assert can_generate("design", statuses).allowed
    gate = can_generate("tasks", statuses)
    assert not gate.allowed and "before design is approved" in gate.reason and "missing" in gate.reason
    with pytest.raises(ValueError):
        can_generate("code", statuses)


def test_edit_after_approval_makes_it_and_later_stages_stale(spec):
    shutil.copy(CORPUS / "good-ears" / "design.md", spec.root / "design.md")
    shutil.copy(CORPUS / "good-ears" / "tasks.md", spec.root / "tasks.md")
    records = [record_for_approval(spec, doc, "ann") for doc in ("requirements", "design", "tasks")]
    assert set(states(spec, records).values()) == {"approved"}

    # editing a task's text makes tasks (only) stale; undoing the edit approves it again
    path = spec.path("tasks")
    approved = path.read_bytes()
    path.write_bytes(approved.replace(b"2.2 ", b"2.2 Really ", 1))
    assert states(spec, records) == {"requirements": "approved", "design": "approved", "tasks": "stale"}
    path.write_bytes(approved)
    assert states(spec, records)["tasks"] == "approved"

    # editing requirements: everything downstream is stale
    with spec.path("requirements").open("a", encoding="utf-8") as handle:
        handle.write("\n3. THE Auth_Service SHALL log out idle users.\n")
    statuses = compute_status(records, doc_hashes(spec))
    assert [s.state for s in statuses.values()] == ["stale", "stale", "stale"]
    assert "changed since it was approved" in statuses["requirements"].reason
    assert "requirements is stale" in statuses["design"].reason
    assert not can_generate("design", statuses).allowed

    # re-approving requirements with new content leaves design and tasks stale
    records.append(record_for_approval(spec, "requirements", "ann"))
    statuses = compute_status(records, doc_hashes(spec))
    assert [s.state for s in statuses.values()] == ["approved", "stale", "stale"]
    assert "approved again with new content" in statuses["design"].reason
    assert "design is stale" in statuses["tasks"].reason

    records.append(record_for_approval(spec, "design", "ann"))
    records.append(record_for_approval(spec, "tasks", "ann"))
    assert set(states(spec, records).values()) == {"approved"}


def test_records_of_other_specs_are_ignored(spec):
    other = ApprovalRecord("other", "requirements", "approve", "0" * 64, None, "x", "t")
    assert states(spec, [other])["requirements"] == "draft"
    with pytest.raises(ValueError, match="unknown action"):
        ApprovalRecord.from_dict({**other.to_dict(), "action": "bless"})
    assert ApprovalRecord.from_dict(other.to_dict()) == other


def test_record_outside_git_has_no_commit(spec):
    record = record_for_approval(spec, "requirements", "ann")
    assert record.commit is None and record.spec == "login" and record.ts.endswith("+00:00")
    assert files_changed_since(record, spec.workspace) == []
    with pytest.raises(WorkflowError, match="does not exist"):
        record_for_approval(spec, "design", "ann")
    kiro = Spec("login", spec.root, "kiro", spec.workspace)
    assert record_for_approval(kiro, "requirements", "ann").spec == "kiro/login"


def test_git_commit_and_files_changed_since(spec):
    ws = spec.workspace
    git(ws, "init", "-q")
    assert git_head(ws) is None  # no commit yet
    (ws / "app.py").write_text("print(1)\n")
    git(ws, "add", "-A")
    git(ws, "commit", "-qm", "first")
    head = git(ws, "rev-parse", "HEAD")
    record = record_for_approval(spec, "requirements", "ann")
    assert record.commit == head
    assert files_changed_since(record, ws) == []
    (ws / "app.py").write_text("print(2)\n")
    spec.path("requirements").write_text("changed\n")
    assert files_changed_since(record, ws) == [".workbench/specs/login/requirements.md", "app.py"]
    bogus = ApprovalRecord(**{**record.to_dict(), "commit": "f" * 40})
    assert files_changed_since(bogus, ws) == []


async def test_async_record(spec):
    record = await arecord_for_approval(spec, "requirements", "ann", "submit_review")
    assert record.action == "submit_review"


def test_ticking_tasks_keeps_the_approval_of_tasks(spec):
    """Checkbox states are progress: ticking (any state) keeps tasks.md approved; edits do not."""
    from workbench.core.specs.tasks import set_task_state

    shutil.copy(CORPUS / "good-ears" / "design.md", spec.root / "design.md")
    shutil.copy(CORPUS / "good-ears" / "tasks.md", spec.root / "tasks.md")
    records = [record_for_approval(spec, doc, "ann") for doc in ("requirements", "design", "tasks")]
    assert records[2].content_sha256 and records[0].content_sha256 is None
    path = spec.path("tasks")
    approved = path.read_bytes()

    set_task_state(path, "2.2", "done")
    set_task_state(path, "1", "in_progress")
    assert path.read_bytes() != approved
    statuses = compute_status(records, doc_hashes(spec))
    assert [s.state for s in statuses.values()] == ["approved", "approved", "approved"]
    assert "only task checkboxes changed" in statuses["tasks"].reason
    assert statuses["tasks"].current_hash != records[2].sha256  # the bytes did change

    # any other edit, even next to a ticked box, makes it stale
    ticked = path.read_bytes()
    path.write_bytes(ticked.replace(b"2.2 ", b"2.2 Also ", 1))
    assert states(spec, records)["tasks"] == "stale"
    path.write_bytes(ticked.replace(b"]", b"]*", 1))  # marking a task optional is an edit too
    assert states(spec, records)["tasks"] == "stale"
    path.write_bytes(ticked)
    assert states(spec, records)["tasks"] == "approved"

    # the record survives the store's JSON round trip
    again = ApprovalRecord.from_dict(records[2].to_dict())
    assert compute_status([*records[:2], again], doc_hashes(spec))["tasks"].state == "approved"


def test_ticking_is_an_edit_for_records_without_a_content_hash(spec):
    """An approval recorded before ``content_sha256`` existed compares whole bytes, as it did then."""
    from dataclasses import replace

    from workbench.core.specs.tasks import set_task_state

    shutil.copy(CORPUS / "good-ears" / "design.md", spec.root / "design.md")
    shutil.copy(CORPUS / "good-ears" / "tasks.md", spec.root / "tasks.md")
    records = [record_for_approval(spec, doc, "ann") for doc in ("requirements", "design", "tasks")]
    records[2] = replace(records[2], content_sha256=None)
    assert states(spec, records)["tasks"] == "approved"
    set_task_state(spec.path("tasks"), "2.2", "done")
    assert states(spec, records)["tasks"] == "stale"
