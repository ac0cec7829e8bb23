"""Recovery of session containers: re-attach on resume, and find the containers of ended sessions.

``workbench resume`` finds the session's container by its labels (see
:meth:`SandboxService.ensure`): it re-attaches when the container runs, starts it when stopped and
recreates it when gone; a ``sandbox.container`` event records which. Containers whose session is
no longer open (closed cleanly, crashed, or unknown to the log) are *stale*: the Containers pane
offers to prune them and ``workbench sandbox prune`` removes them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from workbench.core.events import Event, EventKind

from .containers import ContainerInfo, SandboxInfo

if TYPE_CHECKING:
    from workbench.core.runtime import Services
    from workbench.core.store.db import SessionInfo


@dataclass(frozen=True)
class Reattach:
    """What :func:`reattach_on_resume` did.

    Attributes:
        outcome: ``"attached"``, ``"started"``, ``"recreated"`` (see :data:`EnsureOutcome`);
            ``"none"`` when the session never had a container (nothing done); ``"failed"`` when
            the engine, the image or the runtime was missing (``message`` says why and the fix).
        message: one line for the user ("" when nothing happened).
        info: the container, when one is running now.
    """

    outcome: str
    message: str = ""
    info: SandboxInfo | None = None


@dataclass(frozen=True)
class StaleContainer:
    """A container whose session is not open any more.

    Attributes:
        container: the container.
        session_status: ``"crashed"``, ``"closed"``, ``"new"`` or ``"unknown"`` (its session is
            not in this workspace's event log).
    """

    container: ContainerInfo
    session_status: str


def had_container(events: Iterable[Event]) -> bool:
    """Whether a session's events record a sandbox container (a ``sandbox.container`` event)."""
    return any(e.kind == EventKind.SANDBOX_CONTAINER for e in events)


def stale_containers(
    containers: Iterable[ContainerInfo], sessions: Iterable[SessionInfo], keep: Iterable[str] = ()
) -> list[StaleContainer]:
    """Return the containers whose session is not open (ended, crashed or unknown).

    Args:
        containers: this workspace's containers (:meth:`SandboxService.list_containers`).
        sessions: this workspace's sessions from the event log (``store.sessions(ws)``); a status
            ``"open"`` means a live process holds the session.
        keep: session ids to treat as live whatever the log says (e.g. the current session).

    Returns:
        The stale containers with their session's status, in the given order.
    """
    status = {s.id: s.status for s in sessions}
    live = set(keep)
    out = []
    for info in containers:
        state = status.get(info.session, "unknown")
        if state != "open" and info.session not in live:
            out.append(StaleContainer(info, state))
    return out


async def reattach_on_resume(services: Services) -> Reattach:
    """Find the resumed session's container again and record what happened (call after ``chat.open``).

    When the session's log holds a ``sandbox.container`` event, :meth:`SandboxService.ensure` runs
    with ``had_container=True``: a running container is re-attached, a stopped one started, a
    missing one recreated; a new ``sandbox.container`` event (payload as in
    :data:`EventKind.SANDBOX_CONTAINER`, plus ``"reason": "resume"``) records the outcome.
    A session that never ran a command gets no container (outcome ``"none"``).

    Args:
        services: the running services, with ``services.chat.session`` the resumed session.

    Returns:
        A :class:`Reattach`. Never raises for engine/image/runtime problems: those give outcome
        ``"failed"`` with the message (the session still opens; ``run_command`` reports the same
        problem to the model when it is used).
    """

    from .errors import SandboxError

    session = services.chat.session
    if session is None:
        return Reattach("none")
    events = await services.store.events(session.id, kinds=[EventKind.SANDBOX_CONTAINER])
    if not had_container(events):
        return Reattach("none")
    try:
        info = await services.sandbox.ensure(session.id, had_container=True)
    except SandboxError as exc:
        return Reattach("failed", f"The session's sandbox could not be restored: {exc}")
    except Exception as exc:  # noqa: BLE001 - docker transport errors (engine went away mid-call)
        return Reattach("failed", f"The session's sandbox could not be restored: {type(exc).__name__}: {exc}")
    c = info.container
    await services.chat.emit(
        Event(
            EventKind.SANDBOX_CONTAINER,
            session.id,
            {
                "outcome": info.outcome,
                "container": c.id,
                "name": c.name,
                "image": c.image,
                "setup": [{"command": s.command, "exit_code": s.exit_code} for s in info.setup],
                "reason": "resume",
                "orphans_killed": info.orphans_killed,
                "write_problem": info.write_problem,
            },
        )
    )
    tool: Any = services.run_command
    if tool is not None and hasattr(tool, "mark_ensured"):
        tool.mark_ensured(session.id)
    verb = {"attached": "re-attached to", "started": "started", "recreated": "recreated"}.get(info.outcome, info.outcome)
    message = f"Sandbox {verb} {c.name}."
    if info.orphans_killed > 0:
        message += f" {info.orphans_killed} processes left running by the crashed session were killed."
    elif info.orphans_killed < 0:
        message += " It was reset to end the commands the crashed session left running."
    if info.write_problem:
        message += f" Warning: {info.write_problem}"
    return Reattach(info.outcome, message, info)


async def prune_crashed(services: Services) -> list[str]:
    """Remove this workspace's containers whose session crashed (the log says ``crashed``).

    Called when a session creates its first container, so containers of crashed processes do
    not pile up. Containers of open sessions, and of sessions closed with ``keep_on_exit``, stay.

    Returns:
        The names of the containers removed.
    """

    service = services.sandbox
    sessions = await services.store.sessions(services.workspace)
    current = services.chat.session.id if services.chat.session is not None else ""
    stale = stale_containers(await service.list_containers(), sessions, keep=[current])
    crashed = {s.container.session for s in stale if s.session_status == "crashed"}
    if not crashed:
        return []
    return [c.name for c in await service.prune(crashed)]


async def stop_on_exit(services: Services) -> list[str]:
    """Stop the containers this process's sessions used, unless ``[sandbox] keep_on_exit``.

    Registered as a closer of :class:`~workbench.core.runtime.Services`: the TUI's quit and the
    end of a headless ``run`` both go through it. Never contacts the engine when no command ran.

    Returns:
        The names of the containers stopped.
    """
    service: Any = services.sandbox_started
    if service is None or services.settings.sandbox.keep_on_exit:
        return []
    import asyncio

    stopped = await asyncio.to_thread(service.stop_sessions_sync)
    return [c.name for c in stopped]
