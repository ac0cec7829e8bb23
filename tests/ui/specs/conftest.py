"""Fixtures for the Specs pane and review screen: a workspace holding copies of the spec files in
``tests/ui/specs/fixtures`` (a well-formed ``user-login`` spec and a malformed ``broken`` one)."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from ..conftest import make_app, wait_ready, wait_until  # noqa: F401  (re-exported)

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def spec_workspace(workspace: Path) -> Path:
    """The UI tests' workspace with ``user-login`` and ``broken`` under ``.workbench/specs``."""
    for name in ("user-login", "broken"):
        shutil.copytree(FIXTURES / name, workspace / ".workbench" / "specs" / name)
    return workspace


def spec_path(workspace: Path, name: str, doc: str) -> Path:
    """Path of ``doc``.md of spec ``name`` in ``workspace``."""
    return workspace / ".workbench" / "specs" / name / f"{doc}.md"


async def pane_loaded(app) -> None:
    """Wait until the Specs pane has listed the specs once."""
    pane = app.pane("specs")
    await asyncio.wait_for(pane.loaded.wait(), 10)


async def open_review(app, pilot, name: str):
    """Open the review screen of spec ``name`` from the Specs pane (keys only) and wait for its first load."""
    from workbench.ui.specs.review_screen import SpecReviewScreen

    await wait_ready(app)
    await pane_loaded(app)
    pane = app.pane("specs")
    await pilot.press("alt+2")
    index = pane.listing.index_of(name)
    assert index is not None, pane.listing.text()
    while pane.listing.cursor != index:
        await pilot.press("down" if pane.listing.cursor < index else "up")
    await pilot.press("enter")
    await wait_until(pilot, lambda: isinstance(app.screen, SpecReviewScreen))
    screen = app.screen
    await asyncio.wait_for(screen.loaded.wait(), 10)
    await pilot.pause()
    return screen


async def type_text(pilot, text: str) -> None:
    """Type ``text`` key by key."""
    for ch in text:
        await pilot.press("space" if ch == " " else ch)


async def next_load(pilot, screen, count: int) -> None:
    """Wait until ``screen`` has shown more than ``count`` loads."""
    await wait_until(pilot, lambda: screen.load_count > count)
    await pilot.pause()
