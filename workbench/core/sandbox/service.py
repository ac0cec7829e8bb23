"""The sandbox service: one hardened container per session, found again by its labels.

Async API for the app; every docker SDK call runs in a worker thread (``asyncio.to_thread``).
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from ..paths import workspace_data_dir
from .containers import ContainerInfo, ContainerStats, EnsureOutcome, SandboxInfo, info_from_attrs, stats_from_sample
from .engine import ClientFactory, connect
from .errors import ContainerNotFound, ImageMissing, RuntimeMissing, SetupFailed
from .exec import CommandResult, OutputCallback, run_command
from .logs import BatchCallback, LogFollower
from .policy import LABEL_SESSION, LABEL_WORKSPACE, SandboxSettings, container_config

T = TypeVar("T")


class SandboxService:
    """Creates, finds and drives the session containers of one workspace.

    Args:
        settings: the ``[sandbox]`` policy.
        workspace: the workspace root (bind-mounted at ``/workspace``).
        client_factory: builds a ``docker.DockerClient`` (default :func:`engine.connect`, which
            honours ``DOCKER_HOST`` and docker contexts). Called once, lazily, in a thread.
    """

    def __init__(self, settings: SandboxSettings, workspace: Path, client_factory: ClientFactory | None = None) -> None:
        self.settings = settings
        self.workspace = Path(workspace).resolve()
        self._factory = client_factory or connect
        self._client: Any = None
        self._lock = threading.Lock()
        self._known_sessions: set[str] = set()

    # -- engine ---------------------------------------------------------------------------------
    def client(self) -> Any:
        """Return the docker client, connecting on first use (blocking).

        Raises:
            EngineUnavailable: no engine answers.
        """
        with self._lock:
            if self._client is None:
                self._client = self._factory()
            return self._client

    def _filters(self, session_id: str | None = None) -> dict[str, list[str]]:
        labels = [f"{LABEL_WORKSPACE}={self.workspace}"]
        if session_id is not None:
            labels.append(f"{LABEL_SESSION}={session_id}")
        return {"label": labels}

    def _check_runtime(self, client: Any) -> None:
        runtime = self.settings.runtime
        if runtime:
            available = list((client.info().get("Runtimes") or {}).keys())
            if runtime not in available:
                raise RuntimeMissing(runtime, available)

    def _get(self, ref: str) -> Any:
        import docker

        try:
            return self.client().containers.get(ref)
        except docker.errors.NotFound as exc:
            raise ContainerNotFound(ref) from exc

    # -- session containers ---------------------------------------------------------------------
    def ensure_sync(self, session_id: str, had_container: bool = False) -> SandboxInfo:
        """Blocking :meth:`ensure`."""
        import docker

        client = self.client()
        self._check_runtime(client)
        found = client.containers.list(all=True, filters=self._filters(session_id))
        outcome: EnsureOutcome
        for container in found:
            status = container.status
            if status == "running":
                first = session_id not in self._known_sessions
                self._known_sessions.add(session_id)
                if not first:
                    return SandboxInfo(info_from_attrs(container.attrs), "attached")
                orphans, problem = self._probe(container, kill_orphans=True)
                return SandboxInfo(info_from_attrs(container.attrs), "attached", orphans_killed=orphans, write_problem=problem)
            if status in ("created", "exited", "paused"):
                if status == "paused":
                    container.unpause()
                else:
                    container.start()
                container.reload()
                self._known_sessions.add(session_id)
                orphans, problem = self._probe(container, kill_orphans=status == "paused")
                return SandboxInfo(info_from_attrs(container.attrs), "started", orphans_killed=orphans, write_problem=problem)
            container.remove(force=True)  # dead / removing: replace it
            had_container = True
        outcome = "recreated" if (had_container or session_id in self._known_sessions) else "created"
        kwargs = container_config(self.settings, self.workspace, session_id)
        try:
            container = client.containers.create(**kwargs)
        except docker.errors.ImageNotFound as exc:
            raise ImageMissing(self.settings.image) from exc
        except docker.errors.APIError as exc:
            if "No such image" in str(exc):
                raise ImageMissing(self.settings.image) from exc
            if exc.status_code == 409:  # a container of that name exists (another workspace label?)
                client.containers.get(kwargs["name"]).remove(force=True)
                container = client.containers.create(**kwargs)
            else:
                raise
        container.start()
        container.reload()
        self._known_sessions.add(session_id)
        _, problem = self._probe(container, kill_orphans=False)
        setup: list[CommandResult] = []
        for command in self.settings.setup:
            result = run_command(
                container, command, self.settings.setup_timeout, output_limit=self.settings.output_limit_for_model
            )
            setup.append(result)
            if result.exit_code != 0:
                raise SetupFailed(command, result.exit_code if result.exit_code is not None else -1, result.output_for_model)
        return SandboxInfo(info_from_attrs(container.attrs), outcome, setup, write_problem=problem)

    def _probe(self, container: Any, *, kill_orphans: bool) -> tuple[int, str]:
        """Check that the sandbox user can write ``/workspace`` and, on re-attach, kill the
        commands a crashed process left running (one exec).

        Returns:
            ``(orphans killed, write problem)``; the problem is "" when the workspace is writable,
            else one line with the cause and the fix.
        """
        from .processes import probe_container

        user = str(container.attrs.get("Config", {}).get("User") or "")
        return probe_container((self.client().api, container.id), user, self.workspace, kill_orphans=kill_orphans)

    async def ensure(self, session_id: str, had_container: bool = False) -> SandboxInfo:
        """Make sure the session's container runs: re-attach, start, or (re)create it.

        Args:
            session_id: the session.
            had_container: the session had a container before (e.g. on ``workbench resume``),
                so a missing one is reported as ``"recreated"``.

        Returns:
            A :class:`SandboxInfo` saying which of attached/started/created/recreated happened and,
            for a new container, the ``setup`` command results.

        Raises:
            EngineUnavailable: no engine. ImageMissing: the image is not on the engine.
            RuntimeMissing: the configured runtime is not registered (fail closed).
            SetupFailed: a setup command failed.
        """
        return await asyncio.to_thread(self.ensure_sync, session_id, had_container)

    def list_containers_sync(self) -> list[ContainerInfo]:
        """Blocking :meth:`list_containers`."""
        found = self.client().containers.list(all=True, filters=self._filters())
        return sorted((info_from_attrs(c.attrs) for c in found), key=lambda i: i.name)

    async def list_containers(self) -> list[ContainerInfo]:
        """Return this workspace's containers (all states), sorted by name."""
        return await asyncio.to_thread(self.list_containers_sync)

    def stats_sync(self, ref: str) -> ContainerStats:
        """Blocking :meth:`stats`."""
        sample = self.client().api.stats(self._get(ref).id, stream=False)
        return stats_from_sample(sample)

    async def stats(self, ref: str) -> ContainerStats:
        """Return a CPU/memory sample of a container (takes about one second: two CPU readings).

        Raises:
            ContainerNotFound: no such container.
        """
        return await asyncio.to_thread(self.stats_sync, ref)

    async def start(self, ref: str) -> None:
        """Start a stopped container. Raises ContainerNotFound."""
        await asyncio.to_thread(lambda: self._get(ref).start())

    async def stop(self, ref: str, timeout: int = 5) -> None:
        """Stop a container (SIGTERM, SIGKILL after ``timeout`` seconds). Raises ContainerNotFound."""
        await asyncio.to_thread(lambda: self._get(ref).stop(timeout=timeout))

    async def restart(self, ref: str, timeout: int = 5) -> None:
        """Restart a container. Raises ContainerNotFound."""
        await asyncio.to_thread(lambda: self._get(ref).restart(timeout=timeout))

    async def remove(self, ref: str) -> None:
        """Remove a container, running or not. Raises ContainerNotFound."""
        await asyncio.to_thread(lambda: self._get(ref).remove(force=True))

    def stale_containers_sync(self, live_session_ids: set[str]) -> list[ContainerInfo]:
        """Blocking :meth:`stale_containers`."""
        return [c for c in self.list_containers_sync() if c.session not in live_session_ids]

    async def stale_containers(self, live_session_ids: set[str]) -> list[ContainerInfo]:
        """Return this workspace's containers whose session is not in ``live_session_ids``."""
        return await asyncio.to_thread(self.stale_containers_sync, live_session_ids)

    def prune_sync(self, ended_session_ids: set[str]) -> list[ContainerInfo]:
        """Blocking :meth:`prune`."""
        removed = []
        for info in self.list_containers_sync():
            if info.session in ended_session_ids:
                try:
                    self._get(info.id).remove(force=True)
                except ContainerNotFound:
                    pass
                removed.append(info)
        return removed

    async def prune(self, ended_session_ids: set[str]) -> list[ContainerInfo]:
        """Remove this workspace's containers of the given (ended or crashed) sessions.

        Returns:
            The containers removed.
        """
        return await asyncio.to_thread(self.prune_sync, set(ended_session_ids))

    # -- commands and logs ----------------------------------------------------------------------
    def _run_in(
        self,
        container: Any,
        command: str,
        timeout: float | None,
        on_output: OutputCallback | None,
        cancel: threading.Event | None,
        spool: Path | None = None,
    ) -> CommandResult:
        """:func:`.exec.run_command` in ``container`` with this sandbox's limits (timeout default:
        ``command_timeout``); ``spool`` keeps the whole output in that file."""
        return run_command(
            container,
            command,
            timeout or self.settings.command_timeout,
            on_output,
            output_limit=self.settings.output_limit_for_model,
            mem_limit=self.settings.mem_limit,
            pids_limit=self.settings.pids_limit,
            cancel=cancel,
            spool=spool,
            spool_limit=self.settings.spool_limit_bytes,
        )

    def run_command_sync(
        self,
        session_id: str,
        command: str,
        timeout: float | None = None,
        on_output: OutputCallback | None = None,
        *,
        cancel: threading.Event | None = None,
        spool: Path | None = None,
    ) -> CommandResult:
        """Blocking :meth:`run_command`."""
        import docker

        from .processes import reset_container

        info = self.ensure_sync(session_id)
        container = (self.client().api, info.container.id)
        for attempt in (1, 2):
            try:
                return self._run_in(container, command, timeout, on_output, cancel, spool=spool)
            except docker.errors.APIError as exc:
                text = str(exc).lower()
                if attempt == 2 or not ("resource temporarily unavailable" in text or "fork" in text):
                    raise
                reset_container(*container)  # the exec could not even start: every pid is taken
        raise AssertionError("unreachable")  # pragma: no cover

    async def run_command(
        self,
        session_id: str,
        command: str,
        timeout: float | None = None,
        on_output: OutputCallback | None = None,
        *,
        spool: Path | None = None,
    ) -> CommandResult:
        """Run a shell command in the session's sandbox (created on first use).

        The command's whole process tree ends with it (see :mod:`.exec`). When this coroutine is
        cancelled, the tree is killed before the cancellation propagates (bounded wait), so no
        command outlives the call and no worker thread keeps the process alive.

        Args:
            session_id: the session whose container runs it.
            command: the shell command (``/bin/sh -c``), run in ``/workspace``.
            timeout: seconds (default ``[sandbox] command_timeout``); the process tree is then killed.
            on_output: ``(stream, bytes)`` callback, called from a worker thread (e.g.
                ``LogFollower.feed`` or a function that posts to the event loop).
            spool: file receiving the whole output (see :meth:`new_spool_path`).

        Returns:
            The :class:`CommandResult` (exit code, duration, truncated output, limit flags).

        Raises:
            EngineUnavailable, ImageMissing, RuntimeMissing, SetupFailed: see :meth:`ensure`.
        """
        cancel = threading.Event()
        return await _cancellable(
            cancel, self.run_command_sync, session_id, command, timeout, on_output, cancel=cancel, spool=spool
        )

    def new_spool_path(self, session_id: str) -> Path:
        """Return a fresh spool file path ``<data>/spool/<session>-<ms>-<rand>.out`` and remove the
        oldest spool files beyond ``[sandbox] spool_keep``."""
        folder = workspace_data_dir(self.workspace) / "spool"
        try:
            old = sorted(folder.glob("*.out"), key=lambda p: p.stat().st_mtime)
            for path in old[: max(0, len(old) - self.settings.spool_keep + 1)]:
                path.unlink(missing_ok=True)
        except OSError:
            pass
        import time as _time

        return folder / f"{session_id}-{int(_time.time() * 1000)}-{uuid.uuid4().hex[:6]}.out"

    def stop_sessions_sync(self, session_ids: set[str] | None = None, timeout: int = 2) -> list[ContainerInfo]:
        """Stop the running containers of ``session_ids`` (default: every session this service
        ensured); return the containers stopped."""
        ids = set(self._known_sessions if session_ids is None else session_ids)
        stopped: list[ContainerInfo] = []
        if not ids or (self._client is None and session_ids is None):
            return stopped
        for info in self.list_containers_sync():
            if info.session in ids and info.running:
                try:
                    self._get(info.id).stop(timeout=timeout)
                except Exception:  # noqa: BLE001 - removed meanwhile
                    continue
                stopped.append(info)
        return stopped

    def run_command_with_network_sync(
        self,
        command: str,
        timeout: float | None = None,
        on_output: OutputCallback | None = None,
        network: str | None = None,
        cancel: threading.Event | None = None,
    ) -> CommandResult:
        """Blocking :meth:`run_command_with_network`."""
        client = self.client()
        self._check_runtime(client)
        kwargs = container_config(self.settings, self.workspace, f"net-{uuid.uuid4().hex[:12]}")
        kwargs["network_mode"] = network or self.settings.network_for_commands
        kwargs["labels"]["workbench.network_command"] = "1"
        import docker

        try:
            container = client.containers.create(**kwargs)
        except docker.errors.ImageNotFound as exc:
            raise ImageMissing(self.settings.image) from exc
        try:
            container.start()
            return self._run_in(container, command, timeout, on_output, cancel)
        finally:
            container.remove(force=True)

    async def run_command_with_network(
        self, command: str, timeout: float | None = None, on_output: OutputCallback | None = None, network: str | None = None
    ) -> CommandResult:
        """Run one approved command with network access in a separate, short-lived container.

        The container has the same policy and workspace mount as the session's, but is attached to
        ``network`` (default ``[sandbox] network_for_commands``) and removed afterwards. The
        session container never gets a network. Approval is the caller's job.
        """
        cancel = threading.Event()
        return await _cancellable(cancel, self.run_command_with_network_sync, command, timeout, on_output, network, cancel)

    def log_path(self, info: ContainerInfo) -> Path:
        """Return the file a container's full log is written to (``<data>/logs/<name>.log``)."""
        return workspace_data_dir(self.workspace) / "logs" / f"{info.name}.log"

    async def follow(self, info: ContainerInfo, on_batch: BatchCallback) -> LogFollower:
        """Start a :class:`LogFollower` on a container (one reader thread); call ``stop()`` when done.

        ``on_batch`` is called from the reader thread; use ``loop.call_soon_threadsafe`` to reach
        the event loop.
        """
        client = await asyncio.to_thread(self.client)
        follower = LogFollower(client.api, info.id, on_batch, self.log_path(info))
        await asyncio.to_thread(follower.start)
        return follower


# -- container snapshots (checkpoints) ------------------------------------------------------------
SNAPSHOT_REPOSITORY = "workbench-snapshot"


def snapshot_container_sync(service: SandboxService, session_id: str, tag: str) -> str | None:
    """``docker commit`` the session's container as ``workbench-snapshot/<session>:<tag>``.

    Returns:
        The image name, or None when the session has no container.
    """
    found = service.client().containers.list(all=True, filters=service._filters(session_id))
    if not found:
        return None
    repository = f"{SNAPSHOT_REPOSITORY}/{session_id.lower()}"
    found[0].commit(repository=repository, tag=tag, message=f"workbench checkpoint {tag}")
    return f"{repository}:{tag}"


def restore_container_sync(service: SandboxService, session_id: str, image: str) -> SandboxInfo:
    """Replace the session's container by one created from a snapshot ``image`` (same policy).

    Raises:
        ImageMissing: the snapshot image was removed.
    """
    for container in service.client().containers.list(all=True, filters=service._filters(session_id)):
        container.remove(force=True)
    restored = SandboxService(
        service.settings.model_copy(update={"image": image, "setup": []}), service.workspace, lambda: service.client()
    )
    return restored.ensure_sync(session_id)


async def _cancellable(stop: threading.Event, func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run the blocking ``func(*args, **kwargs)`` in a thread; when the caller is cancelled, set
    ``stop`` (the command's tree is killed) and wait up to 15 s for the thread before re-raising."""
    task = asyncio.ensure_future(asyncio.to_thread(func, *args, **kwargs))
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        stop.set()
        try:
            await asyncio.wait_for(asyncio.shield(task), 15.0)
        except BaseException:  # noqa: BLE001 - the cancellation below is what matters
            pass
        raise
