"""Pilot tests of the Containers pane with REAL containers on a real Docker engine (busybox image)."""

from __future__ import annotations

import os

import docker
import pytest

from workbench.core.sandbox.policy import LABEL_WORKSPACE
from workbench.ui.containers.format import STDERR_MARK
from workbench.ui.containers.pane import ContainersPane
from workbench.ui.plugins.modals import ConfirmModal

from ..conftest import make_app, wait_ready, wait_until

pytestmark = pytest.mark.docker


def text_of(pane: ContainersPane, selector: str) -> str:
    return str(pane.query_one(selector).render())


async def open_pane(app, pilot, rows: int = 1) -> ContainersPane:
    await wait_ready(app)
    pane = app.query_one(ContainersPane)
    await wait_until(pilot, lambda: pane.table.row_count == rows, timeout=20)
    await pilot.press("alt+4")
    return pane


async def type_text(pilot, text: str) -> None:
    for ch in text:
        await pilot.press("space" if ch == " " else ch)


def lines(pane: ContainersPane) -> list[str]:
    return list(pane.log_view.lines)


async def test_follows_a_streaming_container_pause_search_stop_start(docker_ws, server, make_container):
    container = make_container()
    app = make_app(docker_ws, server)
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await open_pane(app, pilot)
        assert pane.border_title == "4 Containers"
        assert app.focused is pane.table
        row = pane.table.get_row(container.id)
        assert row[0] == container.name and row[1] == "workbench-test/busybox:latest" and row[2] == "running"
        # the log follows live, stdout and stderr distinguished
        await wait_until(pilot, lambda: "line 5" in lines(pane), timeout=20)
        assert f"{STDERR_MARK}oops 1" in lines(pane) and "line 1" in lines(pane)
        assert "following" in text_of(pane, "#containers-status")
        # stats arrive for the running container (CPU % and memory)
        await wait_until(pilot, lambda: pane.table.get_row(container.id)[5] != "-", timeout=20)
        assert "/ 64.0 MiB" in pane.table.get_row(container.id)[5]

        # pause: the view stops growing, new lines are held; resume writes them
        await pilot.press("f")
        assert pane.paused
        frozen = pane.log_view.line_count
        await wait_until(pilot, lambda: len(pane._held) >= 6, timeout=10)
        assert pane.log_view.line_count == frozen
        assert "held" in text_of(pane, "#containers-status")
        await pilot.press("f")
        assert not pane.paused and pane.log_view.line_count >= frozen + 6

        # search: / opens a prompt, Enter jumps to the match and pauses
        await pilot.press("slash")
        await type_text(pilot, "line 3")
        await pilot.press("enter")
        assert pane.paused and pane._match is not None
        assert "line 3" in pane.log_view.lines[pane._match]
        await pilot.press("escape")
        assert pane.query_one("#containers-input").has_class("hidden")
        await pilot.press("G")  # back to the end, following
        assert not pane.paused

        # clear
        before = pane.log_view.line_count
        await pilot.press("c")
        assert "line 1" not in lines(pane) and pane.log_view.line_count < min(before, 20)
        await wait_until(pilot, lambda: pane.log_view.line_count > 0, timeout=10)

        # stop, then start again: the table follows the state, the log is followed again
        await pilot.press("x")
        await wait_until(pilot, lambda: pane.table.get_row(container.id)[2] == "exited", timeout=30)
        assert pane.table.get_row(container.id)[3] == "-"
        await pilot.press("s")
        await wait_until(pilot, lambda: pane.table.get_row(container.id)[2] == "running", timeout=30)
        await wait_until(
            pilot,
            lambda: pane.follower is not None and not pane.follower.join(0) and pane.followed.started_at is not None,
            timeout=20,
        )
        container.reload()
        assert container.status == "running"


async def test_command_prompt_streams_output_and_copies_it(docker_ws, server, make_container):
    container = make_container("trap 'exit 0' TERM; while :; do sleep 1; done")
    app = make_app(docker_ws, server)
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await open_pane(app, pilot)
        await pilot.press("exclamation_mark")
        field = pane.query_one("#containers-input")
        assert app.focused is field
        await type_text(pilot, "echo ")  # typed keys reach the prompt, not the pane's bindings
        assert field.value == "echo "
        field.value = "echo out-$((6*7)); echo bad >&2; id -u; printf no-newline"
        await pilot.press("enter")
        await wait_until(pilot, lambda: any(line.startswith("[exit 0,") for line in lines(pane)), timeout=30)
        got = lines(pane)
        assert "$ echo out-$((6*7)); echo bad >&2; id -u; printf no-newline" in got
        assert "no-newline" in got  # the partial last line is shown when the command ends
        assert "out-42" in got and f"{STDERR_MARK}bad" in got and "1000" in got
        assert pane.last_output.count("out-42") == 1
        # the command ran in the selected container (the session's), not a new one
        assert (
            len(docker.from_env().containers.list(all=True, filters={"label": f"{LABEL_WORKSPACE}={docker_ws.resolve()}"})) == 1
        )
        await pilot.press("y")
        assert "out-42" in app.clipboard and "bad" in app.clipboard
        # `o` opens the whole output (the spool file) in $PAGER (here one that copies it), or names it
        os.environ["PAGER"] = f"cp -f --target-directory={docker_ws.parent}"
        try:
            await pilot.press("o")
            await pilot.pause()
        finally:
            del os.environ["PAGER"]
        spool = pane.last_spool
        assert spool is not None and "out-42" in spool.read_text()
        copied = docker_ws.parent / spool.name
        if copied.exists():  # a terminal that can suspend: the pager ran
            assert copied.read_text() == spool.read_text()
        else:  # the headless test driver cannot suspend: the path is shown instead
            assert any(str(spool) in n.message for n in app._notifications)
        # the output is in the container's log file too
        log_file = pane.service.log_path(pane.followed)
        assert "out-42" in log_file.read_text()
        assert container.id == pane.followed.id
    # quitting the TUI stops the containers its sessions used ([sandbox] keep_on_exit = false)
    container.reload()
    assert container.status == "exited"


async def test_stale_container_is_offered_and_pruned(docker_ws, server, make_container):
    container = make_container("trap 'exit 0' TERM; while :; do sleep 1; done", session_id="gone-session-1")
    app = make_app(docker_ws, server)
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await open_pane(app, pilot)
        await wait_until(pilot, lambda: bool(pane.stale), timeout=20)
        assert "Press p to prune" in text_of(pane, "#containers-stale")
        assert container.name in text_of(pane, "#containers-stale")
        assert pane.table.get_row(container.id)[6] == "gone-session (unknown)"
        await pilot.press("p")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        assert container.name in app.screen.body
        await pilot.press("y")
        await wait_until(pilot, lambda: pane.table.row_count == 0, timeout=30)
        assert "No sandbox containers" in text_of(pane, "#containers-message")
        with pytest.raises(docker.errors.NotFound):
            docker.from_env().containers.get(container.id)


async def test_remove_asks_first(docker_ws, server, make_container):
    container = make_container("trap 'exit 0' TERM; while :; do sleep 1; done")
    app = make_app(docker_ws, server)
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await open_pane(app, pilot)
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        await pilot.press("n")
        await pilot.pause(0.3)
        assert docker.from_env().containers.get(container.id).status == "running"
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        await pilot.press("y")
        await wait_until(pilot, lambda: pane.table.row_count == 0, timeout=30)
