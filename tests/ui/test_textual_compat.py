"""``workbench.ui._textual_compat``: the version guard, and for each private-Textual override a
check that the hook still exists with the signature used and that Textual still behaves the way
the workaround assumes (so an upgrade that fixes or renames something fails here, not silently)."""

from __future__ import annotations

import inspect
import tomllib
from pathlib import Path

import pytest
from rich.style import Style
from textual._ansi_sequences import ANSI_SEQUENCES_KEYS
from textual._compositor import Compositor
from textual._xterm_parser import XTermParser
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.geometry import Size
from textual.screen import Screen
from textual.scroll_view import ScrollView
from textual.widget import Widget
from textual.widgets import Log, OptionList, Static, TextArea

from workbench.ui import _textual_compat
from workbench.ui._textual_compat import OVERRIDE_ENV, UntestedTextualError, check_version, installed_version, patches
from workbench.ui._textual_compat.first_paint import FirstPaintScreen
from workbench.ui._textual_compat.log import HookedLog
from workbench.ui._textual_compat.scroll import LayoutSizedScrollView, set_virtual_size_quietly
from workbench.ui._textual_compat.text_area import KeyFirstTextArea

REPO = Path(__file__).resolve().parents[2]


# -- the version guard ---------------------------------------------------------------------------
@pytest.mark.parametrize("version", ["8.2.0", "8.2.8", "8.2.99"])
def test_tested_versions_pass(version: str) -> None:
    check_version(version, {})


@pytest.mark.parametrize("version", ["8.3.0", "9.0.0a1", "8.1.9", "7.5.0", "unknown"])
def test_untested_versions_are_refused_with_the_way_out(version: str) -> None:
    with pytest.raises(UntestedTextualError) as caught:
        check_version(version, {})
    message = str(caught.value)
    assert f"Textual {version} is installed" in message
    assert ">=8.2,<8.3" in message
    assert "pip install 'textual>=8.2,<8.3'" in message
    assert f"{OVERRIDE_ENV}=1" in message


def test_the_override_runs_an_untested_version() -> None:
    check_version("9.1.0", {OVERRIDE_ENV: "1"})
    with pytest.raises(UntestedTextualError):
        check_version("9.1.0", {OVERRIDE_ENV: "yes"})  # only "1"


def test_installed_textual_is_tested_and_pinned_to_the_same_range() -> None:
    check_version(installed_version(), {})
    deps = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    assert f"textual{_textual_compat.tested_range()}" in deps


# -- every hook exists with the signature used ---------------------------------------------------
HOOKS = [
    (ScrollView, "_size_updated", ["self", "size", "virtual_size", "container_size", "layout"]),
    (Widget, "_size_updated", ["self", "size", "virtual_size", "container_size", "layout"]),
    (Widget, "_scroll_update", ["self", "virtual_size"]),
    (Compositor, "reflow", ["self", "parent", "size"]),
    (Compositor, "reflow_visible", ["self", "parent", "size"]),
    (XTermParser, "_sequence_to_key_events", ["self", "sequence", "alt"]),
    (Screen, "_refresh_layout", ["self", "size", "scroll"]),
    (Screen, "_on_timer_update", ["self"]),
    (Screen, "_on_update", ["self", "message"]),
    (Log, "_render_line", ["self", "y", "scroll_x", "width"]),
    (Log, "_render_line_strip", ["self", "y", "rich_style"]),
    (Log, "_prune_max_lines", ["self"]),
    (Log, "_process_line", ["line"]),
    (TextArea, "_on_key", ["self", "event"]),
]


@pytest.mark.parametrize(("owner", "name", "params"), HOOKS, ids=[f"{o.__name__}.{n}" for o, n, _ in HOOKS])
def test_hook_exists_with_signature(owner: type, name: str, params: list[str]) -> None:
    original = {
        (ScrollView, "_size_updated"): patches._ORIGINAL,
        (Compositor, "reflow_visible"): patches._ORIGINAL_REFLOW_VISIBLE,
        (XTermParser, "_sequence_to_key_events"): patches._ORIGINAL_SEQUENCE_TO_KEYS,
    }.get((owner, name), getattr(owner, name))  # patched ones: check Textual's own
    assert list(inspect.signature(original).parameters) == params


@pytest.mark.parametrize("cls", [FirstPaintScreen, LayoutSizedScrollView, HookedLog, KeyFirstTextArea])
def test_every_private_override_overrides_something(cls: type) -> None:
    """A private method defined here must exist on the Textual base (a renamed hook would make
    ours dead code)."""
    base = cls.__mro__[1]
    ours = [
        name
        for name in vars(cls)
        if name.startswith("_") and not name.startswith("__") and callable(vars(cls)[name]) and name != "_painted_settled"
    ]
    assert ours
    for name in ours:
        assert callable(getattr(base, name, None)), f"{base.__name__}.{name} is gone: {cls.__name__}.{name} is dead code"


def test_apply_installs_the_global_fixes() -> None:
    _textual_compat.apply()
    _textual_compat.apply()  # idempotent
    assert ScrollView._size_updated is patches._size_updated
    assert Compositor.reflow_visible is patches._reflow_visible
    assert XTermParser._sequence_to_key_events is patches._sequence_to_key_events


# -- Textual still behaves the way each workaround assumes ---------------------------------------
def test_textual_still_reads_esc_digit_as_a_mac_option_character() -> None:
    assert ANSI_SEQUENCES_KEYS.get("\x1b1") == "¡"
    [key] = list(patches._ORIGINAL_SEQUENCE_TO_KEYS(XTermParser(), "\x1b1"))
    assert key.key != "alt+1" and key.character == "¡"
    [fixed] = list(patches._sequence_to_key_events(XTermParser(), "\x1b1"))
    assert fixed.key == "alt+1" and fixed.character is None


class _Options(App[None]):
    def compose(self) -> ComposeResult:
        yield OptionList(*[f"option {n}" for n in range(40)])
        yield Log(id="log")


async def test_textual_still_refreshes_scrollbars_on_every_layout_and_forgets_the_visible_map() -> None:
    app = _Options()
    async with app.run_test(size=(60, 20)) as pilot:
        await pilot.pause()
        options = app.query_one(OptionList)
        updates: list[Size] = []
        original_update = options._scroll_update
        options._scroll_update = lambda size: (updates.append(size), original_update(size))  # type: ignore[method-assign]
        # The compositor passes a virtual size that is not the OptionList's own (it sizes itself).
        other = Size(options.virtual_size.width + 5, 1)
        for _ in range(2):
            patches._ORIGINAL(options, options.size, other, options.container_size)
        assert len(updates) == 2  # upstream: a scrollbar refresh on every layout pass
        updates.clear()
        for _ in range(2):
            patches._size_updated(options, options.size, other, options.container_size)
        assert len(updates) <= 1  # the fix: at most once for an unchanged size

        screen = app.screen
        compositor = screen._compositor
        assert compositor._full_map
        compositor.reflow(screen, screen.size)
        assert compositor._visible_map is None  # upstream: a full reflow forgets the visible map
        assert app._batch_count == 0 and isinstance(options._repaint_required, bool)


async def test_textual_still_lays_a_new_screen_out_more_than_once() -> None:
    layouts: list[bool] = []

    class Plain(Screen[None]):
        def compose(self) -> ComposeResult:
            for n in range(5):
                yield Static(f"line {n}")

        def _refresh_layout(self, size=None, scroll=False) -> None:  # type: ignore[override]
            layouts.append(scroll)
            super()._refresh_layout(size, scroll)

    app = App[None]()
    async with app.run_test(size=(60, 20)) as pilot:
        await app.push_screen(Plain())
        await pilot.pause()
        await pilot.pause()
        assert layouts.count(False) >= 2


class _LoggedApp(App[None]):
    def __init__(self, log: Log) -> None:
        super().__init__()
        self.the_log = log

    def compose(self) -> ComposeResult:
        yield self.the_log


async def test_stock_log_caches_no_rendered_line_and_the_render_hook_is_called() -> None:
    calls: list[int] = []

    class Counting(HookedLog):
        def render_log_line(self, y, scroll_x, width):  # type: ignore[no-untyped-def]
            calls.append(y)
            return super().render_log_line(y, scroll_x, width)

    log = Counting(max_lines=3)
    app = _LoggedApp(log)
    async with app.run_test(size=(60, 10)) as pilot:
        size = log.append_plain_lines(["one", "two", "three", "four"], 5)
        assert size == Size(5, 3) and list(log.lines) == ["two", "three", "four"]
        set_virtual_size_quietly(log, size)
        log.refresh()
        await pilot.pause()
        assert calls, "Log.render_line no longer calls _render_line: render_log_line is dead code"
        log.forget_rendered_lines()
        log.stock_line_strip(0, Style())
        assert 0 not in log._render_line_cache  # upstream: no cache without a selection
        assert HookedLog.processed_line("a\tb") == Log._process_line("a\tb")


async def test_layout_sized_runs_inside_the_layout_with_the_new_size() -> None:
    seen: list[Size] = []

    class Sized(LayoutSizedScrollView):
        def layout_sized(self) -> None:
            seen.append(self.size)

    app = _LoggedApp(Sized())  # type: ignore[arg-type]
    async with app.run_test(size=(60, 10)) as pilot:
        await pilot.pause()
        assert seen and seen[0].width == 60


async def test_textarea_still_eats_enter_before_bindings() -> None:
    fired: list[str] = []

    class Bound(TextArea):
        BINDINGS = [Binding("enter", "send", "Send")]

        def action_send(self) -> None:
            fired.append("binding")

    class First(KeyFirstTextArea):
        def key_before_edit(self, event) -> bool:  # type: ignore[no-untyped-def]
            if event.key == "enter":
                event.stop()
                fired.append("hook")
                return True
            return False

    class Two(App[None]):
        def compose(self) -> ComposeResult:
            yield Bound(id="bound")
            yield First(id="first")

    app = Two()
    async with app.run_test(size=(60, 20)) as pilot:
        app.query_one("#bound").focus()
        await pilot.press("enter")
        assert app.query_one("#bound", TextArea).text == "\n" and fired == []  # upstream eats it
        app.query_one("#first").focus()
        await pilot.press("x", "enter")
        assert app.query_one("#first", TextArea).text == "x" and fired == ["hook"]
