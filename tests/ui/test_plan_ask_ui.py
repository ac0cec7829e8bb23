"""Pilot tests of update_plan (checklist block, status bar, resume) and ask_user (the modal)."""

from __future__ import annotations

import json

from textual.widgets import Input, OptionList, Static

from workbench.core.events import EventKind
from workbench.scripted.server import Reply, ToolCallSpec
from workbench.ui.chat.interact import PlanBlock
from workbench.ui.screens.ask import WARNING, AskScreen
from workbench.ui.screens.sessions import SessionPicker

from .conftest import make_app, wait_ready, wait_until
from .test_agent_ui import tool_reply
from .test_app import idle, send

PLAN_1 = [
    {"text": "read the code", "status": "in_progress"},
    {"text": "fix the bug", "status": "pending"},
    {"text": "run the tests", "status": "pending"},
]
PLAN_2 = [
    {"text": "read the code", "status": "done"},
    {"text": "fix the bug", "status": "done"},
    {"text": "run the tests", "status": "in_progress"},
]


def plan_call(items, cid: str) -> Reply:
    return Reply(tool_calls=[ToolCallSpec("update_plan", json.dumps({"items": items}), id=cid)])


def ask_call(cid: str, **args) -> Reply:
    return Reply(tool_calls=[ToolCallSpec("ask_user", json.dumps(args), id=cid)])


def plan_text(app) -> list[str]:
    return [str(b.render()) for b in app.query(PlanBlock)]


async def test_plan_shows_in_chat_and_status_and_survives_resume(workspace, server):
    server.enqueue(plan_call(PLAN_1, "p1"), plan_call(PLAN_2, "p2"), Reply(text="Working on it."))
    app = make_app(workspace, server)
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_ready(app)
        await send(pilot, "fix it")
        await wait_until(pilot, lambda: idle(app) and len(app.query(PlanBlock)) == 2)
        assert app.chat_pane.status.plan == "plan 2/3"
        assert "plan 2/3" in str(app.chat_pane.status.render())
        shown = plan_text(app)
        assert "[~] read the code" in shown[0] and "[x] fix the bug" in shown[1] and "[~] run the tests" in shown[1]
        assert tool_reply(server, 1, "p1").startswith("Plan updated (plan 0/3)")
        sid = app.services.chat.session.id
    # reopen the session (as `workbench -c` does): the plan is rebuilt from the log
    again = make_app(workspace, server, continue_=True)
    async with again.run_test(size=(140, 40)) as pilot:
        await wait_ready(again)
        await wait_until(pilot, lambda: len(again.query(PlanBlock)) == 2)
        assert again.services.chat.session.id == sid
        assert again.chat_pane.status.plan == "plan 2/3"
        assert "[~] run the tests" in plan_text(again)[1]
        # a new session has no plan; resuming it from the picker (ctrl+r, Enter) brings it back
        await again.chat_pane.action_new_session()
        assert again.chat_pane.status.plan == "" and not again.query(PlanBlock)
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: isinstance(again.screen, SessionPicker))
        await pilot.press("enter")
        await wait_until(pilot, lambda: again.services.chat.session is not None and len(again.query(PlanBlock)) == 2)
        assert again.services.chat.session.id == sid
        assert again.chat_pane.status.plan == "plan 2/3"


async def test_bad_plan_goes_back_to_the_model_as_an_error(workspace, server):
    two = [{"text": "a", "status": "in_progress"}, {"text": "b", "status": "in_progress"}]
    server.enqueue(plan_call(two, "p1"), Reply(text="fixed"))
    app = make_app(workspace, server)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(app)
        await send(pilot, "plan")
        await wait_until(pilot, lambda: idle(app) and len(server.requests) == 2)
        assert "only one item may be in_progress" in tool_reply(server, 1, "p1")
        assert not app.query(PlanBlock) and app.chat_pane.status.plan == ""


async def _modal(pilot, app) -> AskScreen:
    await wait_until(pilot, lambda: isinstance(app.screen, AskScreen))
    return app.screen


async def test_choice_by_arrow_and_enter_goes_back_as_the_tool_result(workspace, server):
    server.enqueue(
        ask_call("q1", question="Which database?", choices=["sqlite", "postgres", "mysql"]), Reply(text="Postgres it is.")
    )
    app = make_app(workspace, server)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(app)
        await send(pilot, "set up storage")
        screen = await _modal(pilot, app)
        assert WARNING in str(screen.query_one("#ask-warning", Static).render())
        assert app.chat_pane.status.state == "waiting for your answer"
        assert isinstance(app.focused, OptionList)
        await pilot.press("down", "enter")
        await wait_until(pilot, lambda: idle(app) and len(server.requests) == 2)
        assert tool_reply(server, 1, "q1") == "The user chose: postgres"
        finished = [
            e for e in await app.services.store.events(app.services.chat.session.id, kinds=[EventKind.TOOL_CALL_FINISHED])
        ]
        assert finished[-1].payload["summary"] == "chose: postgres"


async def test_free_text_and_escape(workspace, server):
    server.enqueue(
        ask_call("q1", question="Name the module?"), ask_call("q2", question="Anything else?", choices=["no"]), Reply(text="ok")
    )
    app = make_app(workspace, server)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(app)
        await send(pilot, "start")
        await _modal(pilot, app)
        assert isinstance(app.focused, Input)
        for ch in "core_io":
            await pilot.press(ch)
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(server.requests) == 2)
        await wait_until(pilot, lambda: isinstance(app.screen, AskScreen) and app.screen.question.question == "Anything else?")
        await pilot.press("escape")
        await wait_until(pilot, lambda: idle(app) and len(server.requests) == 3)
        assert tool_reply(server, 1, "q1") == "The user answered: core_io"
        assert "declined" in tool_reply(server, 2, "q2")


async def test_a_secret_typed_as_an_answer_is_not_sent(workspace, server):
    server.enqueue(ask_call("q1", question="Paste your API key so I can test"), Reply(text="ok"))
    app = make_app(workspace, server)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(app)
        await send(pilot, "go")
        screen = await _modal(pilot, app)
        assert screen.query_one("#ask-input", Input).value == ""  # never pre-filled
        screen.query_one("#ask-input", Input).value = "sk-canary-ui-0123456789"  # the session's own API key
        await pilot.press("enter")
        await wait_until(pilot, lambda: any("looks like a secret" in str(n.message) for n in app._notifications))
        assert isinstance(app.screen, AskScreen) and len(server.requests) == 1
        await pilot.press("escape")
        await wait_until(pilot, lambda: idle(app) and len(server.requests) == 2)
        assert "sk-canary" not in json.dumps(server.requests[1]["body"]["messages"][-1])


async def test_attacker_escapes_and_bidi_in_the_question_render_inert(workspace, server):
    question = "Type \x1b[2J\x1b[8mhidden\x1b[0m \u202etxet desrever\u202c and \x1b]8;;https://evil.example\x07[link]\x1b]8;;\x07 [bold red]markup[/]"
    choices = ["\u202eyes", "no\x1b[5m\u200b"]
    server.enqueue(ask_call("q1", question=question, choices=choices), Reply(text="ok"))
    app = make_app(workspace, server)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(app)
        await send(pilot, "go")
        screen = await _modal(pilot, app)
        shown = screen.query_one("#ask-question", Static).render()
        plain = str(shown)
        assert plain == "Type hidden txet desrever and [link] [bold red]markup[/]"  # markup shown as typed
        options = [str(screen.query_one(OptionList).get_option_at_index(i).prompt) for i in range(2)]
        assert options == ["1. yes", "2. no"]
        for text in [plain, *options]:
            assert not any(c in text for c in "\x1b\u202e\u202c\u200b\x07")
        await pilot.press("enter")
        await wait_until(pilot, lambda: idle(app) and len(server.requests) == 2)
        assert tool_reply(server, 1, "q1") == "The user chose: yes"


def test_merge_plans_puts_each_plan_on_the_page_it_belongs_to():
    from workbench.core.events import Event
    from workbench.ui.chat.interact import merge_plans

    def ev(seq, kind=EventKind.USER_MESSAGE):
        return Event(kind, "s", {}, seq)

    plans = [ev(3, EventKind.PLAN_UPDATED), ev(8, EventKind.PLAN_UPDATED)]
    latest = [ev(6), ev(9)]  # the last page; older pages exist
    assert [e.seq for e in merge_plans(latest, plans, more=True)] == [6, 8, 9]
    older = [ev(1), ev(4)]  # the first page (no more before it), loaded before seq 6
    assert [e.seq for e in merge_plans(older, plans, more=False, before_seq=6)] == [1, 3, 4]
    assert [e.seq for e in merge_plans([], plans, more=False)] == [3, 8]
