"""The agent turn reaches its host only through the ``TurnHost`` protocol, and ChatService provides it."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

from workbench.core.agent import turn as turn_module
from workbench.core.agent.host import TurnHost
from workbench.core.bus import EventBus
from workbench.core.chat.service import ChatService
from workbench.core.llm.client import LLMClient
from workbench.core.store import AsyncEventStore


def _protocol_members() -> set[str]:
    names = set(getattr(TurnHost, "__annotations__", {}))
    names |= {
        n for n, v in vars(TurnHost).items() if (inspect.isfunction(v) or isinstance(v, property)) and not n.startswith("_")
    }
    return names


def _host_reads() -> set[str]:
    """Attribute names the turn module reads on ``chat`` / ``self.chat``."""
    tree = ast.parse(Path(turn_module.__file__).read_text())
    reads: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            base = node.value
            if (isinstance(base, ast.Name) and base.id == "chat") or (
                isinstance(base, ast.Attribute)
                and base.attr == "chat"
                and isinstance(base.value, ast.Name)
                and base.value.id == "self"
            ):
                reads.add(node.attr)
    return reads


def test_turn_uses_only_the_protocol() -> None:
    reads = _host_reads()
    assert reads, "the scan found no host reads: the turn module changed shape"
    assert reads <= _protocol_members(), f"AgentTurn reaches past TurnHost: {sorted(reads - _protocol_members())}"


async def test_chat_service_provides_every_member(tmp_path: Path) -> None:
    store = await AsyncEventStore.open(tmp_path / "events.db")
    try:
        chat = ChatService(store, EventBus(), LLMClient("http://127.0.0.1:9", "m", None), tmp_path)
        missing = [name for name in _protocol_members() if not hasattr(chat, name)]
        assert not missing
        for name in _protocol_members():
            proto = getattr(TurnHost, name, None)
            if inspect.isfunction(proto):
                impl = getattr(chat, name)
                assert inspect.iscoroutinefunction(proto) == inspect.iscoroutinefunction(impl), name
                assert list(inspect.signature(proto).parameters)[1:] == list(inspect.signature(impl).parameters), name
    finally:
        await store.close()
