"""Drafting spec documents and running tasks with the scripted model: real services, real event
log, real files, real HTTP to ``ScriptedServer`` (``WORKBENCH_HOME`` is a tmp dir per test)."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import pytest

from workbench.core.config import load_settings
from workbench.core.runtime import start_services
from workbench.core.specs.bundle import check_spec, load_spec
from workbench.core.specs.discovery import find_spec
from workbench.core.specs.drafting import create_spec, draft
from workbench.core.specs.models import SpecError, TaskNotFoundError, WorkflowError
from workbench.core.specs.review import ReviewStores, add_comment, diff_since_review, load_review
from workbench.core.specs.tasks_run import finish_task, prepare_task, start_task
from workbench.core.specs.workflow_events import approve, request_changes
from workbench.scripted.server import Reply, ScriptedServer

DRAFTS = Path(__file__).parent / "drafts"
REQUIREMENTS = (DRAFTS / "requirements.md").read_text()
DESIGN = (DRAFTS / "design.md").read_text()
TASKS = (DRAFTS / "tasks.md").read_text()


@pytest.fixture
def server():
    with ScriptedServer(model="scripted-spec") as srv:
        yield srv


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    ws = tmp_path / "project"
    ws.mkdir()
    return ws


@pytest.fixture
async def services(ws, server):
    overrides = {
        "llm": {
            "base_url": server.base_url,
            "model": "scripted-spec",
            "api_key": "sk-test-spec-123456",
            "max_retries": 0,
            "timeout": 10,
        }
    }
    svc = await start_services(ws, load_settings(ws, overrides))
    yield svc
    await svc.aclose()


def chat_requests(server) -> list[dict]:
    return [r["body"] for r in server.requests if r["path"].endswith("/chat/completions")]


def user_text(body: dict) -> str:
    return "\n".join(m["content"] for m in body["messages"] if m["role"] == "user")


async def spec_events(services) -> list:
    return [e for e in await services.store.events(services.chat.session.id) if e.kind.startswith("spec.")]


def write_spec(ws: Path, name: str, **docs: str):
    folder = ws / ".workbench" / "specs" / name
    folder.mkdir(parents=True, exist_ok=True)
    for doc, text in docs.items():
        (folder / f"{doc}.md").write_text(text)
    return find_spec(ws, name)


async def test_draft_requirements_from_idea_streams_and_writes(ws, server, services):
    server.enqueue(Reply(text=REQUIREMENTS, chunk_chars=16))
    spec = await asyncio.to_thread(create_spec, ws, "note-export")
    stream = draft(services, spec, "requirements", idea="export my notes as one markdown file")
    chunks = [chunk async for chunk in stream]
    assert len(chunks) > 10 and "".join(chunks) == REQUIREMENTS
    assert spec.path("requirements").read_text() == REQUIREMENTS
    result = stream.result
    assert result is not None and not result.revision and result.diff == []
    # the request: the idea, the EARS dialect and the section names
    body = chat_requests(server)[-1]
    text = user_text(body)
    assert "export my notes as one markdown file" in text
    assert "WHEN <trigger>, THE <System_Name> SHALL <response>" in text and "## Glossary" in text
    assert "NoteExport" in text  # suggested system name
    # lint-clean, in review, event in the log
    problems, _ = check_spec(load_spec(find_spec(ws, "note-export")))
    assert problems == []
    data = load_review(spec, ReviewStores.for_workspace(ws))
    assert data.statuses["requirements"].state == "in_review"
    (event,) = await spec_events(services)
    assert event.kind == "spec.drafted"
    assert event.payload["doc"] == "requirements" and event.payload["sha256"] == result.sha256
    assert event.payload["revision"] is False and event.payload["previous_sha256"] is None


async def test_create_spec_rejects_bad_and_existing_names(ws):
    with pytest.raises(SpecError, match="invalid spec name"):
        create_spec(ws, "../evil")
    write_spec(ws, "taken", requirements=REQUIREMENTS)
    with pytest.raises(SpecError, match="already exists"):
        create_spec(ws, "taken")
    (ws / ".workbench" / "specs" / "empty").mkdir()
    assert create_spec(ws, "empty").root.name == "empty"  # an empty folder (failed draft) is reused


async def test_design_refused_before_requirements_approved(ws, server, services):
    spec = write_spec(ws, "note-export", requirements=REQUIREMENTS)
    with pytest.raises(WorkflowError, match="cannot generate design before requirements is approved: requirements is draft"):
        async for _ in draft(services, spec, "design"):
            pass
    with pytest.raises(WorkflowError, match="cannot generate tasks before requirements is approved"):
        async for _ in draft(services, spec, "tasks"):
            pass
    assert chat_requests(server) == []  # no request reached the model
    assert not spec.path("design").exists()


async def test_new_requirements_need_an_idea(ws, server, services):
    spec = create_spec(ws, "blank")
    with pytest.raises(WorkflowError, match="give a one-line idea"):
        async for _ in draft(services, spec, "requirements"):
            pass
    assert chat_requests(server) == []


async def test_revision_sends_comments_and_diffs_against_previous(ws, server, services):
    stores = ReviewStores.for_workspace(ws)
    spec = write_spec(ws, "note-export", requirements=REQUIREMENTS)
    first = add_comment(spec, "requirements", stores, "say which file name is used", requirement=1, criterion="1.1", line=19)
    second = add_comment(spec, "requirements", stores, "newest first please", requirement=2, criterion="2.1", line=29)
    revised = REQUIREMENTS.replace("oldest first", "newest first").replace(
        "to one Markdown file.", "to the file notes-export.md."
    )
    server.enqueue(Reply(text="```markdown\n" + revised + "```\n"))
    stream = draft(services, spec, "requirements")
    result = await stream.run()
    text = user_text(chat_requests(server)[-1])
    # the previous text and the comments with the criteria they are attached to
    assert "The current requirements.md, to revise:" in text and "oldest first" in text
    assert (
        'On criterion 1.1 ("WHEN the user runs the export command, THE Note_Exporter SHALL write every note to one Markdown file."): say which file name is used'
        in text
    )
    assert "On criterion 2.1" in text and "newest first please" in text
    # written without the fence; diff against the previous text
    assert spec.path("requirements").read_text() == revised
    assert result.revision and "-1. THE Note_Exporter SHALL order the notes by creation date, oldest first." in result.diff
    assert "+1. THE Note_Exporter SHALL order the notes by creation date, newest first." in result.diff
    # comments marked sent with the submit_review record
    comments = {c.id: c for c in stores.comments.load()}
    assert comments[first.id].state == "sent" and comments[second.id].state == "sent"
    assert comments[first.id].sent_with == result.record.ts
    # the review screen's diff (d) shows the revision against the previous text
    diff = diff_since_review(spec, "requirements", stores)
    assert diff.lines[2:] == result.diff[2:]
    (event,) = await spec_events(services)
    assert event.payload["revision"] is True and sorted(event.payload["comments"]) == sorted([first.id, second.id])


async def test_request_changes_then_revise_sends_the_requested_comments(ws, server, services):
    stores = ReviewStores.for_workspace(ws)
    spec = write_spec(ws, "note-export", requirements=REQUIREMENTS)
    add_comment(spec, "requirements", stores, "add a requirement for a progress bar", requirement=2)
    record, sent = await request_changes(services, spec, "requirements", stores, who="rev")
    assert [c.state for c in stores.comments.load()] == ["sent"]
    server.enqueue(Reply(text=REQUIREMENTS + "\n"))
    await draft(services, spec, "requirements", stores=stores).run()
    assert "add a requirement for a progress bar" in user_text(chat_requests(server)[-1])
    # answered: a further revision does not send them again
    server.enqueue(Reply(text=REQUIREMENTS))
    await draft(services, spec, "requirements", stores=stores).run()
    assert "progress bar" not in user_text(chat_requests(server)[-1])
    kinds = [e.kind for e in await spec_events(services)]
    assert kinds == ["spec.changes_requested", "spec.drafted", "spec.drafted"]
    assert (await spec_events(services))[0].payload["note"] == record.note


async def test_full_flow_approvals_are_events(ws, server, services):
    stores = ReviewStores.for_workspace(ws)
    spec = create_spec(ws, "note-export")
    server.enqueue(Reply(text=REQUIREMENTS), Reply(text=DESIGN), Reply(text=TASKS))
    await draft(services, spec, "requirements", idea="export notes", stores=stores).run()
    approved = await approve(services, spec, "requirements", stores, who="alice")
    await draft(services, spec, "design", stores=stores).run()
    design_request = user_text(chat_requests(server)[-1])
    assert "Approved requirements.md:" in design_request and "Note_Exporter SHALL ask before replacing it" in design_request
    assert "## Components and Interfaces" in design_request and "## Testing Strategy" in design_request
    with pytest.raises(WorkflowError, match="cannot generate tasks before design is approved: design is in_review"):
        await draft(services, spec, "tasks", stores=stores).run()
    assert len(chat_requests(server)) == 2
    await approve(services, spec, "design", stores, who="alice")
    await draft(services, spec, "tasks", stores=stores).run()
    tasks_request = user_text(chat_requests(server)[-1])
    assert "Approved design.md:" in tasks_request and "export_notes(workspace" in tasks_request
    assert "_Requirements: N.M_" in tasks_request
    assert load_review(spec, stores).statuses["tasks"].state == "in_review"
    events = await spec_events(services)
    assert [e.kind for e in events] == ["spec.drafted", "spec.approved", "spec.drafted", "spec.approved", "spec.drafted"]
    first = events[1]
    assert first.payload == {
        "spec": "note-export",
        "doc": "requirements",
        "sha256": approved.sha256,
        "commit": None,
        "who": "alice",
        "ts": approved.ts,
    }
    assert first.ts > 0 and first.session_id == services.chat.session.id


async def test_failed_stream_writes_nothing(ws, server, services):
    from workbench.core.llm.errors import LLMError
    from workbench.scripted.server import Fault

    spec = write_spec(ws, "note-export", requirements=REQUIREMENTS)
    server.enqueue(Fault(status=500))
    with pytest.raises(LLMError):
        await draft(services, spec, "requirements", idea="x").run()
    assert spec.path("requirements").read_text() == REQUIREMENTS
    assert ReviewStores.for_workspace(ws).approvals.load() == []


async def test_start_task_prompt_state_and_confirm(ws, server, services):
    spec = write_spec(ws, "note-export", requirements=REQUIREMENTS, design=DESIGN, tasks=TASKS)
    seen: list[str] = []

    def reply(body: dict) -> Reply:  # the model's turn: look at tasks.md while the turn runs
        seen.append(spec.path("tasks").read_text())
        return Reply(text="Done: export.py written, tests pass.")

    server.default = reply
    before = TASKS.encode()
    run = await start_task(services, spec, "1")
    after_start = spec.path("tasks").read_bytes()
    assert after_start == before.replace(b"- [ ] 1. Write", b"- [-] 1. Write")  # only that line
    outcome = await services.chat.send(run.prompt)
    assert outcome.status == "done"
    assert "- [-] 1. Write the exporter" in seen[0]  # in progress during the turn
    prompt = user_text(chat_requests(server)[-1])
    assert "Implement task 1 of the spec `note-export`" in prompt
    assert "- 1 Write the exporter" in prompt and "Create export.py with export_notes" in prompt
    assert (
        "- 1.1: WHEN the user runs the export command, THE Note_Exporter SHALL write every note to one Markdown file." in prompt
    )
    assert "- 2.1: THE Note_Exporter SHALL order the notes by creation date, oldest first." in prompt
    assert "Note_Exporter SHALL ask before replacing" not in prompt  # 1.2 is not cited by task 1
    assert "## Design (design.md)" in prompt and "export_notes(workspace: Path, target: Path) -> int" in prompt
    assert await finish_task(services, spec, "1", confirmed=True) == "done"
    assert spec.path("tasks").read_bytes() == before.replace(b"- [ ] 1. Write", b"- [x] 1. Write")
    states = [(e.payload["task"], e.payload["state"], e.payload["reason"]) for e in await spec_events(services)]
    assert states == [("1", "in_progress", "started"), ("1", "done", "confirmed done")]


async def test_declined_confirmation_keeps_in_progress(ws, server, services):
    spec = write_spec(ws, "note-export", requirements=REQUIREMENTS, design=DESIGN, tasks=TASKS)
    server.default = Reply(text="partly done")
    run = await start_task(services, spec, "2")
    await services.chat.send(run.prompt)
    assert await finish_task(services, spec, "2", confirmed=False) == "in_progress"
    assert "- [-] 2. Ask before replacing" in spec.path("tasks").read_text()
    # the same task may be started again (it is the one in progress)
    again = await start_task(services, spec, "2")
    assert again.task.id == "2"


async def test_one_task_at_a_time(ws, server, services):
    tasks = TASKS.replace("- [ ] 2. Ask", "- [-] 2. Ask")
    spec = write_spec(ws, "note-export", requirements=REQUIREMENTS, design=DESIGN, tasks=tasks)
    with pytest.raises(WorkflowError, match=r"cannot start task 1: task 2 \(Ask before replacing\) is in progress"):
        await start_task(services, spec, "1")
    assert spec.path("tasks").read_text() == tasks  # unchanged
    with pytest.raises(TaskNotFoundError, match="task 9 not found"):
        prepare_task(spec, "9", False)
    with pytest.raises(WorkflowError, match="the agent is running a turn"):
        prepare_task(spec, "2", True)
    assert chat_requests(server) == []


async def test_parent_in_progress_does_not_block_its_subtask(tmp_path):
    ws = tmp_path
    fixture = Path(__file__).parents[1] / "ui" / "specs" / "fixtures" / "user-login"
    shutil.copytree(fixture, ws / ".workbench" / "specs" / "user-login")
    spec = find_spec(ws, "user-login")
    run = prepare_task(spec, "2.2", False)  # task 2 is [-]: it is 2.2's parent
    assert "1.4: IF the credentials are wrong" in run.prompt
    with pytest.raises(WorkflowError, match="task 2 .* is in progress"):
        prepare_task(spec, "3", False)
    with pytest.raises(WorkflowError, match="already done"):
        prepare_task(spec, "2.1", False)
    # a parent task brings its sub-tasks' citations; a whole requirement ("2") all its criteria
    run2 = prepare_task(spec, "2", False)
    assert list(run2.cited) == ["1.2", "1.3", "1.4", "1.1"]
    from workbench.core.specs.requirements import load_requirements
    from workbench.core.specs.tasks_run import cited_criteria

    cited, unknown, _reqs = cited_criteria(load_requirements(spec.path("requirements")), ["2", "1.9"])
    assert list(cited) == ["2.1", "2.2", "2.3"] and unknown == ["1.9"]
    assert json.dumps(cited)


async def test_revision_that_is_not_the_same_kind_is_kept_beside(ws, server, services):
    """A requirements revision that came back as a tasks document does not replace requirements.md."""
    from workbench.core.specs.drafting import DraftRejectedError

    spec = write_spec(ws, "note-export", requirements=REQUIREMENTS)
    server.enqueue(Reply(text=TASKS, chunk_chars=64))
    stream = draft(services, spec, "requirements")
    with pytest.raises(DraftRejectedError) as caught:
        async for _chunk in stream:
            pass
    message = str(caught.value)
    assert "the model's requirements.md was not applied: it is not a requirements document" in message
    assert "it looks like a tasks document" in message and "requirements.draft.md" in message
    assert spec.path("requirements").read_text() == REQUIREMENTS
    assert caught.value.path == spec.path("requirements").with_name("requirements.draft.md")
    assert caught.value.path.read_text() == TASKS
    assert ReviewStores.for_workspace(ws).approvals.load() == []  # not put in review
    assert services.chat.session is None or await spec_events(services) == []  # no spec.drafted event


async def test_revision_that_drops_a_requirement_must_say_so(ws, server, services):
    from workbench.core.specs.drafting import DraftRejectedError

    spec = write_spec(ws, "note-export", requirements=REQUIREMENTS)
    head, _, _rest = REQUIREMENTS.partition("### Requirement 2")
    server.enqueue(Reply(text=head))
    with pytest.raises(DraftRejectedError, match=r"it drops requirement\(s\) 2 without saying so"):
        await draft(services, spec, "requirements").run()
    assert spec.path("requirements").read_text() == REQUIREMENTS
    # saying so in the text lets it through
    said = head + "\nRequirement 2 was removed: out of scope for this release.\n"
    server.enqueue(Reply(text=said))
    result = await draft(services, spec, "requirements").run()
    assert result.revision and spec.path("requirements").read_text() == said
