"""The Workbench Textual app: five panes on one screen.

Startup is split so the first frame is cheap: ``compose`` builds lightweight widgets; after the
first frame a worker loads the settings (pydantic-settings), opens the event log and builds the
services (see :func:`workbench.core.runtime.start_services`), then binds the Chat pane. A
configuration error exits with code 2 and the message.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widget import Widget

from workbench.ui import _textual_compat, gcpolicy
from workbench.ui.footer import WorkbenchFooter
from workbench.ui.panes import PendingPane, build_pane

_textual_compat.apply()  # refuses an untested Textual (UntestedTextualError), then installs the fixes

if TYPE_CHECKING:
    from workbench.core.runtime import Services
    from workbench.ui.chat.pane import ChatPane

PANE_IDS = ("chat", "specs", "journal", "containers", "plugins")


class WorkbenchApp(App[None]):
    """Full-screen workbench on one workspace.

    Args:
        workspace: the project folder.
        overrides: settings from command-line flags (``{"llm": {"model": ...}}``).
        continue_: reopen the latest session.
        session_id: reopen this session (id or unique prefix).
    """

    CSS_PATH = "app.tcss"
    TITLE = "Workbench"
    BINDINGS = [
        Binding("f1", "help", "Help", id="app.help", tooltip="List every key"),
        Binding("ctrl+1,alt+1", "focus_pane('chat')", "Chat", id="app.pane.chat", show=False, tooltip="Focus the Chat pane"),
        Binding("ctrl+2,alt+2", "focus_pane('specs')", "Specs", id="app.pane.specs", show=False, tooltip="Focus the Specs pane"),
        Binding(
            "ctrl+3,alt+3",
            "focus_pane('journal')",
            "Journal",
            id="app.pane.journal",
            show=False,
            tooltip="Focus the Journal pane",
        ),
        Binding(
            "ctrl+4,alt+4",
            "focus_pane('containers')",
            "Containers",
            id="app.pane.containers",
            show=False,
            tooltip="Focus the Containers pane",
        ),
        Binding(
            "ctrl+5,alt+5",
            "focus_pane('plugins')",
            "Plugins",
            id="app.pane.plugins",
            show=False,
            tooltip="Focus the Plugins pane",
        ),
        Binding(
            "ctrl+g",
            "goto_pane",
            "Pane",
            id="app.goto",
            show=False,
            tooltip="Then 1-5: focus Chat, Specs, Journal, Containers, Plugins (works in every terminal)",
        ),
        Binding("f2", "toggle_maximize", "Max/restore", id="app.maximize", tooltip="Maximize the focused pane, or restore"),
        Binding("ctrl+r", "sessions", "Sessions", id="app.sessions", tooltip="Pick a session to resume"),
        Binding("ctrl+q", "quit", "Quit", id="app.quit", tooltip="Close the session cleanly and quit"),
    ]

    def __init__(
        self,
        workspace: Path,
        overrides: dict[str, Any] | None = None,
        *,
        continue_: bool = False,
        session_id: str | None = None,
    ) -> None:
        super().__init__()
        self.workspace = Path(workspace).resolve()
        self.overrides = overrides or {}
        self.continue_ = continue_
        self.session_id = session_id
        self._chat_pane: ChatPane | None = None
        self.services: Services | None = None
        """Set once the boot worker has built them."""
        self.code_theme = "monokai"
        """Pygments style for code blocks under the current theme."""
        self._code_themes: dict[str, str] = {}
        self.ready = asyncio.Event()
        """Set when the services are bound (tests wait on it)."""
        self.sub_title = str(self.workspace)
        self._theme_problems = self._load_themes()

    def run(self, *args: Any, **kwargs: Any) -> Any:
        """Run in the terminal (``App.run``), following the terminal's size.

        ``COLUMNS``/``LINES`` inherited from the environment are dropped first: Textual reads the
        size with ``shutil.get_terminal_size``, which prefers them to the terminal, so a parent
        that exported them (GNU readline does, e.g. in a Python harness) froze the layout at that
        size: after a resize the screen stayed as it was, blank where it grew, until F2 F2.
        """
        for name in ("COLUMNS", "LINES"):
            os.environ.pop(name, None)
        return super().run(*args, **kwargs)

    # -- layout --------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        with Horizontal(id="panes"):
            with Vertical(id="left"):
                yield PendingPane("chat")
            with Vertical(id="right"):
                for pane_id in PANE_IDS[1:]:
                    yield PendingPane(pane_id)
        yield WorkbenchFooter()

    def on_mount(self) -> None:
        self._register_themes()
        # Boot a moment after the first refresh: the frame is written to the terminal by the
        # driver's writer thread, which would otherwise wait for the GIL behind the boot's imports.
        self.call_after_refresh(lambda: self.set_timer(0.04, self._boot))

    # -- themes --------------------------------------------------------------------------------
    def _load_themes(self) -> list[str]:
        """Register the theme files and select the remembered theme; return the problems found.

        Runs in ``__init__``, before the stylesheet is first parsed: selecting the theme in
        ``on_mount`` made Textual re-parse and re-apply all CSS before the first frame (~30-60 ms).
        """
        from workbench.ui.state import load_state
        from workbench.ui.themes import load_themes

        themes, problems = load_themes()
        for loaded in themes:
            self.register_theme(loaded.theme)
            self._code_themes[loaded.theme.name] = loaded.code_theme
        state_problems: list[str] = []
        remembered = load_state(state_problems).get("theme")
        wanted = remembered or "workbench-dark"
        if wanted not in self.available_themes:
            wanted = "workbench-dark" if "workbench-dark" in self.available_themes else self.theme
        self.theme = wanted
        self.code_theme = self._code_themes.get(wanted, "monokai" if self.current_theme.dark else "default")
        return [str(p) for p in problems] + state_problems

    def _register_themes(self) -> None:
        for problem in self._theme_problems:
            self.notify(f"Theme skipped: {problem}", severity="warning", timeout=10)
        self.theme_changed_signal.subscribe(self, self._theme_changed)

    def _theme_changed(self, theme: Any) -> None:
        from workbench.ui.state import save_state

        self.code_theme = self._code_themes.get(theme.name, "monokai" if theme.dark else "default")
        try:
            save_state(theme=theme.name)
        except OSError as exc:  # remembered preferences are best effort
            self.notify(f"Could not remember the theme: {exc}", severity="warning")

    # -- startup -------------------------------------------------------------------------------
    @work(group="boot", exclusive=True, exit_on_error=False)
    async def _boot(self) -> None:
        """Start the services behind the first frame; an unexpected failure ends the app with
        one line naming it (exit 1) instead of leaving every pane at "Loading…"."""
        try:
            await self._boot_steps()
        except Exception as exc:  # noqa: BLE001 - anything here is a bug or a broken install
            self.exit(return_code=1, message=f"workbench: start-up failed: {type(exc).__name__}: {exc}")

    async def _boot_steps(self) -> None:
        from workbench.core.config import ConfigError, load_settings
        from workbench.core.runtime import LogWriteError, SessionNotFound, start_services
        from workbench.core.tasks import add_reporter

        await self._mount_side_panes()
        from workbench.ui import trust_flow

        trust_report = await trust_flow.ask_at_start(self)  # before any workspace file applies
        try:
            settings = await asyncio.to_thread(load_settings, self.workspace, self.overrides)
            if not self.overrides.get("ui", {}).get("theme") and settings.ui.theme != "workbench-dark":
                from workbench.ui.state import load_state

                if not load_state().get("theme") and settings.ui.theme in self.available_themes:
                    self.theme = settings.ui.theme
            from workbench.core.llm.discovery import discover_model

            note = await discover_model(settings.llm)  # no model set: ask the server's GET /models
            if note:
                self.notify(note, timeout=10)
            services = await start_services(self.workspace, settings)
        except ConfigError as exc:
            self.exit(return_code=2, message=f"workbench: configuration error:\n{exc}")
            return
        except LogWriteError as exc:  # full disk, I/O error, read-only: exit 3 as `workbench run` does
            self.exit(return_code=3, message=f"workbench: {exc}.")
            return
        self.services = services
        self._remove_reporter = add_reporter(
            lambda name, exc: self.notify(f"Background task {name} failed: {exc}", severity="error", timeout=15)
        )
        if services.store.recovery_message:
            self.notify(services.store.recovery_message, severity="error", timeout=30)
        for notice in services.notices:
            self.notify(notice, severity="warning", timeout=20)
        chat = self.chat_pane
        await chat.attach(services)
        trust_flow.show_status(self, trust_report)
        for pane_id in PANE_IDS[1:]:
            pane = self.pane(pane_id)
            attach = getattr(pane, "attach", None)
            if attach is not None:
                try:
                    await attach(services)
                except Exception as exc:  # a broken side pane must not take the app down
                    self.notify(f"The {pane_id} pane failed to start: {exc}", severity="error", timeout=15)
        try:
            if self.session_id:
                await chat.open_session(self.session_id)
            elif self.continue_:
                sessions = await services.store.sessions(self.workspace)
                if sessions:
                    await chat.open_session(sessions[0].id)
                else:
                    self.notify("No earlier session in this workspace: starting a new one.")
            else:
                await self._offer_crashed()
        except SessionNotFound as exc:
            self.exit(return_code=2, message=f"workbench: {exc}")
            return
        except LogWriteError as exc:  # resuming needs one write (session.opened)
            self.notify(f"The session could not be opened: {exc}.", severity="error", timeout=30)
            chat.status.state = "event log not writable: fix the disk, then try again"
        self.ready.set()
        gcpolicy.tune()
        self.call_after_refresh(gcpolicy.freeze_startup_objects)
        self._settle()

    @work(group="settle", exit_on_error=False)
    async def _settle(self) -> None:
        """Import the OpenAI SDK in a thread, then freeze its objects too (without a collection:
        no pause). Left unfrozen, its ~58k objects were re-scanned by every full collection."""
        await asyncio.get_running_loop().run_in_executor(None, _prewarm_sdk)
        gcpolicy.freeze_startup_objects(collect=False)

    @property
    def chat_pane(self) -> ChatPane:
        """The Chat pane (mounted right after the first frame)."""
        assert self._chat_pane is not None, "the chat pane is mounted after the first frame"
        return self._chat_pane

    async def _mount_side_panes(self) -> None:
        """Replace the first frame's stand-ins with the real panes (Chat first, focused).

        The first frame shows only the five pane frames, so its cost stays close to a bare
        Textual app's; the panes' imports and widgets come right after.
        """
        from workbench.ui.chat.pane import ChatPane

        pending = self.query_one("#pending-chat", PendingPane)
        chat = ChatPane(id="chat", classes="pane")
        self._chat_pane = chat
        with self.batch_update():
            await pending.parent.mount(chat, after=pending)
            await pending.remove()
        self.query_one("#prompt").focus()
        focused = self.focused
        with self.batch_update():
            for pending in list(self.query(PendingPane)):
                real = build_pane(pending.pane_id)
                await pending.parent.mount(real, after=pending)
                await pending.remove()
        if focused is not None and focused.is_attached:
            focused.focus()

    async def _offer_crashed(self) -> None:
        assert self.services is not None
        sessions = await self.services.store.sessions(self.workspace)
        crashed = [s for s in sessions if s.status == "crashed"]
        if crashed:
            s = crashed[0]
            self.notify(
                f"Session {s.id} ({s.title or 'untitled'}) did not close cleanly. "
                "Press ctrl+r to resume it, or run `workbench --continue`.",
                severity="warning",
                timeout=15,
            )

    async def action_quit(self) -> None:
        """Close the session cleanly, then exit."""
        await self._shutdown_services()
        self.exit()

    async def _shutdown_services(self) -> None:
        services, self.services = self.services, None
        if services is not None:
            chat = self._chat_pane
            turn = chat.turn if chat is not None else None
            if turn is not None and turn.is_running:
                turn.cancel()
                await asyncio.sleep(0)
                try:
                    await turn.wait()
                except Exception:
                    pass
            from workbench.core.runtime import LogWriteError

            try:
                await services.aclose()
            except LogWriteError:  # the close could not be recorded; the session shows as crashed
                pass

    async def on_unmount(self) -> None:
        getattr(self, "_remove_reporter", lambda: None)()
        await self._shutdown_services()

    # -- panes ---------------------------------------------------------------------------------
    def pane(self, pane_id: str) -> Widget:
        """Return the pane widget with id ``pane_id`` (one of :data:`PANE_IDS`); during the first
        frame a side pane may still be its stand-in."""
        found = self.query(f"#{pane_id}")
        return found.first() if found else self.query_one(f"#pending-{pane_id}")

    def action_focus_pane(self, pane_id: str) -> None:
        """Focus a pane (its prompt, for Chat); a maximized other pane is restored first."""
        screen = self.screen
        if screen.maximized is not None and screen.maximized.id != pane_id:
            screen.minimize()
        target = self.pane(pane_id)
        if pane_id == "chat":
            self.query_one("#prompt").focus()
        else:
            target.focus()

    def action_goto_pane(self) -> None:
        """``ctrl+g`` then a digit: focus a pane (see :mod:`workbench.ui.screens.goto`)."""
        from workbench.ui.screens.goto import GotoPane

        def chosen(pane_id: str | None) -> None:
            if pane_id:
                self.action_focus_pane(pane_id)

        self.push_screen(GotoPane(), chosen)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Pane keys act on the main screen only (not under the approval modal or a review screen)."""
        if action in ("focus_pane", "goto_pane") and self.screen is not self.screen_stack[0]:
            return False
        if action == "toggle_maximize" and isinstance(self.screen, ModalScreen):
            return False
        return True

    def focused_pane(self) -> Widget | None:
        """The pane holding the focus, if any."""
        node = self.focused
        while node is not None:
            if isinstance(node, Widget) and node.id in PANE_IDS:
                return node
            node = node.parent  # type: ignore[assignment]
        return None

    def action_toggle_maximize(self) -> None:
        """Maximize the focused pane, or restore the layout when one is maximized."""
        screen = self.screen
        if screen.maximized is not None:
            screen.minimize()
            return
        pane = self.focused_pane() or self.pane("chat")
        screen.maximize(pane, container=False)

    def action_help(self) -> None:
        """Open the help screen listing every binding."""
        from workbench.ui.screens.help import HelpScreen

        self.push_screen(HelpScreen())

    @work(group="sessions", exclusive=True)
    async def action_sessions(self) -> None:
        """Open the session picker; resume the chosen session."""
        from workbench.ui.screens.sessions import SessionPicker

        if self.services is None:
            self.notify("Still starting.", severity="warning")
            return
        sessions = await self.services.store.sessions(self.workspace)
        current = self.services.chat.session.id if self.services.chat.session else None
        chosen = await self.push_screen_wait(SessionPicker(sessions, current))
        if chosen and chosen != current:
            await self.chat_pane.open_session(chosen)

    async def action_new_session(self) -> None:
        """Start a new session."""
        await self.chat_pane.action_new_session()

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for pane_id in PANE_IDS:
            yield SystemCommand(
                f"Focus {pane_id} pane",
                f"Move the focus to the {pane_id.title()} pane",
                lambda p=pane_id: self.action_focus_pane(p),
            )
        yield SystemCommand("Maximize or restore pane", "Toggle maximizing the focused pane (F2)", self.action_toggle_maximize)
        yield SystemCommand("Resume a session", "Pick an earlier session of this workspace (ctrl+r)", self.action_sessions)
        yield SystemCommand("New session", "Start a new chat session (ctrl+n)", self.action_new_session)
        yield SystemCommand("Help: keys", "List every key binding (F1)", self.action_help)
        from workbench.ui import trust_flow

        yield from trust_flow.commands(self)
        yield SystemCommand(
            "Rewind to a checkpoint",
            "Restore files and/or the conversation (esc esc on an empty prompt)",
            lambda: self.chat_pane.open_rewind(),
        )


def _prewarm_sdk() -> None:
    """Import the OpenAI SDK in the background so the first prompt does not pay for it."""
    try:
        import openai  # noqa: F401
    except Exception:  # pragma: no cover
        pass
