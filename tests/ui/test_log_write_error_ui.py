"""Pilot test: a full disk during a turn shows one notification and a status saying what to do;
the app stays up, nothing is set aside, and the next prompt works once space is freed."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.tmpfs import small_tmpfs

from workbench.scripted.server import Reply
from workbench.ui.chat.messages import LiveReply

from .conftest import make_app, wait_ready, wait_until

pytestmark = pytest.mark.timeout(90)


@pytest.fixture
def small_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """``WORKBENCH_HOME`` on a 2 MB tmpfs (skips locally without mount; fails under CI=true)."""
    with small_tmpfs(tmp_path / "small") as mnt:
        monkeypatch.setenv("WORKBENCH_HOME", str(mnt / "home"))
        yield mnt


async def test_disk_full_turn_notifies_and_the_next_prompt_works(workspace, server, small_home: Path) -> None:
    server.enqueue(
        Reply(text="".join(f"line {i} of a long reply\n" for i in range(8000)), chunk_chars=40, tokens_per_second=20000)
    )
    app = make_app(workspace, server)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(app)
        st = os.statvfs(small_home)
        filler = small_home / "filler"
        filler.write_bytes(b"\0" * max(0, st.f_bavail * st.f_frsize - 400 * 1024))
        app.chat_pane.query_one("PromptInput").text = "fill it"
        await pilot.press("enter")
        await wait_until(pilot, lambda: any("cannot write the event log" in str(n.message) for n in app._notifications))
        [note] = [n for n in app._notifications if "cannot write the event log" in str(n.message)]
        assert "the disk is full" in str(note.message) and f"free space on {small_home}" in str(note.message)
        assert "event log not writable" in str(app.query_one("#chat-status").render())
        assert not app.services.chat.running
        assert len(server.requests) == 1 and app.query(LiveReply)  # it stopped mid-reply
        filler.unlink()
        server.enqueue(Reply(text="all good again"))
        app.chat_pane.query_one("PromptInput").text = "again"
        await pilot.press("enter")
        await wait_until(pilot, lambda: any("all good again" in w.rendered_text for w in app.query(LiveReply)))
        assert "ready" in str(app.query_one("#chat-status").render())
    assert not list(small_home.rglob("*.corrupt-*"))
