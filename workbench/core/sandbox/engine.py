"""Connecting to the Docker engine: ``DOCKER_HOST``, docker contexts, and a readable status.

Resolution order (the Docker CLI's, https://docs.docker.com/engine/manage-resources/contexts/):
``DOCKER_HOST`` (with ``DOCKER_TLS_VERIFY``/``DOCKER_CERT_PATH``), else ``DOCKER_CONTEXT``, else
``currentContext`` of ``~/.docker/config.json`` (its endpoint from
``~/.docker/contexts/meta/<sha256(name)>/meta.json``), else the local socket. docker SDK >= 7.2
does this in ``docker.from_env()``; :func:`describe_endpoint` reports which one applied.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

ClientFactory = Callable[[], Any]
"""A callable returning a ``docker.DockerClient`` (tests and remote engines may pass their own)."""


@dataclass(frozen=True)
class EngineStatus:
    """What the UI shows about the engine.

    Attributes:
        available: an engine answered ``ping``.
        reason: why it is unavailable (empty when available).
        fix: what to do about it (empty when available).
        version: the engine version (e.g. ``"20.10.24+dfsg1"``), empty when unavailable.
        endpoint: where we connected or tried to (e.g. ``unix:///var/run/docker.sock``).
        runtimes: OCI runtimes registered with the engine.
    """

    available: bool
    reason: str = ""
    fix: str = ""
    version: str = ""
    endpoint: str = ""
    runtimes: tuple[str, ...] = ()


def describe_endpoint(environ: dict[str, str] | None = None) -> str:
    """Return the engine endpoint the client will use, with where it came from.

    Args:
        environ: the environment to read (default ``os.environ``).

    Returns:
        e.g. ``"tcp://10.0.0.5:2376 (DOCKER_HOST)"`` or ``"ssh://box (context 'remote')"``.
    """
    env = os.environ if environ is None else environ
    if env.get("DOCKER_HOST"):
        return f"{env['DOCKER_HOST']} (DOCKER_HOST)"
    try:
        from docker.context import ContextAPI

        ctx = ContextAPI.get_current_context()
        if ctx is not None:
            host = ctx.Host or "unix:///var/run/docker.sock"
            return f"{host} (context {ctx.Name!r})"
    except Exception:  # a broken ~/.docker/config.json must not break the status line
        pass
    return "unix:///var/run/docker.sock (default)"


def connect(timeout: float = 60.0) -> Any:
    """Return a ``docker.DockerClient`` from the environment / current context (blocking).

    Args:
        timeout: default timeout of API calls, in seconds.

    Raises:
        EngineUnavailable: the client cannot be built (bad ``DOCKER_HOST``, missing TLS files).
    """
    import docker

    from .errors import EngineUnavailable

    try:
        return docker.from_env(timeout=int(timeout))
    except docker.errors.DockerException as exc:
        endpoint = describe_endpoint()
        text = str(exc)
        if any(s in text for s in ("Connection", "No such file", "Permission denied", "timed out")):
            raise EngineUnavailable(f"cannot connect to {endpoint}: {text}", _fix_for(endpoint, exc)) from exc
        raise EngineUnavailable(
            f"cannot configure the client for {endpoint}: {text}",
            "check DOCKER_HOST / DOCKER_CONTEXT and the TLS files (DOCKER_CERT_PATH), or unset them to use the local engine",
        ) from exc


def _fix_for(endpoint: str, exc: BaseException) -> str:
    text = str(exc)
    if "Permission denied" in text or "PermissionError" in text:
        return "add your user to the 'docker' group (`sudo usermod -aG docker $USER`, then log in again) or use rootless Docker"
    if endpoint.startswith("unix://") or "(default)" in endpoint:
        return (
            "start the Docker engine (`sudo systemctl start docker`, or `dockerd &`); install it "
            "with `sudo apt-get install docker.io` if missing; or point DOCKER_HOST / "
            "`docker context use` at a remote engine"
        )
    return "check that the remote engine is up and reachable, or `docker context use default`"


def engine_status_sync(client_factory: ClientFactory | None = None) -> EngineStatus:
    """Probe the engine (blocking): ping, version and runtimes, never raising.

    Args:
        client_factory: builds the client (default :func:`connect`).

    Returns:
        An :class:`EngineStatus`; ``available=False`` carries a reason and a fix.
    """
    endpoint = describe_endpoint()
    try:
        client = (client_factory or connect)()
        client.ping()
        info = client.info()
        version = str(info.get("ServerVersion", ""))
        runtimes = tuple(sorted((info.get("Runtimes") or {}).keys()))
        return EngineStatus(True, version=version, endpoint=endpoint, runtimes=runtimes)
    except Exception as exc:  # noqa: BLE001 - any failure means "unavailable", with its text
        reason = getattr(exc, "reason", None) or f"cannot connect to {endpoint}: {exc}"
        fix = getattr(exc, "fix", None) or _fix_for(endpoint, exc)
        return EngineStatus(False, reason=str(reason), fix=str(fix), endpoint=endpoint)


async def engine_status(client_factory: ClientFactory | None = None) -> EngineStatus:
    """Async :func:`engine_status_sync` (runs in a thread; never blocks the event loop)."""
    return await asyncio.to_thread(engine_status_sync, client_factory)
