"""Core of the review screen: comments store, snapshots and diff, review actions, overview rows,
the watchfiles watcher; all on real files (``WORKBENCH_HOME`` is a tmp dir per test)."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import pytest

from workbench.core.specs.comments import Comment, CommentStore, CommentStoreError, format_comments
from workbench.core.specs.discovery import find_spec
from workbench.core.specs.models import WorkflowError
from workbench.core.specs.overview import spec_rows
from workbench.core.specs.review import (
    ReviewStores,
    add_comment,
    approve_doc,
    diff_since_review,
    load_review,
    request_changes,
)
from workbench.core.specs.snapshots import SnapshotStore, unified_diff
from workbench.core.specs.watch import SpecWatcher

CORPUS = Path(__file__).parent / "corpus"


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    for name in ("good-ears", "malformed"):
        shutil.copytree(CORPUS / name, tmp_path / ".workbench" / "specs" / name)
    return tmp_path


def test_comment_store_round_trip_and_mark_sent(tmp_path):
    store = CommentStore(tmp_path / "c.json")
    assert store.load() == []
    a = store.add("s", "requirements", "  be precise ", requirement=1, criterion="1.2", line=20, who="ann")
    b = store.add("s", "design", "why?", line=7)
    store.add("other", "requirements", "x")
    assert a.text == "be precise" and a.anchor == "1.2 (line 20)" and b.anchor == "line 7"
    assert [c.id for c in store.for_spec("s")] == [a.id, b.id]
    assert [c.id for c in store.for_spec("s", "requirements", "pending")] == [a.id]
    store.mark_sent([a.id], "2025-01-01T00:00:00+00:00")
    (sent,) = store.for_spec("s", "requirements")
    assert (sent.state, sent.sent_with) == ("sent", "2025-01-01T00:00:00+00:00")
    assert format_comments([sent, b]) == "- 1.2 (line 20): be precise\n- line 7: why?"
    with pytest.raises(ValueError, match="needs some text"):
        store.add("s", "requirements", "   ")
    with pytest.raises(ValueError, match="unknown spec document"):
        store.add("s", "readme", "x")


def test_comment_store_malformed_file_names_the_file(tmp_path):
    path = tmp_path / "c.json"
    path.write_text('{"comments": [{"id": "1"}]}')
    with pytest.raises(CommentStoreError, match=r"c\.json is not a valid comments file .*lacks the field"):
        CommentStore(path).load()
    with pytest.raises(ValueError, match="unknown state"):
        Comment.from_dict({"id": "1", "spec": "s", "doc": "tasks", "text": "t", "state": "odd"})


def test_snapshots_are_content_addressed(tmp_path):
    store = SnapshotStore(tmp_path / "snaps")
    digest = store.save(b"hello\n")
    assert store.save(b"hello\n") == digest and len(list((tmp_path / "snaps").iterdir())) == 1
    assert store.load(digest) == b"hello\n"
    assert store.load("0" * 64) is None and store.load("../x") is None
    assert unified_diff("a\nb\n", "a\nc\n", "old", "new") == ["--- old", "+++ new", "@@ -1,2 +1,2 @@", " a", "-b", "+c"]
    assert unified_diff("same", "same", "o", "n") == []


def test_review_flow_approve_request_changes_diff(ws):
    spec = find_spec(ws, "good-ears")
    stores = ReviewStores.for_workspace(ws)
    with pytest.raises(WorkflowError, match="cannot approve design before requirements is approved"):
        approve_doc(spec, "design", stores)
    with pytest.raises(WorkflowError, match="no earlier revision of requirements is stored"):
        diff_since_review(spec, "requirements", stores)
    with pytest.raises(WorkflowError, match="no pending comment on requirements"):
        request_changes(spec, "requirements", stores)
    add_comment(spec, "requirements", stores, "name the hash", requirement=1, criterion="1.1", line=22)
    record, sent = request_changes(spec, "requirements", stores, who="rev")
    assert record.action == "request_changes" and record.note == "- 1.1 (line 22): name the hash"
    assert [c.state for c in sent] == ["pending"] and stores.comments.load()[0].state == "sent"
    path = spec.path("requirements")
    path.write_text(path.read_text().replace("salted hashes", "argon2id hashes"), encoding="utf-8")
    diff = diff_since_review(spec, "requirements", stores)
    assert diff.record is not None and diff.record.action == "request_changes"
    assert "-1. THE Auth_Service SHALL store passwords as salted hashes." in diff.lines
    assert "+1. THE Auth_Service SHALL store passwords as argon2id hashes." in diff.lines
    approved = approve_doc(spec, "requirements", stores, who="rev")
    assert stores.snapshots.load(approved.sha256) == path.read_bytes()
    assert diff_since_review(spec, "requirements", stores).lines == []
    data = load_review(spec, stores)
    assert data.statuses["requirements"].state == "approved"
    assert [c.text for c in data.comments] == ["name the hash"]
    assert data.texts["tasks"].startswith("# Implementation Plan")


def test_load_review_survives_malformed_documents_and_stores(ws):
    spec = find_spec(ws, "malformed")
    stores = ReviewStores.for_workspace(ws)
    stores.approvals.path.parent.mkdir(parents=True, exist_ok=True)
    stores.approvals.path.write_text("not json")
    stores.comments.path.write_text("[]")
    data = load_review(spec, stores)
    codes = {p.code for p in data.problems}
    assert {"REQ003", "SPEC002"} <= codes
    assert any(p.file == str(stores.approvals.path) for p in data.problems)
    assert any(p.file == str(stores.comments.path) for p in data.problems)
    by_line = data.problems_by_line("requirements")
    assert all(p.line == line for line, ps in by_line.items() for p in ps)
    assert data.bundle.requirements is not None and data.bundle.requirements.requirements


def test_spec_rows_states_and_progress(ws):
    stores = ReviewStores.for_workspace(ws)
    approve_doc(find_spec(ws, "good-ears"), "requirements", stores)
    rows, error = spec_rows(ws)
    assert error is None
    by_key = {r.spec.key: r for r in rows}
    assert by_key["good-ears"].states == {"requirements": "approved", "design": "draft", "tasks": "draft"}
    assert (by_key["good-ears"].done, by_key["good-ears"].total) == (2, 6)
    stores.approvals.path.write_text("{}")
    rows, error = spec_rows(ws)
    assert "not a valid approvals file" in error and len(rows) == 2
    assert json.loads(stores.approvals.path.read_text()) == {}


async def test_watcher_reports_changed_documents_and_stops(ws):
    root = ws / ".workbench" / "specs" / "good-ears"
    watcher = SpecWatcher(root)
    batches: list[set[str]] = []

    async def consume() -> None:
        async for docs in watcher:
            batches.append(docs)

    task = asyncio.create_task(consume())
    await asyncio.sleep(0.3)
    (root / "notes.txt").write_text("ignored")
    (root / "tasks.md").write_text((root / "tasks.md").read_text() + "\n")
    loop = asyncio.get_running_loop()
    end = loop.time() + 5
    while not batches and loop.time() < end:
        await asyncio.sleep(0.02)
    assert batches and batches[0] == {"tasks"}
    started = loop.time()
    watcher.stop()
    await asyncio.wait_for(task, 2)
    assert loop.time() - started < 1


def test_load_review_reuses_the_check_while_the_files_are_unchanged(ws):
    from workbench.core.specs.review import forget_checked
    from workbench.core.specs.tasks import set_task_state

    spec = find_spec(ws, "good-ears")
    stores = ReviewStores.for_workspace(ws)
    forget_checked()
    first = load_review(spec, stores)
    again = load_review(spec, stores)
    assert again.bundle is first.bundle and again.trace is first.trace
    assert again.problems == first.problems and again.problems is not first.problems

    set_task_state(spec.path("tasks"), "2.2", "done")  # same size, same second: content decides
    ticked = load_review(spec, stores)
    assert ticked.bundle is not first.bundle
    assert ticked.bundle.tasks.get("2.2").state == "done" and "- [x] 2.2" in ticked.texts["tasks"]
    forget_checked()
    assert load_review(spec, stores).bundle is not ticked.bundle
