"""Pilot tests of the spec review screen keys, against real files and the real stores."""

from __future__ import annotations

import json

from workbench.core.paths import workspace_data_dir
from workbench.core.specs.comments import CommentStore
from workbench.core.specs.discovery import find_spec
from workbench.core.specs.snapshots import SnapshotStore
from workbench.core.specs.store import ApprovalStore
from workbench.ui.specs.review_screen import SpecReviewScreen

from .conftest import make_app, next_load, open_review, spec_path, type_text, wait_until


def message(screen) -> str:
    return str(screen.query_one("#review-message").render())


async def test_navigate_between_requirements(spec_workspace, server):
    app = make_app(spec_workspace, server)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_review(app, pilot, "user-login")
        assert screen.outline.key == ("req", 1)
        await pilot.press("j")
        assert screen.outline.key == ("req", 2)
        # the document follows: its cursor is on the "### Requirement 2" heading line
        doc = screen.view("requirements")
        assert doc.rows[doc.cursor].text == "### Requirement 2: Audit"
        await pilot.press("k")
        assert screen.outline.key == ("req", 1)
        await pilot.press("n", "p", "n")
        assert screen.outline.key == ("req", 2)
        # down in the outline walks the criteria; the document line follows
        screen.outline.focus()
        await pilot.press("down")
        assert screen.outline.key == ("crit", "2.1")
        assert doc.rows[doc.cursor].text.startswith("1. WHERE auditing is enabled")
        # ] switches tabs and j then moves between tasks
        await pilot.press("right_square_bracket", "right_square_bracket")
        assert screen.active_tab == "tasks"
        tasks = screen.view("tasks")
        first = tasks.key
        await pilot.press("j")
        assert tasks.key != first and tasks.key is not None


async def test_comment_on_requirement_is_stored_and_listed(spec_workspace, server):
    app = make_app(spec_workspace, server)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_review(app, pilot, "user-login")
        screen.outline.focus()
        await pilot.press("down", "down")  # criterion 1.2
        assert screen.outline.key == ("crit", "1.2")
        loads = screen.load_count
        await pilot.press("c")
        box = screen.query_one("#comment-input")
        assert app.focused is box
        assert "1.2" in box.placeholder
        await type_text(pilot, "say which hash")
        await pilot.press("enter")
        await next_load(pilot, screen, loads)
        assert box.has_class("-hidden")
        stored = json.loads((workspace_data_dir(spec_workspace) / "spec_comments.json").read_text())["comments"]
        assert len(stored) == 1
        assert stored[0] | {"id": "", "ts": ""} == {
            "id": "",
            "spec": "user-login",
            "doc": "requirements",
            "text": "say which hash",
            "requirement": 1,
            "criterion": "1.2",
            "line": 23,
            "who": "",
            "ts": "",
            "state": "pending",
            "sent_with": "",
        }
        assert "requirements 1.2 (line 23): say which hash" in screen.query_one("#comments").text()
        assert screen.query_one("#comments").border_title == "Comments (1 pending)"
        # the outline and the document gutter mark the commented places
        row = screen.outline.rows[screen.outline.index_of(("crit", "1.2"))]
        assert "*" in row.gutter
        assert "*" in screen.view("requirements").rows[22].gutter
        # escape closes the comment box first, then the screen
        await pilot.press("c")
        assert not box.has_class("-hidden")
        await pilot.press("escape")
        assert box.has_class("-hidden")
        assert isinstance(app.screen, SpecReviewScreen)
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, SpecReviewScreen))


async def test_approve_in_order_and_refuse_out_of_order(spec_workspace, server):
    app = make_app(spec_workspace, server)
    spec = find_spec(spec_workspace, "user-login")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_review(app, pilot, "user-login")
        # tasks before design: refused with the workflow's reason, nothing recorded
        await pilot.press("right_square_bracket", "right_square_bracket")
        assert screen.doc == "tasks"
        await pilot.press("a")
        await wait_until(pilot, lambda: "Not approved" in message(screen))
        assert "cannot approve tasks before requirements is approved" in message(screen)
        assert ApprovalStore.for_workspace(spec_workspace).load() == []
        # requirements: approved, with a snapshot of the text
        await pilot.press("left_square_bracket", "left_square_bracket")
        assert screen.doc == "requirements"
        loads = screen.load_count
        await pilot.press("a")
        await next_load(pilot, screen, loads)
        assert "Approved requirements" in message(screen)
        (record,) = ApprovalStore.for_workspace(spec_workspace).load()
        assert (record.spec, record.doc, record.action) == ("user-login", "requirements", "approve")
        assert SnapshotStore.for_workspace(spec_workspace).load(record.sha256) == spec.path("requirements").read_bytes()
        assert screen.data.statuses["requirements"].state == "approved"
        assert "requirements [" in str(screen.query_one("#review-status").render()) or "requirements approved" in str(
            screen.query_one("#review-status").render()
        )
        # tasks are still refused: design is not approved yet
        await pilot.press("right_square_bracket", "right_square_bracket")
        await pilot.press("a")
        await wait_until(pilot, lambda: "before design is approved" in message(screen))
        assert len(ApprovalStore.for_workspace(spec_workspace).load()) == 1


async def test_request_changes_carries_pending_comments(spec_workspace, server):
    app = make_app(spec_workspace, server)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_review(app, pilot, "user-login")
        await pilot.press("r")
        await wait_until(pilot, lambda: "no pending comment on requirements" in message(screen))
        await pilot.press("j")  # requirement 2
        loads = screen.load_count
        await pilot.press("c")
        await type_text(pilot, "add retention")
        await pilot.press("enter")
        await next_load(pilot, screen, loads)
        loads = screen.load_count
        await pilot.press("r")
        await next_load(pilot, screen, loads)
        assert "1 comment(s) sent" in message(screen)
        (record,) = ApprovalStore.for_workspace(spec_workspace).load()
        assert record.action == "request_changes"
        assert record.note == "- requirement 2 (line 28): add retention"
        (comment,) = CommentStore.for_workspace(spec_workspace).load()
        assert (comment.state, comment.sent_with) == ("sent", record.ts)
        assert screen.data.statuses["requirements"].state == "draft"
        assert screen.query_one("#comments").border_title == "Comments"


async def test_diff_against_last_review(spec_workspace, server):
    app = make_app(spec_workspace, server)
    path = spec_path(spec_workspace, "user-login", "requirements")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_review(
            app,
            pilot,
            "user-login",
        )
        await pilot.press("d")
        await wait_until(pilot, lambda: "No diff" in message(screen))
        assert "approve it or request changes first" in message(screen)
        loads = screen.load_count
        await pilot.press("a")
        await next_load(pilot, screen, loads)
        text = path.read_text().replace("within\n   200 ms.", "within\n   100 ms.")
        path.write_text(text, encoding="utf-8")
        await pilot.press("d")
        await wait_until(pilot, lambda: screen.active_tab == "diff")
        diff = screen.view("diff").text().splitlines()
        assert diff[0].startswith("--- requirements.md @ approve ")
        assert diff[1] == "+++ requirements.md (now)"
        assert "-   200 ms." in diff and "+   100 ms." in diff
        assert "1 changed line(s)" in message(screen) or "2 changed line(s)" in message(screen)


async def test_space_ticks_only_that_task_line(spec_workspace, server):
    app = make_app(spec_workspace, server)
    path = spec_path(spec_workspace, "user-login", "tasks")
    before = path.read_bytes()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_review(app, pilot, "user-login")
        await pilot.press("right_square_bracket", "right_square_bracket")
        tasks = screen.view("tasks")
        while tasks.key != "2.2":
            await pilot.press("j")
        loads = screen.load_count
        await pilot.press("space")
        await next_load(pilot, screen, loads)
        after = path.read_bytes()
        changed = [(a, b) for a, b in zip(before.split(b"\n"), after.split(b"\n")) if a != b]
        assert changed == [(b"  - [ ] 2.2 Show the error message", b"  - [-] 2.2 Show the error message")]
        assert len(after) == len(before)
        assert tasks.key == "2.2"  # the cursor stays on the task
        assert screen.data.bundle.tasks.get("2.2").state == "in_progress"
        loads = screen.load_count
        await pilot.press("space")
        await next_load(pilot, screen, loads)
        await wait_until(pilot, lambda: screen.data.bundle.tasks.get("2.2").state == "done")
        assert b"  - [x] 2.2 Show the error message" in path.read_bytes()
        # on another tab space explains where it works, and changes nothing
        await pilot.press("left_square_bracket")
        await pilot.press("space")
        await wait_until(pilot, lambda: "Tasks tab" in message(screen))


async def test_malformed_spec_lists_problems_with_file_and_line(spec_workspace, server):
    app = make_app(spec_workspace, server)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_review(app, pilot, "broken")
        counts, *problems = screen.view("problems").text().splitlines()
        assert any(p.startswith(".workbench/specs/broken/requirements.md:") and "REQ003" in p for p in problems)
        assert any(p.startswith(".workbench/specs/broken/tasks.md:") for p in problems)
        errors = sum(1 for p in problems if ": error " in p)
        assert counts == f"{errors} error(s), {len(problems) - errors} warning(s)"
        assert f" Problems ({errors} err, {len(problems) - errors} warn) " in str(screen.query_one("#review-tabbar").render())
        # errors first, then warnings
        severities = [p.split(": ", 1)[1].split()[0] for p in problems]
        assert "warning" in severities and severities == sorted(severities)
        # what parsed is still shown
        assert "1. Good enough" in screen.outline.text()
        # Enter on a problem jumps to its line in the document
        await pilot.press("right_square_bracket", "right_square_bracket", "right_square_bracket", "right_square_bracket")
        assert screen.active_tab == "problems"
        view = screen.view("problems")
        target = next(i for i, p in enumerate(problems) if "REQ003" in p)
        view.move_cursor(target + 1)  # row 0 is the counts line
        await pilot.press("enter")
        await wait_until(pilot, lambda: screen.active_tab == "requirements")
        line = int(problems[target].split(":")[1])
        assert screen.view("requirements").cursor == line - 1


async def test_every_tab_shows_its_own_view_alone_focused_and_painted(spec_workspace, server):
    # Only the requirements view is mounted with the screen; the others are made on first use.
    app = make_app(spec_workspace, server)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_review(app, pilot, "user-login")
        assert [v.id for v in screen.query("#review-switcher > LineView")] == ["view-requirements"]
        for tab in ("design", "tasks", "trace", "problems", "diff", "requirements", "tasks"):
            screen.activate(tab)
            await pilot.pause()
            view = screen.view(tab)
            shown = [v.id for v in screen.query("#review-switcher > LineView") if v.display]
            assert shown == [f"view-{tab}"] and screen.focused is view
            assert view.region.height > 0 and (view.rows or tab in ("diff", "problems"))  # the fixture spec has no problems
            first = view.rows[0].text if view.rows else view.empty.splitlines()[0]
            painted = "\n".join(str(line) for line in app.screen._compositor.render_strips())
            assert first.strip()[:30] in painted, (tab, first)
        await pilot.press("right_square_bracket")  # keys still walk the tabs in order
        assert screen.active_tab == "trace" and screen.focused is screen.view("trace")


async def test_approving_a_document_with_errors_asks_first(spec_workspace, server):
    from workbench.ui.plugins.modals import ConfirmModal

    app = make_app(spec_workspace, server)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_review(app, pilot, "broken")
        assert screen.doc == "requirements"
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        assert app.screen.title_text.startswith("Approve requirements.md with ")
        assert "REQ010" in app.screen.body
        await pilot.press("n")
        await wait_until(pilot, lambda: "Not approved" in message(screen))
        assert "has errors" in message(screen)
        assert ApprovalStore.for_workspace(spec_workspace).load() == []
        loads = screen.load_count
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        await pilot.press("y")
        await next_load(pilot, screen, loads)
        assert "Approved requirements" in message(screen)
        (record,) = ApprovalStore.for_workspace(spec_workspace).load()
        assert (record.spec, record.doc) == ("broken", "requirements")
