"""What the spec engine needs from the running app: narrow protocols instead of the whole ``Services``.

The review actions and task runs (:mod:`.events`, :mod:`.tasks_run`) record events in the chat
session and start agent turns; drafting (:mod:`.drafting`) also streams from the model. The
product passes :class:`~workbench.core.runtime.Services`, which satisfies these protocols; the
spec engine imports neither it nor the chat service.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from workbench.core.agent.turn import TurnOutcome
    from workbench.core.events import Event
    from workbench.core.store import SessionInfo


class SpecChat(Protocol):
    """The chat session the spec engine writes to (the product's ``ChatService``)."""

    @property
    def running(self) -> bool:
        """True while an agent turn runs."""
        ...

    async def ensure_session(self) -> SessionInfo:
        """Return the open session, creating one if needed."""
        ...

    async def emit(self, *events: Event) -> list[Event]:
        """Append ``events`` to the log (committed), then publish them."""
        ...

    async def send(self, prompt: str) -> TurnOutcome:
        """Run one agent turn for ``prompt``."""
        ...


class SpecHost(Protocol):
    """What review actions and task runs use: the chat session."""

    @property
    def chat(self) -> SpecChat:
        """The chat session events are recorded in."""
        ...


class ModelStream(Protocol):
    """A model client that streams a reply (the product's ``LLMClient``)."""

    def stream_chat(self, messages: list[dict[str, Any]], *, tools: list[dict[str, Any]] | None = None) -> AsyncIterator[Any]:
        """Send ``messages`` and yield the streamed items (``TextDelta``, ``Usage``, ``Finish``...)."""
        ...


class DraftHost(SpecHost, Protocol):
    """What drafting uses: the chat session and the model."""

    @property
    def llm(self) -> ModelStream:
        """The model client."""
        ...
