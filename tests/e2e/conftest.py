"""Acceptance suite on the installed wheel: ``workbench`` from a fresh venv, run in subprocesses.

Fixtures:

* ``workbench_bin`` (session): ``Path`` of the ``workbench`` executable of a venv outside the
  repository into which the wheel built from this checkout is installed (``pip wheel --no-deps``,
  then ``pip install``). ``WB_E2E_VENV=/path/to/venv`` uses a prebuilt venv instead (``.ci/run``
  builds it once); otherwise the venv is cached under ``$XDG_CACHE_HOME/workbench-e2e/<hash>``,
  the hash being that of the wheel's RECORD (the sha256 of every file in it), so an unchanged
  checkout reuses it and any change rebuilds it.
* ``wb_env``: an environment with an isolated ``WORKBENCH_HOME`` and no API key or ``WORKBENCH_*``
  variables from the outside.
* ``wb``: a :class:`Workbench` runner (``wb("sessions", "--path", ws)`` -> ``CompletedProcess``,
  ``wb.popen(...)``) bound to both.
* ``scripted``: a started :class:`workbench.scripted.server.ScriptedServer`;
  :func:`llm_env` points an environment at it.
* ``e2e_ws``: an empty workspace folder with one file (``hello.py``).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from workbench.scripted.server import ScriptedServer

E2E_BUSYBOX = "workbench-test/busybox:latest"
"""The local test image the sandbox e2e tests use (built by .ci/docker-setup.sh)."""

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
KEY = "sk-e2e-test-key-not-secret"
"""API key given to the scripted server (it accepts any)."""


def _venv_bin(venv: Path, name: str) -> Path:
    return venv / ("Scripts" if os.name == "nt" else "bin") / name


def _record_hash(wheel: Path) -> str:
    with zipfile.ZipFile(wheel) as zf:
        record = next(n for n in zf.namelist() if n.endswith(".dist-info/RECORD"))
        return hashlib.sha256(zf.read(record)).hexdigest()[:16]


def build_venv(target_root: Path) -> Path:
    """Build the wheel of this checkout and install it into a fresh venv under ``target_root``.

    Several checkouts may share ``target_root`` at once: the wheel is built in a folder of its
    own, and a lock file per venv lets one session build it while the others wait.

    Returns:
        The venv folder (reused when a venv for an identical wheel is already complete).

    Raises:
        RuntimeError: the wheel cannot be built or installed (the message has pip's output).
    """
    target_root.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="build-", dir=target_root))
    try:
        built = subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(work), str(REPO)],
            capture_output=True,
            text=True,
            timeout=900,
        )
        if built.returncode != 0:
            raise RuntimeError(f"pip wheel failed:\n{built.stdout}\n{built.stderr}")
        [wheel] = work.glob("workbench-*.whl")
        venv = target_root / f"venv-{_record_hash(wheel)}"
        with open(target_root / f"{venv.name}.lock", "w") as lock:  # one builder per venv at a time
            fcntl.flock(lock, fcntl.LOCK_EX)
            if (venv / ".complete").exists():
                return venv
            shutil.rmtree(venv, ignore_errors=True)  # a build that was cut short
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
            pip = [str(_venv_bin(venv, "python")), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
            installed = subprocess.run([*pip, str(wheel)], capture_output=True, text=True, timeout=1800)
            if installed.returncode != 0:
                raise RuntimeError(f"pip install {wheel.name} failed:\n{installed.stdout}\n{installed.stderr}")
            (venv / ".complete").write_text(wheel.name)
        return venv
    finally:
        shutil.rmtree(work, ignore_errors=True)


@pytest.fixture(scope="session")
def e2e_venv() -> Path:
    """The venv holding the installed wheel (``WB_E2E_VENV`` or built and cached)."""
    given = os.environ.get("WB_E2E_VENV")
    if given:
        venv = Path(given)
        if not _venv_bin(venv, "workbench").exists():
            pytest.fail(f"WB_E2E_VENV={given} has no bin/workbench; build it with .ci/run or unset it")
        return venv
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "workbench-e2e"
    return build_venv(cache)


@pytest.fixture(scope="session")
def workbench_bin(e2e_venv: Path) -> Path:
    """The installed wheel's ``workbench`` executable (outside the repository)."""
    exe = _venv_bin(e2e_venv, "workbench")
    assert REPO not in exe.resolve().parents, f"{exe} is inside the repository"
    return exe


@pytest.fixture(scope="session")
def venv_python(e2e_venv: Path) -> Path:
    """The e2e venv's Python (to inspect the installed package)."""
    return _venv_bin(e2e_venv, "python")


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    """The current environment minus API keys and ``WORKBENCH_*``/``OPENAI_*``, with ``WORKBENCH_HOME=home``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WORKBENCH_", "OPENAI_", "DEEPSEEK_", "MOONSHOT_", "PYTHON"))}
    env.update(WORKBENCH_HOME=str(home), PYTHONUNBUFFERED="1")
    env.update(extra)
    return env


def llm_env(server: ScriptedServer, *, model: str | None = "scripted-demo") -> dict[str, str]:
    """Variables pointing Workbench at ``server`` (``model=None``: no model configured)."""
    env = {"OPENAI_BASE_URL": server.base_url, "OPENAI_API_KEY": KEY}
    if model:
        env["WORKBENCH_LLM__MODEL"] = model
    return env


@pytest.fixture
def wb_env(tmp_path: Path) -> dict[str, str]:
    """An isolated environment for one test (its own ``WORKBENCH_HOME``)."""
    home = tmp_path / "wbhome"
    home.mkdir()
    return clean_env(home)


class Workbench:
    """Runs the installed ``workbench`` with a given environment and working folder."""

    def __init__(self, exe: Path, env: dict[str, str], cwd: Path) -> None:
        self.exe, self.env, self.cwd = exe, env, cwd

    def _env(self, env: Mapping[str, str] | None) -> dict[str, str]:
        return {**self.env, **(env or {})}

    def __call__(
        self,
        *args: str | Path,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        timeout: float = 120,
        input: str | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run ``workbench ARGS`` to completion; ``env`` adds to the isolated environment."""
        return subprocess.run(
            [str(self.exe), *map(str, args)],
            env=self._env(env),
            cwd=cwd or self.cwd,
            capture_output=True,
            text=True,
            timeout=timeout,
            input=input,
            stdin=None if input is not None else subprocess.DEVNULL,
        )

    def trust(self, ws: Path) -> None:
        """``workbench trust --path WS``: the workspace's own files (config, Dockerfile...) apply."""
        proc = self("trust", "--path", ws)
        assert proc.returncode == 0, proc.stdout + proc.stderr

    def popen(
        self, *args: str | Path, env: Mapping[str, str] | None = None, cwd: Path | None = None, **kwargs
    ) -> subprocess.Popen[str]:
        """Start ``workbench ARGS`` (pipes for stdin/stdout/stderr unless given)."""
        kwargs.setdefault("stdin", subprocess.PIPE)
        kwargs.setdefault("stdout", subprocess.PIPE)
        kwargs.setdefault("stderr", subprocess.PIPE)
        return subprocess.Popen([str(self.exe), *map(str, args)], env=self._env(env), cwd=cwd or self.cwd, text=True, **kwargs)


@pytest.fixture
def e2e_ws(tmp_path: Path) -> Path:
    """A workspace folder with one source file."""
    ws = tmp_path / "project"
    ws.mkdir()
    (ws / "hello.py").write_text("print('hello')\n")
    return ws


@pytest.fixture
def wb(workbench_bin: Path, wb_env: dict[str, str], tmp_path: Path) -> Workbench:
    """The installed ``workbench``, run from a neutral folder (not the workspace, not the repo)."""
    cwd = tmp_path / "elsewhere"
    cwd.mkdir()
    return Workbench(workbench_bin, wb_env, cwd)


@pytest.fixture
def scripted() -> Iterator[ScriptedServer]:
    """A started scripted OpenAI-compatible server (model ``scripted-demo``)."""
    with ScriptedServer() as server:
        yield server


def one_line_reason(proc: subprocess.CompletedProcess[str]) -> str:
    """Assert a failed run said why on stderr without a traceback; return its last line."""
    assert proc.returncode != 0
    err = proc.stderr.strip()
    assert err, f"exit {proc.returncode} with an empty stderr (stdout: {proc.stdout!r})"
    assert "Traceback" not in err, err
    return err.splitlines()[-1]


@pytest.fixture
def sandbox_ws(wb, e2e_ws):
    """``(docker client, workspace)``: a workspace with a small busybox sandbox, trusted with
    ``workbench trust`` (mode stays ``ask``); its containers are removed afterwards."""
    from helpers.docker import require_docker

    from workbench.core.sandbox.policy import LABEL_WORKSPACE

    client = require_docker(E2E_BUSYBOX)
    ws = e2e_ws.resolve()
    (ws / ".workbench").mkdir()
    (ws / ".workbench" / "config.toml").write_text(
        f'[sandbox]\nimage = "{E2E_BUSYBOX}"\nmem_limit = "64m"\npids_limit = 64\ncommand_timeout = 20\n'
    )
    wb.trust(ws)
    if os.geteuid() == 0:  # as in helpers.docker.sandbox_workspace
        for root, dirs, files in os.walk(ws):
            for name in dirs + files:
                os.chown(os.path.join(root, name), 1000, 1000)
        os.chown(ws, 1000, 1000)
    try:
        yield client, ws
    finally:
        for c in client.containers.list(all=True, filters={"label": f"{LABEL_WORKSPACE}={ws}"}):
            c.remove(force=True)
