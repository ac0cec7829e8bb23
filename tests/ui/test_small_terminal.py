"""At 80x24 (the smallest common terminal) the essentials stay on screen."""

from __future__ import annotations

from pathlib import Path

from workbench.ui.footer import WorkbenchFooter

from .conftest import make_app, wait_ready, wait_until


def screen_lines(app) -> list[str]:
    """The text of every line of the screen as last composed (what the terminal shows)."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


def spec(workspace: Path, name: str) -> None:
    folder = workspace / ".workbench" / "specs" / name
    folder.mkdir(parents=True)
    (folder / "requirements.md").write_text(
        f"# Requirements: {name}\n\n## Requirement 1: Something\n\n"
        "**User story:** As a user, I want something, so that it works.\n\n"
        "#### Acceptance criteria\n\n1. WHEN a thing happens THE SYSTEM SHALL respond.\n"
    )


async def test_80x24_keeps_help_quit_mode_and_spec_rows(workspace, server):
    spec(workspace, "history")
    spec(workspace, "billing")
    app = make_app(workspace, server)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_ready(app)
        specs = app.pane("specs")
        await wait_until(pilot, lambda: specs.loaded.is_set())
        await pilot.pause()
        lines = screen_lines(app)
        footer = lines[-1]
        assert "Help" in footer and "Quit" in footer, footer
        status_line = next(line for line in lines if "●" in line)
        assert "mode ask" in status_line and "ready" in status_line, status_line
        region = specs.region
        pane_text = "\n".join(line[region.x : region.right] for line in lines[region.y : region.bottom])
        assert "history" in pane_text and "billing" in pane_text, pane_text
        assert isinstance(app.query_one(WorkbenchFooter), WorkbenchFooter)
        # the long session title shrinks, the mode stays
        app.chat_pane.status.session = "0123456789ab a very long session title that cannot fit here"
        await pilot.pause()
        status_line = next(line for line in screen_lines(app) if "●" in line)
        assert "mode ask" in status_line and "ready" in status_line, status_line
