"""Pilot tests of the Journal pane: live tail while a turn runs, filters, search, jumps, bounds."""

from __future__ import annotations

import json

from textual.app import App, ComposeResult

from workbench.core.journal.entries import JournalEntry
from workbench.scripted.server import Reply, ToolCallSpec
from workbench.ui.journal.pane import JournalPane
from workbench.ui.screens.rewind import RewindScreen

from ..conftest import wait_ready, wait_until
from .conftest import full_auto_app


def args(**kw) -> str:
    return json.dumps(kw)


def summaries(pane: JournalPane) -> list[str]:
    return [e.summary for e in pane.visible_entries()]


async def send(pilot, text: str) -> None:
    await pilot.press(*text)
    await pilot.press("enter")


async def test_live_tail_while_a_turn_runs(workspace, server):
    server.enqueue(
        Reply(text="Writing.", tool_calls=[ToolCallSpec("write_file", args(path="a.txt", content="x\n"), id="w1")]),
        Reply(text="slow answer " * 150, tokens_per_second=60),  # ~7 s: the turn outlives the check
    )
    app = full_auto_app(workspace, server)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(app)
        pane = app.query_one(JournalPane)
        await send(pilot, "write a")
        chat = app.services.chat
        # the tool call's entries are on screen while the turn is still streaming its answer
        await wait_until(pilot, lambda: any(s.startswith("write_file: created a.txt") for s in summaries(pane)))
        assert chat.running, "the turn is still running"
        assert "you: write a" in summaries(pane) and "write_file a.txt" in summaries(pane)
        assert not any(s.startswith("turn done") for s in summaries(pane))
        await wait_until(pilot, lambda: any(s.startswith("turn done") for s in summaries(pane)))
        seqs = [e.seq for e in pane.visible_entries()]
        assert seqs == sorted(seqs) and len(seqs) == len(set(seqs))
        assert not any(e.kind == "assistant.delta" for e in pane.entries)
        # the first line of a session is its separator
        assert pane.shown[0] is None
        await app.action_quit()


async def test_filter_keys_and_search(workspace, server):
    server.enqueue(
        Reply(tool_calls=[ToolCallSpec("read_file", args(path="README.md"), id="r1")]),
        Reply(tool_calls=[ToolCallSpec("read_file", args(path="missing.txt"), id="r2")]),
        Reply(text="All read."),
    )
    app = full_auto_app(workspace, server)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(app)
        pane = app.query_one(JournalPane)
        await send(pilot, "read things")
        await wait_until(pilot, lambda: any(s.startswith("turn done") for s in summaries(pane)))
        total = len(pane.visible_entries())
        await pilot.press("alt+3")
        assert app.focused is pane.list and pane.highlighted_entry() is pane.visible_entries()[-1]
        # 1 hides chat entries
        await pilot.press("1")
        assert "chat" not in pane.enabled
        assert all(e.categories - {"chat"} for e in pane.visible_entries())
        assert "you: read things" not in summaries(pane) and "read_file README.md" in summaries(pane)
        await pilot.press("1")
        assert len(pane.visible_entries()) == total
        # k cycles one category at a time: chat, then tool, ..., error, then all
        await pilot.press("k")
        assert pane.enabled == {"chat"} and all("chat" in e.categories for e in pane.visible_entries())
        await pilot.press("k")
        assert pane.enabled == {"tool"} and len(pane.visible_entries()) == 8  # 2 calls x requested/approved/started/finished
        for _ in range(5):
            await pilot.press("k")
        assert pane.enabled == {"error"}
        assert summaries(pane) == ["read_file: read_file failed: 'missing.txt' does not exist"]
        await pilot.press("k")
        assert len(pane.visible_entries()) == total
        # / searches (case-insensitive), enter keeps it, escape clears it
        await pilot.press("slash", *"MISSING")
        assert pane.search == "MISSING"
        assert summaries(pane) == ["read_file missing.txt", "read_file: read_file failed: 'missing.txt' does not exist"]
        await pilot.press("enter")
        assert app.focused is pane.list and not pane.has_class("-searching") and len(summaries(pane)) == 2
        await pilot.press("escape")
        assert pane.search == "" and len(pane.visible_entries()) == total
        # t hides the times
        assert pane.show_time
        await pilot.press("t")
        assert not pane.show_time
        await app.action_quit()


async def test_jump_to_checkpoint_and_to_chat(workspace, server):
    server.enqueue(
        Reply(tool_calls=[ToolCallSpec("write_file", args(path="b.txt", content="b\n"), id="w1")]),
        Reply(text="Done."),
    )
    app = full_auto_app(workspace, server)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(app)
        pane = app.query_one(JournalPane)
        await send(pilot, "write b")
        await wait_until(pilot, lambda: any(s.startswith("turn done") for s in summaries(pane)))
        cps = [e for e in pane.entries if e.kind == "checkpoint.created"]
        assert len(cps) == 2, "before the first change and at the end of the turn"
        await pilot.press("alt+3")
        # highlight the write_file request: its checkpoint is the one taken before the change
        target = next(i for i, e in enumerate(pane.shown) if e is not None and e.summary == "write_file b.txt")
        pane.list.highlighted = target
        assert pane.checkpoint_for(pane.shown[target]) == cps[0]
        await pilot.press("c")
        await wait_until(pilot, lambda: isinstance(app.screen, RewindScreen))
        screen = app.screen
        from textual.widgets import OptionList

        ol = screen.query_one(OptionList)
        await wait_until(pilot, lambda: ol.highlighted is not None and screen.selected.payload["checkpoint"] == cps[0].checkpoint)
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, RewindScreen))
        # enter: the chat scrolls to the entry's place and flashes it
        app.query_one(JournalPane).list.focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: bool(app.query("#chat-view .-flash")))
        await app.action_quit()


class PaneApp(App[None]):
    def compose(self) -> ComposeResult:
        yield JournalPane(id="journal")


async def test_the_list_stays_bounded():
    app = PaneApp()
    async with app.run_test(size=(80, 20)) as pilot:
        pane = app.query_one(JournalPane)
        pane.MAX_ENTRIES = 100

        def entry(seq: int, sid: str = "s1") -> JournalEntry:
            return JournalEntry(seq, 1_700_000_000 + seq, sid, "tool.finished", frozenset({"tool"}), f"read_file: read {seq}")

        pane.add_entries([entry(i) for i in range(1, 121)])
        assert len(pane.entries) == 120 and pane.list.option_count == 121, "up to a quarter over: appended, no rebuild"
        pane.add_entries([entry(i) for i in range(121, 131)])
        await pilot.pause()
        assert len(pane.entries) == 100 and pane.entries[0].seq == 31, "trimmed to the newest 100"
        assert pane.list.option_count == 101  # one separator + 100 entries
        # an already shown seq is not added twice (history load racing the bus)
        pane.add_entries([entry(130), entry(125)])
        assert pane.list.option_count == 101
        # another session starts with a separator
        pane.add_entries([entry(131, "s2")])
        assert pane.list.option_count == 103 and pane.shown[-2] is None and pane.shown[-1].seq == 131
