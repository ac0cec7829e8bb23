"""Pilot tests of the Specs pane: listing with states and progress, empty state, opening a review."""

from __future__ import annotations

from workbench.core.specs.discovery import find_spec
from workbench.core.specs.store import ApprovalStore
from workbench.core.specs.workflow import record_for_approval
from workbench.ui.specs.pane import EMPTY, SpecsPane
from workbench.ui.specs.review_screen import SpecReviewScreen

from .conftest import make_app, open_review, pane_loaded, spec_path, wait_ready, wait_until


async def test_pane_lists_specs_with_states_and_progress(spec_workspace, server):
    spec = find_spec(spec_workspace, "user-login")
    ApprovalStore.for_workspace(spec_workspace).append(record_for_approval(spec, "requirements", who="tester"))
    app = make_app(spec_workspace, server)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(app)
        await pane_loaded(app)
        pane = app.pane("specs")
        assert isinstance(pane, SpecsPane)
        assert pane.border_title == "2 Specs"
        rows = {line.split()[0]: line.split()[1:] for line in pane.listing.text().splitlines()}
        # user-login: requirements approved, design and tasks drafts, 2 of 6 tasks done
        assert rows["user-login"] == ["ok", "draft", "draft", "2/6", "0E/0W"]
        assert rows["broken"][-2].endswith("/8")
        # an edit after approval makes the requirements stale; r refreshes
        path = spec_path(spec_workspace, "user-login", "requirements")
        path.write_text(path.read_text() + "\n", encoding="utf-8")
        await pilot.press("alt+2")
        assert app.focused is pane.listing
        pane.loaded.clear()
        await pilot.press("r")
        await pane_loaded(app)
        assert "STALE" in pane.listing.text()


async def test_pane_empty_state_explains_spec_new(workspace, server):
    app = make_app(workspace, server)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(app)
        await pane_loaded(app)
        pane = app.pane("specs")
        assert pane.rows == []
        assert pane.listing.empty == EMPTY
        await pilot.pause()
        rendered = "\n".join(pane.listing.render_line(y).text for y in range(4))
        assert "No specs in this workspace." in rendered
        assert "workbench spec new NAME" in rendered


async def test_enter_opens_review_and_escape_returns(spec_workspace, server):
    app = make_app(spec_workspace, server)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_review(app, pilot, "user-login")
        assert screen.spec.key == "user-login"
        assert "1. Sign in" in screen.outline.text()
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, SpecReviewScreen))
        assert app.pane("specs").listing.key == "user-login"
