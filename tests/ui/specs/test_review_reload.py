"""External edits: a save in another editor reloads the open spec (watchfiles), keeping the cursor
and the pending comments; ``e`` without a usable terminal explains itself."""

from __future__ import annotations

import asyncio

from .conftest import make_app, next_load, open_review, spec_path, type_text, wait_until


async def test_external_save_reloads_within_a_second_keeping_cursor_and_comments(spec_workspace, server):
    app = make_app(spec_workspace, server)
    path = spec_path(spec_workspace, "user-login", "requirements")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_review(app, pilot, "user-login")
        await pilot.press("j")  # requirement 2
        loads = screen.load_count
        await pilot.press("c")
        await type_text(pilot, "keep me")
        await pilot.press("enter")
        await next_load(pilot, screen, loads)
        await asyncio.sleep(0.3)  # let the watcher thread start watching (it runs since mount)
        # another editor inserts a criterion into requirement 1 (shifting requirement 2 down)
        text = path.read_text().replace(
            "4. IF the credentials are wrong",
            "5. THE Auth_Service SHALL rate-limit sign-ins per address.\n4. IF the credentials are wrong",
        )
        loop = asyncio.get_running_loop()
        loads = screen.load_count
        started = loop.time()
        path.write_text(text, encoding="utf-8")
        await wait_until(pilot, lambda: "rate-limit sign-ins" in screen.view("requirements").text(), timeout=5)
        elapsed = loop.time() - started
        assert elapsed < 1.0, f"reload took {elapsed:.2f} s"
        assert screen.load_count > loads
        assert "1.5 ubiquitous: THE Auth_Service SHALL rate-limit" in screen.outline.text()
        # the cursor stays on requirement 2 and the pending comment is still there
        assert screen.outline.key == ("req", 2)
        assert "requirement 2 (line 28): keep me" in screen.query_one("#comments").text()
        assert screen.query_one("#comments").border_title == "Comments (1 pending)"


async def test_edit_key_without_suspend_support_says_so(spec_workspace, server, monkeypatch):
    monkeypatch.setenv("EDITOR", "true")
    app = make_app(spec_workspace, server)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_review(app, pilot, "user-login")
        await pilot.press("e")
        await wait_until(pilot, lambda: "cannot suspend" in str(screen.query_one("#review-message").render()))
        monkeypatch.delenv("EDITOR")
        monkeypatch.delenv("VISUAL", raising=False)
        await pilot.press("e")
        await wait_until(pilot, lambda: "Set $EDITOR" in str(screen.query_one("#review-message").render()))
