"""Container actions of the Containers pane: start, stop, restart, remove, prune, run, copy output,
open the last output's spool file in ``$PAGER``.

:class:`ContainerActions` is a mixin of :class:`~workbench.ui.containers.pane.ContainersPane`.
Every docker call goes through the pane's
:class:`~workbench.core.sandbox.service.SandboxService` (off the event loop) in a worker; errors
become notifications, and the table is refreshed after each action.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import work

from workbench.ui.containers.format import COMMAND_MARK, STDERR_MARK
from workbench.ui.plugins.modals import ConfirmModal

if TYPE_CHECKING:
    from textual.containers import Vertical

    from workbench.core.runtime import Services
    from workbench.core.sandbox.containers import ContainerInfo
    from workbench.core.sandbox.service import SandboxService
    from workbench.ui.containers.ingest import LineIngest

    _Base = Vertical
else:
    _Base = object


class ContainerActions(_Base):
    """The action keys of the Containers pane (a mixin: the pane provides the state and views)."""

    services: Services | None
    service: SandboxService | None
    engine_ok: bool | None
    containers: dict[str, ContainerInfo]
    followed: ContainerInfo | None
    ingest: LineIngest | None
    last_spool: Path | None
    _agent_output_latest: bool

    if TYPE_CHECKING:  # provided by the pane and by LogFollowing

        def selected(self) -> ContainerInfo | None: ...
        def poll_soon(self) -> None: ...
        async def refresh_now(self) -> None: ...
        def feed(self, stream: str, data: bytes) -> None: ...
        def flush_partial(self) -> None: ...

    def _target(self) -> ContainerInfo | None:
        info = self.selected()
        if info is None or self.service is None:
            self.notify("No container selected.", severity="warning")
        return info

    async def _guard(self, coro: Any, done: str) -> None:
        from workbench.core.sandbox.errors import SandboxError

        try:
            await coro
        except SandboxError as exc:
            self.notify(str(exc), severity="error", timeout=15)
        except Exception as exc:  # noqa: BLE001 - docker API errors carry the engine's message
            self.notify(f"{type(exc).__name__}: {exc}", severity="error", timeout=15)
        else:
            self.notify(done)
        self.poll_soon()

    @work(group="containers-action", exit_on_error=False)
    async def action_start(self) -> None:
        """Start the selected container."""
        info = self._target()
        if info is not None and self.service is not None:
            await self._guard(self.service.start(info.id), f"Started {info.name}.")

    @work(group="containers-action", exit_on_error=False)
    async def action_stop(self) -> None:
        """Stop the selected container (SIGTERM, then SIGKILL after 5 s)."""
        info = self._target()
        if info is not None and self.service is not None:
            await self._guard(self.service.stop(info.id), f"Stopped {info.name}.")

    @work(group="containers-action", exit_on_error=False)
    async def action_restart(self) -> None:
        """Restart the selected container."""
        info = self._target()
        if info is not None and self.service is not None:
            await self._guard(self.service.restart(info.id), f"Restarted {info.name}.")

    @work(group="containers-action", exit_on_error=False)
    async def action_remove(self) -> None:
        """Remove the selected container after a confirmation (a running one is killed)."""
        info = self._target()
        if info is None or self.service is None:
            return
        body = (
            f"container {info.name} ({info.status})\nimage {info.image}\nsession {info.session}\n\n"
            "Files in /workspace stay; anything else inside the container is lost. The session's "
            "sandbox is recreated on its next command."
        )
        if not await self.app.push_screen_wait(ConfirmModal(f"Remove the container {info.name}?", body, yes_label="Remove (y)")):
            return
        await self._guard(self.service.remove(info.id), f"Removed {info.name}.")

    @work(group="containers-action", exit_on_error=False)
    async def action_prune(self) -> None:
        """Remove the containers of ended or crashed sessions, after a confirmation."""
        from workbench.core.sandbox.reattach import stale_containers

        if self.service is None or self.services is None or not self.engine_ok:
            self.notify("No Docker engine: nothing to prune.", severity="warning")
            return
        await self.refresh_now()
        chat = self.services.chat
        keep = [chat.session.id] if chat.session is not None else []
        sessions = await self.services.store.sessions(self.services.workspace)
        stale = stale_containers(list(self.containers.values()), sessions, keep)
        if not stale:
            self.notify("Nothing to prune: every container belongs to an open session.")
            return
        body = "\n".join(
            f"{s.container.name}  {s.container.status}  session {s.container.session} ({s.session_status})" for s in stale
        )
        if not await self.app.push_screen_wait(
            ConfirmModal(f"Remove {len(stale)} container(s) of ended or crashed sessions?", body, yes_label="Prune (y)")
        ):
            return
        removed = await self.service.prune({s.container.session for s in stale})
        self.notify(f"Removed {len(removed)} container(s).")
        self.poll_soon()

    @work(group="containers-command", exit_on_error=False)
    async def _run_command(self, command: str) -> None:
        """Run ``command`` in the selected container's session sandbox, streaming into the view."""
        from workbench.core.sandbox.errors import SandboxError

        if self.service is None or self.services is None:
            return
        info = self.selected()
        session_id = info.session if info is not None else (await self.services.chat.ensure_session()).id
        ingest = self.ingest
        assert ingest is not None
        ingest.push([f"{COMMAND_MARK}{command}"])

        def on_output(stream: str, data: bytes) -> None:
            followed = self.followed
            if followed is not None and followed.session == session_id:
                self.feed(stream, data)

        try:
            spool = self.service.new_spool_path(session_id)
            result = await self.service.run_command(session_id, command, on_output=on_output, spool=spool)
        except SandboxError as exc:
            ingest.push([f"{STDERR_MARK}{exc}"])
            self.notify(str(exc), severity="error", timeout=15)
            return
        except Exception as exc:  # noqa: BLE001 - docker transport errors
            ingest.push([f"{STDERR_MARK}{type(exc).__name__}: {exc}"])
            self.notify(f"{type(exc).__name__}: {exc}", severity="error", timeout=15)
            return
        self.flush_partial()
        self.last_spool = result.spool_path
        self._agent_output_latest = False
        status = "timed out (killed)" if result.timed_out else f"exit {result.exit_code}"
        if result.note:
            status += f": {result.note}"
        ingest.push([f"[{status}, {result.duration_s:.2f} s]"])
        self.poll_soon()

    @property
    def last_output(self) -> str:
        """Output of the last command typed in the pane (from its spool file, at most 8 MiB)."""
        return _read_spool(self.last_spool)

    def _last_spool(self) -> tuple[Path | None, str]:
        """The spool file of the latest command (the agent's or one typed here) and whose it is."""
        if self._agent_output_latest or self.last_spool is None:
            tool = self.services.run_command if self.services is not None else None
            agent = getattr(tool, "last_spool", None) if tool is not None else None
            if agent is not None:
                return agent, "the agent's last command"
        return self.last_spool, "your last command"

    def action_open_output(self) -> None:
        """Open the whole output of the last command (its spool file) in ``$PAGER`` (default
        ``less``); the app suspends meanwhile."""
        from textual.app import SuspendNotSupported

        path, source = self._last_spool()
        if path is None or not path.exists():
            self.notify("No command output to open yet.", severity="warning")
            return
        pager = os.environ.get("PAGER") or "less"
        try:
            with self.app.suspend():
                subprocess.run([*shlex.split(pager), str(path)], check=False)
        except SuspendNotSupported:
            self.notify(f"The output of {source} is in {path}", timeout=15)
        except OSError as exc:
            self.notify(f"Cannot start the pager {pager!r}: {exc}. The output is in {path}", severity="error", timeout=15)

    def action_copy_output(self) -> None:
        """Copy the full output of the last command (the agent's or one typed here) to the clipboard."""
        text = self.last_output
        source = "your last command"
        if self._agent_output_latest or not text:
            tool = self.services.run_command if self.services is not None else None
            agent_text = getattr(tool, "last_output", "") if tool is not None else ""
            if agent_text:
                text, source = agent_text, "the agent's last command"
        if not text:
            self.notify("No command output to copy yet.", severity="warning")
            return
        self.app.copy_to_clipboard(text)
        self.notify(f"Copied the output of {source} ({len(text):,} characters).")


def _read_spool(path: Path | None, limit: int = 8 << 20) -> str:
    """Return the first ``limit`` bytes of a spool file, decoded (UTF-8, replacing); "" if none."""
    if path is None:
        return ""
    try:
        with open(path, "rb") as fh:
            return fh.read(limit).decode("utf-8", errors="replace")
    except OSError:
        return ""
