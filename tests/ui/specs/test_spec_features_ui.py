"""Pilot tests of issue 20's spec features in the TUI: the Specs pane's live reload and problem
counts, the Trace tab both ways, the Problems tab's counts line with errors first."""

from __future__ import annotations

from workbench.core.specs.bundle import check_spec, load_spec
from workbench.core.specs.discovery import find_spec

from .conftest import make_app, open_review, pane_loaded, wait_ready, wait_until

REQUIREMENTS = """# Requirements Document

## Introduction

Added while the app runs.

## Requirements

### Requirement 1: Added

**User Story:** As a user, I want it, so that it works.

#### Acceptance Criteria

1. WHEN the user asks, THE Added SHALL answer
"""


async def test_specs_pane_live_reloads_when_a_spec_is_written(spec_workspace, server):
    app = make_app(spec_workspace, server)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(app)
        await pane_loaded(app)
        pane = app.pane("specs")
        assert "added" not in pane.listing.text()
        folder = spec_workspace / ".workbench" / "specs" / "added"
        folder.mkdir()
        (folder / "requirements.md").write_text(REQUIREMENTS, encoding="utf-8")
        await wait_until(pilot, lambda: "added" in pane.listing.text())
        # an edit to a listed spec is picked up too: the tasks progress changes
        tasks = spec_workspace / ".workbench" / "specs" / "user-login" / "tasks.md"
        before = [line for line in pane.listing.text().splitlines() if line.startswith("user-login")]
        tasks.write_text(tasks.read_text(encoding="utf-8").replace("- [ ]", "- [x]"), encoding="utf-8")
        await wait_until(
            pilot, lambda: [line for line in pane.listing.text().splitlines() if line.startswith("user-login")] != before
        )
        row = next(line for line in pane.listing.text().splitlines() if line.startswith("user-login"))
        assert " 5/6 " in row  # 2/6 before; one task of the fixture is in progress ([-]) and stays so


async def test_specs_pane_live_reload_sees_the_first_spec_folder_appear(workspace, server):
    app = make_app(workspace, server)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(app)
        await pane_loaded(app)
        pane = app.pane("specs")
        assert pane.rows == []
        folder = workspace / ".kiro" / "specs" / "first"
        folder.mkdir(parents=True)
        (folder / "requirements.md").write_text(REQUIREMENTS, encoding="utf-8")
        await wait_until(pilot, lambda: "kiro/first" in pane.listing.text())


async def test_specs_pane_shows_error_and_warning_counts(spec_workspace, server):
    problems, _ = check_spec(load_spec(find_spec(spec_workspace, "broken")))
    errors = sum(1 for p in problems if p.severity == "error")
    assert errors > 0
    app = make_app(spec_workspace, server)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(app)
        await pane_loaded(app)
        pane = app.pane("specs")
        await pilot.pause()
        rows = {line.split()[0]: line.split()[1:] for line in pane.listing.text().splitlines()}
        assert rows["broken"][-1] == f"{errors}E/{len(problems) - errors}W"
        assert rows["user-login"][-1] == "0E/0W"
        assert str(pane.query_one("#specs-header").render()).rstrip().endswith("problems")


async def test_problems_tab_counts_first_then_errors_before_warnings(spec_workspace, server):
    app = make_app(spec_workspace, server)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_review(app, pilot, "broken")
        screen.activate("problems")
        await pilot.pause()
        rows = screen.view("problems").rows
        errors = sum(1 for p in screen.data.problems if p.severity == "error")
        warnings = len(screen.data.problems) - errors
        assert rows[0].text == f"{errors} error(s), {warnings} warning(s)" and rows[0].key is None
        severities = [" error " in r.text for r in rows[1:]]
        assert severities == [True] * errors + [False] * warnings
        assert screen.view("problems").cursor == 1  # the cursor skips the counts line
        tabbar = str(screen.query_one("#review-tabbar").render())
        assert f"Problems ({errors} err, {warnings} warn)" in tabbar
        await pilot.press("enter")  # jumps to the first error's document and line
        await wait_until(pilot, lambda: screen.active_tab in ("requirements", "design", "tasks"))


async def test_trace_tab_shows_both_directions(spec_workspace, server):
    design = spec_workspace / ".workbench" / "specs" / "user-login" / "design.md"
    design.write_text(
        design.read_text(encoding="utf-8")
        + "\n## Correctness Properties\n\n### Property 1: Sign in\n\n**Validates: Requirements 1.1, 1.2**\n",
        encoding="utf-8",
    )
    app = make_app(spec_workspace, server)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_review(app, pilot, "user-login")
        screen.activate("trace")
        await pilot.pause()
        text = screen.view("trace").text()
        report = screen.data.trace
        assert "Task       Criteria" in text
        for tid, cids in report.by_task.items():
            assert f"{tid:<10} {', '.join(cids)}" in text
        tasks = ", ".join(report.design_tasks["Property 1: Sign in"])
        assert tasks and f"Property 1: Sign in: 1.1, 1.2 -> {tasks}" in text


# -- model-driven Kiro features (scripted server, real streamed HTTP) ------------------------------
from pathlib import Path

from workbench.scripted.server import Reply

DRAFTS = Path(__file__).parents[2] / "specs" / "drafts"
DRAFT_REQUIREMENTS = (DRAFTS / "requirements.md").read_text()
DRAFT_DESIGN = (DRAFTS / "design.md").read_text()
DRAFT_TASKS = (DRAFTS / "tasks.md").read_text()
BUGFIX = """# Bugfix Requirements Document

## Introduction

Empty export crashes.

## Bug Analysis

### Current Behavior (Defect)

1.1 WHEN the notebook is empty THEN the system raises ZeroDivisionError

### Expected Behavior (Correct)

2.1 WHEN the notebook is empty THEN the system SHALL write an empty file

### Unchanged Behavior (Regression Prevention)

3.1 WHEN the notebook has notes THEN the system SHALL CONTINUE TO write them
"""


def write_spec(ws: Path, name: str, **docs: str) -> Path:
    folder = ws / ".workbench" / "specs" / name
    folder.mkdir(parents=True, exist_ok=True)
    for doc, text in docs.items():
        (folder / f"{doc}.md").write_text(text, encoding="utf-8")
    return folder


async def test_u_shows_the_task_diff_and_applies_only_on_accept(workspace, server):
    from workbench.ui.specs.dialogs import TaskDiffScreen

    new_requirements = DRAFT_REQUIREMENTS + (
        "\n### Requirement 3: Titles\n\n**User Story:** As a reader, I want titles, so that I find notes.\n\n"
        "#### Acceptance Criteria\n\n1. THE Note_Exporter SHALL write each title as a heading.\n"
    )
    proposed = DRAFT_TASKS + "\n- [ ] 3. Write the titles\n  - _Requirements: 3.1_\n"
    folder = write_spec(workspace, "notes", requirements=new_requirements, tasks=DRAFT_TASKS)
    server.enqueue(Reply(text=proposed), Reply(text=proposed))
    app = make_app(workspace, server)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_review(app, pilot, "notes")
        await pilot.press("u")
        await wait_until(pilot, lambda: isinstance(app.screen, TaskDiffScreen))
        diff = app.screen.query_one("#task-diff").text()
        assert "+- [ ] 3. Write the titles" in diff and "+  - _Requirements: 3.1_" in diff
        await pilot.press("n")
        await wait_until(pilot, lambda: "rejected" in str(screen.query_one("#review-message").render()))
        assert (folder / "tasks.md").read_text() == DRAFT_TASKS
        loads = screen.load_count
        await pilot.press("u")
        await wait_until(pilot, lambda: isinstance(app.screen, TaskDiffScreen))
        await pilot.press("y")
        await wait_until(
            pilot, lambda: screen.load_count > loads and "applied" in str(screen.query_one("#review-message").render())
        )
        assert (folder / "tasks.md").read_text() == proposed.strip() + "\n"
        assert screen.active_tab == "tasks"
        assert screen.data.statuses["tasks"].state == "stale"  # in review, waiting for the requirements and design
        assert "drafted by the model" in screen.stores.approvals.load()[-1].note
        assert screen.data.trace.uncovered == []


async def test_q_quick_spec_drafts_three_documents(workspace, server):
    from workbench.ui.specs.dialogs import NewSpecScreen
    from workbench.ui.specs.review_screen import SpecReviewScreen

    from .conftest import type_text

    server.enqueue(
        Reply(
            text=f"=== requirements.md ===\n{DRAFT_REQUIREMENTS}\n=== design.md ===\n{DRAFT_DESIGN}\n"
            f"=== tasks.md ===\n{DRAFT_TASKS}"
        )
    )
    app = make_app(workspace, server)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(app)
        await pane_loaded(app)
        await pilot.press("alt+2", "q")
        await wait_until(pilot, lambda: isinstance(app.screen, NewSpecScreen))
        assert "Quick spec" in str(app.screen.query("Static").first().render())
        await type_text(pilot, "notes")
        await pilot.press("enter")
        await type_text(pilot, "export notes")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, SpecReviewScreen))
        folder = workspace / ".workbench" / "specs" / "notes"
        for doc, text in (("requirements", DRAFT_REQUIREMENTS), ("design", DRAFT_DESIGN), ("tasks", DRAFT_TASKS)):
            assert (folder / f"{doc}.md").read_text() == text.strip() + "\n"
        screen = app.screen
        await wait_until(pilot, lambda: screen.data is not None)
        assert screen.data.statuses["requirements"].state == "in_review"


async def test_b_bugfix_spec_drafts_bugfix_md(workspace, server):
    from workbench.ui.specs.dialogs import NewSpecScreen
    from workbench.ui.specs.review_screen import SpecReviewScreen

    from .conftest import type_text

    server.enqueue(Reply(text=BUGFIX))
    app = make_app(workspace, server)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(app)
        await pane_loaded(app)
        await pilot.press("alt+2", "b")
        await wait_until(pilot, lambda: isinstance(app.screen, NewSpecScreen))
        await type_text(pilot, "empty-export")
        await pilot.press("enter")
        await type_text(pilot, "empty export crashes")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, SpecReviewScreen))
        screen = app.screen
        path = workspace / ".workbench" / "specs" / "empty-export" / "bugfix.md"
        await wait_until(pilot, lambda: screen.drafting is None and path.read_text() == BUGFIX)
        await wait_until(pilot, lambda: screen.data is not None and screen.data.texts["requirements"] == BUGFIX)
        assert screen.data.problems == []
        assert "1. Current Behavior (Defect)" in screen.outline.text()
        assert " Bugfix " in str(screen.query_one("#review-tabbar").render())
        body = [r["body"] for r in server.requests if r["path"].endswith("/chat/completions")][0]
        assert "Unchanged Behavior (Regression Prevention)" in body["messages"][1]["content"]
        assert "empty export crashes" in body["messages"][1]["content"]


async def test_each_tab_has_its_own_outline_using_the_width(spec_workspace, server):
    design = spec_workspace / ".workbench" / "specs" / "user-login" / "design.md"
    design.write_text(
        design.read_text(encoding="utf-8")
        + "\n## Correctness Properties\n\n### Property 1: Sign in\n\n**Validates: Requirements 1.1, 1.2**\n",
        encoding="utf-8",
    )
    app = make_app(spec_workspace, server)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_review(app, pilot, "user-login")
        outline = screen.outline
        # requirements: criteria are not cut at the column's width, they wrap inside it
        painted = "\n".join(str(line) for line in app.screen._compositor.render_strips())
        assert "credentials within 200 ms." in outline.text() and "200 ms." in painted
        assert outline.region.width <= 46
        screen.activate("design")
        await pilot.pause()
        text = outline.text()
        assert "1. Sign in" not in text and outline.border_title == "Outline · Design"
        assert "Property 1: Sign in → 1.1, 1.2" in text
        headings = [h for h in screen.data.bundle.design.headings]
        assert len(outline.rows) == len(headings)
        # moving in the outline moves the design document
        target = next(i for i, row in enumerate(outline.rows) if row.key == ("head", headings[-1][2]))
        outline.move_cursor(target)
        await wait_until(pilot, lambda: screen.view("design").cursor == headings[-1][2] - 1)
        screen.activate("tasks")
        await pilot.pause()
        rows = outline.text().splitlines()
        tasks = screen.data.bundle.tasks.all_tasks
        assert len(rows) == len(tasks) and outline.border_title == "Outline · Tasks"
        first = tasks[0]
        assert rows[0].startswith(
            f"[{'x' if first.state == 'done' else '-' if first.state == 'in_progress' else ' '}] {first.id} {first.title}"
        )
        screen.activate("requirements")
        await pilot.pause()
        assert "1. Sign in" in outline.text()
