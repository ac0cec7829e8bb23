"""Shared fixtures for the service-core tests: an isolated data dir, a workspace, the scripted
OpenAI-compatible server, a real event log, and a runner for the real ``workbench`` CLI."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from workbench.core.bus import EventBus
from workbench.core.chat.service import ChatService
from workbench.core.llm.client import LLMClient
from workbench.core.runtime import event_log_path
from workbench.core.store import AsyncEventStore, EventStore
from workbench.scripted.server import ScriptedServer

CANARY = "sk-canary-XYZ0123456789abcdefSECRET"
"""A fake API key: it must never appear in an event, a message, stdout or stderr."""

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``WORKBENCH_HOME`` in this test's tmp dir (the user config lives in ``home/config``)."""
    path = tmp_path / "wbhome"
    path.mkdir()
    monkeypatch.setenv("WORKBENCH_HOME", str(path))
    return path


@pytest.fixture
def workspace(tmp_path: Path, home: Path) -> Path:
    """An empty project folder (resolved)."""
    ws = tmp_path / "project"
    ws.mkdir()
    return ws.resolve()


@pytest.fixture
def log_path(workspace: Path) -> Path:
    """The workspace's event log file (in the data dir, not in the workspace)."""
    path = event_log_path(workspace)
    assert workspace not in path.parents
    return path


@pytest.fixture
def store(log_path: Path):
    """A synchronous :class:`EventStore` on the workspace's log."""
    s = EventStore(log_path)
    yield s
    s.close()


@pytest.fixture
def server():
    """A started :class:`ScriptedServer` (echoes when its script is empty)."""
    with ScriptedServer() as srv:
        yield srv


def closed_port() -> int:
    """Return a local TCP port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ChatRig:
    """An in-process chat stack: real log (on a store thread), bus, SDK client, chat service."""

    def __init__(self, store: AsyncEventStore, bus: EventBus, llm: LLMClient, chat: ChatService) -> None:
        self.store = store
        self.bus = bus
        self.llm = llm
        self.chat = chat

    async def events(self, kinds: list[str] | None = None) -> list:
        """Every event of the current (or last) session, optionally filtered by kind."""
        sid = self.session_id
        return await self.store.events(sid, kinds=kinds)

    @property
    def session_id(self) -> str:
        assert self.chat.session is not None, "no session yet"
        return self.chat.session.id


@pytest.fixture
async def rig_factory(workspace: Path, log_path: Path):
    """Factory ``await rig_factory(base_url, timeout=5, max_retries=0, api_key=CANARY, batch_ms=20)``
    building a :class:`ChatRig`; every rig is closed (session, client, log) after the test."""
    rigs: list[ChatRig] = []

    async def make(
        base_url: str,
        *,
        timeout: float = 5.0,
        max_retries: int = 0,
        api_key: str | None = CANARY,
        batch_ms: int = 20,
        model: str = "scripted-demo",
    ) -> ChatRig:
        store = await AsyncEventStore.open(log_path)
        bus = EventBus()
        llm = LLMClient(base_url, model, api_key, timeout=timeout, max_retries=max_retries)
        chat = ChatService(store, bus, llm, workspace, delta_batch_ms=batch_ms)
        rig = ChatRig(store, bus, llm, chat)
        rigs.append(rig)
        return rig

    yield make
    for rig in rigs:
        try:
            await rig.chat.close()
        finally:
            await rig.llm.close()
            await rig.store.close()


def cli_env(**extra: str) -> dict[str, str]:
    """The current environment (already isolated by the fixtures) plus ``extra``."""
    env = dict(os.environ)
    env.update(extra)
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def run_cli(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m workbench ARGS`` (the real CLI) and return the finished process."""
    return subprocess.run(
        [sys.executable, "-m", "workbench", *args],
        cwd=cwd or REPO,
        env=env if env is not None else cli_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def run_cli_many(
    *calls: tuple[tuple[str, ...], dict[str, str] | None], timeout: float = 60
) -> list[subprocess.CompletedProcess[str]]:
    """Run several independent ``python -m workbench`` commands at once (each ``(args, env)``).

    Returns:
        Their finished processes, in the order given.
    """
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "workbench", *args],
            cwd=REPO,
            env=env if env is not None else cli_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for args, env in calls
    ]
    done = []
    for (args, _), proc in zip(calls, procs):
        out, err = proc.communicate(timeout=timeout)
        done.append(subprocess.CompletedProcess(proc.args, proc.returncode, out, err))
    return done
