"""Pilot tests of the model-driven spec flows: ``n`` (new spec, streamed draft), ``g`` (generate,
refused out of order, revise with comments + diff), ``s`` (start a task, confirm it done)."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

from workbench.core.specs.comments import CommentStore
from workbench.core.specs.store import ApprovalStore
from workbench.scripted.server import Reply
from workbench.ui.specs.dialogs import ConfirmTaskScreen, NewSpecScreen
from workbench.ui.specs.review_screen import SpecReviewScreen

from .conftest import make_app, open_review, pane_loaded, spec_path, type_text, wait_ready, wait_until

DRAFTS = Path(__file__).parents[2] / "specs" / "drafts"
REQUIREMENTS = (DRAFTS / "requirements.md").read_text()


def message(screen) -> str:
    return str(screen.query_one("#review-message").render())


def chat_bodies(server) -> list[dict]:
    return [r["body"] for r in server.requests if r["path"].endswith("/chat/completions")]


def user_text(body: dict) -> str:
    return "\n".join(str(m.get("content") or "") for m in body["messages"] if m["role"] == "user")


async def spec_events(app) -> list:
    chat = app.services.chat
    if chat.session is None:
        return []
    return [e for e in await app.services.store.events(chat.session.id) if e.kind.startswith("spec.")]


async def test_n_creates_a_spec_and_streams_the_draft(workspace, server):
    server.enqueue(Reply(text=REQUIREMENTS, tokens_per_second=80))  # ~2.5 s of streaming
    app = make_app(workspace, server)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(app)
        await pane_loaded(app)
        await pilot.press("alt+2", "n")
        await wait_until(pilot, lambda: isinstance(app.screen, NewSpecScreen))
        await type_text(pilot, "note-export")
        await pilot.press("enter")
        await type_text(pilot, "export my notes as one file")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, SpecReviewScreen))
        screen = app.screen
        path = spec_path(workspace, "note-export", "requirements")
        view = screen.view("requirements")
        # streamed into the document view before the file exists
        await wait_until(pilot, lambda: screen.drafting == "requirements" and len(view.rows) > 3, step=0.02)
        assert not path.exists()
        assert "drafting requirements.md" in message(screen)
        partial = len(view.rows)
        await wait_until(pilot, lambda: screen.drafting is None and path.exists())
        assert path.read_text() == REQUIREMENTS
        await wait_until(pilot, lambda: screen.data is not None and screen.data.texts["requirements"] == REQUIREMENTS)
        assert len(view.rows) > partial and view.text() == REQUIREMENTS.rstrip("\n")
        assert screen.data.statuses["requirements"].state == "in_review"
        assert [p for p in screen.data.problems] == []  # the fixture draft is lint-clean
        assert "Drafted requirements.md" in message(screen)
        assert "export my notes as one file" in user_text(chat_bodies(server)[0])
        assert [e.kind for e in await spec_events(app)] == ["spec.drafted"]
        await pilot.press("escape")
        pane = app.pane("specs")
        await wait_until(pilot, lambda: any(r.spec.key == "note-export" for r in pane.rows))


async def test_new_spec_modal_checks_the_name(workspace, server):
    app = make_app(workspace, server)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(app)
        await pane_loaded(app)
        await pilot.press("alt+2", "n")
        await wait_until(pilot, lambda: isinstance(app.screen, NewSpecScreen))
        await type_text(pilot, "bad/name")
        await pilot.press("enter")
        await type_text(pilot, "an idea")
        await pilot.press("enter")
        assert isinstance(app.screen, NewSpecScreen)
        assert "Invalid name" in str(app.screen.query_one("#new-spec-error").render())
        await pilot.press("escape")
        assert not isinstance(app.screen, NewSpecScreen)
        assert not (workspace / ".workbench" / "specs").exists()


async def test_g_refuses_design_before_requirements_approved(spec_workspace, server):
    app = make_app(spec_workspace, server)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_review(app, pilot, "user-login")
        before = len(chat_bodies(server))
        design = spec_path(spec_workspace, "user-login", "design").read_bytes()
        await pilot.press("right_square_bracket")  # Design tab
        assert screen.doc == "design"
        await pilot.press("g")
        await wait_until(pilot, lambda: "Not generated" in message(screen))
        assert "cannot generate design before requirements is approved" in message(screen)
        assert len(chat_bodies(server)) == before  # nothing reached the model
        assert spec_path(spec_workspace, "user-login", "design").read_bytes() == design


async def test_g_revises_with_comments_and_shows_the_diff(spec_workspace, server):
    path = spec_path(spec_workspace, "user-login", "requirements")
    revised = path.read_text().replace("within\n   200 ms.", "within\n   100 ms.")
    server.enqueue(Reply(text=revised))
    app = make_app(spec_workspace, server)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_review(app, pilot, "user-login")
        screen.outline.focus()
        await pilot.press("down", "down")  # criterion 1.2
        assert screen.outline.key == ("crit", "1.2")
        loads = screen.load_count
        await pilot.press("c")
        await type_text(pilot, "make it 100 ms")
        await pilot.press("enter")
        await wait_until(pilot, lambda: screen.load_count > loads and screen.data.comments)
        await pilot.press("g")
        await wait_until(pilot, lambda: "Revised requirements.md" in message(screen))
        assert path.read_text() == revised
        assert screen.active_tab == "diff"
        diff = screen.view("diff").text().splitlines()
        assert "-   200 ms." in diff and "+   100 ms." in diff
        request = user_text(chat_bodies(server)[-1])
        assert "make it 100 ms" in request and "On criterion 1.2" in request
        assert [c.state for c in CommentStore.for_workspace(spec_workspace).load()] == ["sent"]
        assert ApprovalStore.for_workspace(spec_workspace).load()[-1].action == "submit_review"
        # d later shows the same revision against the previous text
        await pilot.press(
            "left_square_bracket", "left_square_bracket", "left_square_bracket", "left_square_bracket", "left_square_bracket"
        )
        assert screen.active_tab == "requirements"
        await pilot.press("d")
        await wait_until(pilot, lambda: "Diff of requirements since the draft" in message(screen))
        assert "+   100 ms." in screen.view("diff").text().splitlines()


async def test_a_records_an_approval_event(spec_workspace, server):
    app = make_app(spec_workspace, server)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_review(app, pilot, "user-login")
        await pilot.press("a")
        await wait_until(pilot, lambda: "Approved requirements" in message(screen))
        (event,) = await spec_events(app)
        record = ApprovalStore.for_workspace(spec_workspace).load()[-1]
        assert event.kind == "spec.approved"
        assert event.payload["sha256"] == record.sha256 and event.payload["who"] == record.who


def _note_spec(workspace: Path, tasks: str | None = None) -> Path:
    folder = workspace / ".workbench" / "specs" / "note-export"
    shutil.copytree(DRAFTS, folder)
    if tasks is not None:
        (folder / "tasks.md").write_text(tasks)
    return folder


async def _tasks_tab(pilot, screen, task_id: str) -> None:
    await pilot.press("right_square_bracket", "right_square_bracket")
    assert screen.active_tab == "tasks"
    view = screen.view("tasks")
    view.move_cursor(view.index_of(task_id))
    await pilot.pause()
    assert view.key == task_id


async def test_s_starts_a_task_and_y_confirms_it(workspace, server):
    folder = _note_spec(workspace)
    tasks_path = folder / "tasks.md"
    original = tasks_path.read_bytes()
    during: list[str] = []

    def reply(body: dict) -> Reply:
        during.append(tasks_path.read_text())
        return Reply(text="Implemented export_notes; tests pass.", tokens_per_second=200)

    server.default = reply
    app = make_app(workspace, server)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_review(app, pilot, "note-export")
        await _tasks_tab(pilot, screen, "1")
        await pilot.press("s")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmTaskScreen))
        assert during and "- [-] 1. Write the exporter" in during[0]  # [-] while the agent worked
        assert tasks_path.read_bytes() == original.replace(b"- [ ] 1.", b"- [-] 1.")
        prompt = next(user_text(b) for b in chat_bodies(server) if "Implement task 1" in user_text(b))
        assert "Write the exporter" in prompt and "Create export.py with export_notes" in prompt
        assert (
            "1.1: WHEN the user runs the export command, THE Note_Exporter SHALL write every note to one Markdown file." in prompt
        )
        assert "## Design (design.md)" in prompt
        await pilot.press("y")
        await wait_until(pilot, lambda: b"- [x] 1." in tasks_path.read_bytes())
        assert tasks_path.read_bytes() == original.replace(b"- [ ] 1.", b"- [x] 1.")  # only that line
        await wait_until(pilot, lambda: "Task 1 done" in message(screen))
        states = [(e.payload["task"], e.payload["state"]) for e in await spec_events(app)]
        assert states == [("1", "in_progress"), ("1", "done")]


async def test_s_then_n_keeps_the_task_in_progress(workspace, server):
    folder = _note_spec(workspace)
    server.default = Reply(text="Half done.")
    app = make_app(workspace, server)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_review(app, pilot, "note-export")
        await _tasks_tab(pilot, screen, "2")
        await pilot.press("s")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmTaskScreen))
        await pilot.press("n")
        await wait_until(pilot, lambda: "Task 2 stays in progress" in message(screen))
        assert "- [-] 2. Ask before replacing" in (folder / "tasks.md").read_text()


async def test_s_refused_while_another_task_is_in_progress(workspace, server):
    tasks = (DRAFTS / "tasks.md").read_text().replace("- [ ] 2. Ask", "- [-] 2. Ask")
    folder = _note_spec(workspace, tasks)
    app = make_app(workspace, server)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_review(app, pilot, "note-export")
        before = len(chat_bodies(server))
        await _tasks_tab(pilot, screen, "1")
        await pilot.press("s")
        await wait_until(pilot, lambda: "Task not started" in message(screen))
        assert "task 2 (Ask before replacing) is in progress" in message(screen)
        assert (folder / "tasks.md").read_text() == tasks
        await asyncio.sleep(0.2)
        assert len(chat_bodies(server)) == before
        assert not app.services.chat.running
