"""Typed errors of the sandbox service; every message names the cause and the fix."""

from __future__ import annotations


class SandboxError(Exception):
    """Base class of every sandbox error."""


class EngineUnavailable(SandboxError):
    """No Docker engine answers (not installed, not running, wrong ``DOCKER_HOST`` or context).

    Attributes:
        reason: what failed, e.g. ``"cannot connect to unix:///var/run/docker.sock"``.
        fix: what the user can do about it.
    """

    def __init__(self, reason: str, fix: str) -> None:
        super().__init__(f"Docker engine unavailable: {reason}. Fix: {fix}")
        self.reason = reason
        self.fix = fix


class ImageMissing(SandboxError):
    """The configured sandbox image is not present on the engine (and no registry is used)."""

    def __init__(self, image: str) -> None:
        super().__init__(
            f"sandbox image {image!r} is not present on the Docker engine. Fix: pull it "
            f"(`docker pull {image}`) if a registry is reachable; or run `workbench sandbox build` "
            "to build it from .workbench/sandbox/Dockerfile; or import a root filesystem (e.g. made "
            "with debootstrap) with `workbench sandbox build --rootfs DIR_OR_TAR --tag NAME` and set "
            '[sandbox] image = "NAME" in .workbench/config.toml.'
        )
        self.image = image


class RuntimeMissing(SandboxError):
    """The configured OCI runtime (e.g. gVisor ``runsc``) is not registered with the engine.

    The sandbox fails closed: it never falls back to the default runtime.
    """

    def __init__(self, runtime: str, available: list[str]) -> None:
        super().__init__(
            f"[sandbox] runtime = {runtime!r} is not available on the Docker engine (it has: "
            f"{', '.join(sorted(available)) or 'none'}). Not falling back to another runtime. Fix: "
            f'install and register {runtime!r} in the engine\'s daemon.json ("runtimes"), or '
            "remove `runtime` from [sandbox] in .workbench/config.toml."
        )
        self.runtime = runtime
        self.available = available


class ContainerNotFound(SandboxError):
    """No container with this id or name exists (it was removed)."""

    def __init__(self, ref: str) -> None:
        super().__init__(
            f"container {ref!r} not found (removed?). Fix: run the command again; the session's sandbox is recreated on demand."
        )
        self.ref = ref


class SetupFailed(SandboxError):
    """A ``[sandbox] setup`` command exited non-zero in a new container."""

    def __init__(self, command: str, exit_code: int, output: str) -> None:
        super().__init__(
            f"[sandbox] setup command {command!r} exited with {exit_code}: {output[-2000:]}\n"
            "Fix: correct the command in [sandbox] setup (.workbench/config.toml); the container "
            "was kept so you can inspect it."
        )
        self.command = command
        self.exit_code = exit_code
        self.output = output
