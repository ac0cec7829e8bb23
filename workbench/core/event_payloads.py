"""Typed payloads of the event log: one frozen dataclass per :class:`~workbench.core.events.EventKind`.

:func:`payload_of` turns the JSON dict of a stored event into its kind's class: fields the class
does not know (written by a newer version) are ignored, missing ones (an older version) take their
defaults, and an unknown kind gives :class:`UnknownPayload` with the raw dict. Values are *not*
converted or validated (a ``None`` stays ``None``): the shapes are those documented on
``EventKind`` and the types here describe what the writers put in. This is what
:attr:`Event.data <workbench.core.events.Event.data>` returns (cached per event).

Why dataclasses and not pydantic: events are read on hot paths (streamed deltas, the journal and
history projections over whole logs). Measured on the dev machine (CPython 3.11, a 5-key dict):
building a slotted frozen dataclass positionally 1.3 µs, ``pydantic`` ``model_validate`` 1.7 µs,
``model_construct`` 3.0 µs; a plain ``dict.get`` 0.04 µs. The build happens once per event.

To add a kind: add its string to ``EventKind``, a ``@payload(EventKind.X)`` class here with a
default for every field, and read it as ``X.of(event).field``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import MISSING, dataclass, field, fields
from typing import Any, ClassVar, TypeVar

from workbench.core.events import Event, EventKind

__all__ = ["PAYLOAD_TYPES", "Payload", "UnknownPayload", "payload", "payload_of"]

P = TypeVar("P", bound="Payload")

PAYLOAD_TYPES: dict[str, type[Payload]] = {}
"""Kind -> payload class (every kind of ``EventKind`` has one; a test checks it)."""

_READERS: dict[str, Callable[[dict[str, Any]], Payload]] = {}
"""Kind -> a generated ``dict -> payload`` function (one positional call: 3x faster than a loop)."""


@dataclass(frozen=True, slots=True)
class Payload:
    """Base of every payload class.

    ``forked_from_seq`` is set on events copied into a forked session (the seq of the original).
    """

    KIND: ClassVar[str] = ""
    forked_from_seq: int | None = None

    @classmethod
    def of(cls: type[P], event: Event) -> P:
        """Return ``event.data`` typed as ``cls``.

        Raises:
            TypeError: the event is of another kind (a bug of the caller: check ``event.kind``).
        """
        data = event.data
        if not isinstance(data, cls):
            raise TypeError(f"event {event.seq} is {event.kind!r}, not {cls.KIND or cls.__name__!r}")
        return data


def payload(kind: str) -> Callable[[type[P]], type[P]]:
    """Class decorator: make ``cls`` a frozen slotted dataclass and register it for ``kind``."""

    def wrap(cls: type[P]) -> type[P]:
        dc = dataclass(frozen=True, slots=True)(cls)
        dc.KIND = kind
        names: dict[str, Any] = {"cls": dc}
        args = []
        for i, f in enumerate(fields(dc)):
            if f.default is not MISSING:
                names[f"d{i}"] = f.default
                args.append(f"get({f.name!r}, d{i})")
            elif f.default_factory is not MISSING:
                names[f"f{i}"] = f.default_factory
                args.append(f"(get({f.name!r}) if {f.name!r} in data else f{i}())")
            else:  # pragma: no cover - every field has a default (compatibility)
                raise TypeError(f"{cls.__name__}.{f.name} needs a default")
        source = f"def read(data):\n    get = data.get\n    return cls({', '.join(args)})\n"
        exec(source, names)
        PAYLOAD_TYPES[kind] = dc
        _READERS[kind] = names["read"]
        return dc

    return wrap


@dataclass(frozen=True, slots=True)
class UnknownPayload(Payload):
    """The payload of a kind this version does not know: ``raw`` is the stored dict."""

    raw: dict[str, Any] = field(default_factory=dict)


def payload_of(kind: str, data: dict[str, Any]) -> Payload:
    """Return the typed payload of an event of ``kind`` whose JSON payload is ``data``."""
    read = _READERS.get(kind)
    if read is None or not isinstance(data, dict):
        return UnknownPayload(raw=data if isinstance(data, dict) else {"value": data})
    return read(data)


K = EventKind
Usage = dict[str, int]


# -- session ---------------------------------------------------------------------------------------
@payload(K.SESSION_CREATED)
class SessionCreated(Payload):
    """A session was created (``parent_id``/``fork_seq`` for a fork)."""

    workspace: str = ""
    title: str | None = None
    parent_id: str | None = None
    fork_seq: int | None = None


@payload(K.SESSION_OPENED)
class SessionOpened(Payload):
    """A process (``pid``) took the session with ``model``."""

    pid: int | None = None
    model: str | None = None


@payload(K.SESSION_CLOSED)
class SessionClosed(Payload):
    """The owning process closed the session cleanly."""


@payload(K.SESSION_TITLED)
class SessionTitled(Payload):
    """The session got a title."""

    title: str | None = None


# -- conversation ----------------------------------------------------------------------------------
@payload(K.USER_MESSAGE)
class UserMessage(Payload):
    """What the user sent."""

    turn_id: str | None = None
    text: str = ""


@payload(K.ASSISTANT_DELTA)
class AssistantDelta(Payload):
    """A batch of streamed deltas (~50-100 ms)."""

    turn_id: str | None = None
    step: int | None = None
    text: str = ""
    reasoning: str = ""


@payload(K.ASSISTANT_MESSAGE)
class AssistantMessage(Payload):
    """The reply as it ended; ``recovered`` when rebuilt from deltas after a crash."""

    turn_id: str | None = None
    step: int | None = None
    text: str = ""
    reasoning: str = ""
    finish_reason: str | None = None
    interrupted: bool = False
    usage: Usage | None = None
    model: str | None = None
    request_id: str | None = None
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    """``[{"id", "name", "arguments": str}]``: the calls the reply asked for."""
    cost: float | None = None
    recovered: bool = False


@payload(K.TURN_ERROR)
class TurnError(Payload):
    """A turn failed (``error_kind``: the error's class, e.g. ``timeout``, ``checkpoint``)."""

    turn_id: str | None = None
    message: str = ""
    error_kind: str | None = None
    request_id: str | None = None


@payload(K.TURN_CANCELLED)
class TurnCancelled(Payload):
    """The user cancelled the turn."""

    turn_id: str | None = None
    reason: str | None = None


@payload(K.TURN_FINISHED)
class TurnFinished(Payload):
    """A turn ended: ``status`` done|error|cancelled|interrupted (``recovered`` after a crash)."""

    turn_id: str | None = None
    status: str | None = None
    steps: int | None = None
    cost: float | None = None
    recovered: bool = False


@payload(K.CONTEXT_COMPACTED)
class ContextCompacted(Payload):
    """Everything up to ``up_to_seq`` is replaced by ``summary`` in the model's view."""

    summary: str = ""
    up_to_seq: int | None = None
    tokens_before: int | None = None
    reason: str | None = None
    usage: Usage | None = None
    """Tokens the summarising model call used."""
    cost: float | None = None


@payload(K.MODE_CHANGED)
class ModeChanged(Payload):
    """The permission mode changed."""

    mode: str | None = None


@payload(K.MODEL_CHANGED)
class ModelChanged(Payload):
    """The model changed."""

    model: str | None = None


@payload(K.PLAN_UPDATED)
class PlanUpdated(Payload):
    """The agent's whole checklist after an ``update_plan`` call (``[{"text", "status"}]``)."""

    items: list[dict[str, str]] = field(default_factory=list)


# -- tool calls ------------------------------------------------------------------------------------
@payload(K.TOOL_CALL_REQUESTED)
class ToolCallRequested(Payload):
    """The model asked for a call; ``arguments`` is the raw JSON string."""

    turn_id: str | None = None
    step: int | None = None
    call_id: str | None = None
    name: str | None = None
    arguments: str | None = None


@payload(K.TOOL_CALL_APPROVED)
class ToolCallApproved(Payload):
    """The call may run (``by`` mode|rule|session-rule|user|user-always)."""

    call_id: str | None = None
    name: str | None = None
    by: str | None = None
    rule: str | None = None
    edited: bool = False
    reason: str | None = None


@payload(K.TOOL_CALL_DENIED)
class ToolCallDenied(Payload):
    """The call was refused (``by`` mode|rule|user|headless|invalid|cancelled)."""

    call_id: str | None = None
    name: str | None = None
    by: str | None = None
    reason: str | None = None


@payload(K.TOOL_CALL_STARTED)
class ToolCallStarted(Payload):
    """The tool is about to run."""

    call_id: str | None = None
    name: str | None = None


@payload(K.TOOL_CALL_FINISHED)
class ToolCallFinished(Payload):
    """The call's result (``content`` is what the model receives)."""

    call_id: str | None = None
    name: str | None = None
    content: str = ""
    full_content: str | None = None
    """The whole result when ``content`` was capped for the model."""
    raw_content: str | None = None
    """The tool's own text when ``content`` was escaped (see :mod:`workbench.core.sanitize`)."""
    summary: str | None = None
    is_error: bool = False
    duration_ms: float | None = None
    changed_paths: list[str] = field(default_factory=list)
    diff: str | None = None
    outcome: str | None = None
    edited: bool = False
    state: str | None = None
    recovered: bool = False


@payload(K.TOOL_CALLS_SKIPPED)
class ToolCallsSkipped(Payload):
    """Calls of a reply that did not finish cleanly; never executed."""

    turn_id: str | None = None
    step: int | None = None
    call_ids: list[str] = field(default_factory=list)
    reason: str | None = None


@payload(K.PROTECTED_CHANGE)
class ProtectedChange(Payload):
    """A call changed protected paths (``action`` reverted|approved)."""

    call_id: str | None = None
    name: str | None = None
    action: str | None = None
    changes: list[dict[str, str]] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    diff: str = ""


@payload(K.APPROVAL_REQUESTED)
class ApprovalRequested(Payload):
    """The user is asked to approve a call (``arguments`` decoded)."""

    call_id: str | None = None
    name: str | None = None
    arguments: Any = None
    reason: str | None = None
    protected: bool = False


# -- sandbox, checkpoints --------------------------------------------------------------------------
@payload(K.SANDBOX_CONTAINER)
class SandboxContainer(Payload):
    """The session's container, found or made (``setup``: ``[{"command", "exit_code"}]``)."""

    outcome: str | None = None
    container: str | None = None
    name: str | None = None
    image: str | None = None
    setup: list[dict[str, Any]] = field(default_factory=list)
    reason: str | None = None
    """Why it was (re)made: ``resume``, ``rewind`` or None (first command)."""
    orphans_killed: int = 0
    write_problem: str = ""
    pruned: list[str] = field(default_factory=list)


@payload(K.CHECKPOINT_CREATED)
class CheckpointCreated(Payload):
    """A snapshot of the workspace (``checkpoint`` is the shadow commit's sha)."""

    checkpoint: str = ""
    label: str | None = None
    turn_id: str | None = None
    event_seq: int | None = None
    files_changed: list[list[str]] = field(default_factory=list)
    diffstat: list[int] | None = None
    skipped: list[list[str]] = field(default_factory=list)
    container_image: str | None = None


@payload(K.CHECKPOINT_RESTORED)
class CheckpointRestored(Payload):
    """A rewind finished (``scope`` files|conversation|both)."""

    checkpoint: str = ""
    before_restore: str | None = None
    scope: str | None = None
    new_session: str | None = None
    written: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    not_restored: list[list[str]] = field(default_factory=list)
    kept: list[list[str]] = field(default_factory=list)
    recovered: bool = False


@payload(K.REWIND_STARTED)
class RewindStarted(Payload):
    """Written before a rewind touches anything."""

    checkpoint: str | None = None
    scope: str | None = None


# -- specs -----------------------------------------------------------------------------------------
@payload(K.SPEC_DRAFTED)
class SpecDrafted(Payload):
    """The agent drafted or revised a spec document."""

    spec: str | None = None
    doc: str | None = None
    sha256: str | None = None
    previous_sha256: str | None = None
    revision: bool = False
    comments: list[str] = field(default_factory=list)
    who: str | None = None
    ts: float | None = None
    commit: str | None = None
    chars: int | None = None


@payload(K.SPEC_APPROVED)
class SpecApproved(Payload):
    """A spec document was approved."""

    spec: str | None = None
    doc: str | None = None
    sha256: str | None = None
    commit: str | None = None
    who: str | None = None
    ts: float | None = None


@payload(K.SPEC_CHANGES_REQUESTED)
class SpecChangesRequested(Payload):
    """Changes were requested on a spec document."""

    spec: str | None = None
    doc: str | None = None
    sha256: str | None = None
    commit: str | None = None
    who: str | None = None
    ts: float | None = None
    note: str | None = None
    comments: list[str] = field(default_factory=list)


@payload(K.SPEC_TASK_STATE)
class SpecTaskState(Payload):
    """A spec task changed state (todo|in_progress|done)."""

    spec: str | None = None
    task: str | None = None
    title: str | None = None
    state: str | None = None
    previous: str | None = None
    reason: str | None = None


# -- plugins ---------------------------------------------------------------------------------------
@payload(K.PLUGIN_STATE)
class PluginStateLogged(Payload):
    """A plugin moved from ``old`` to ``new``."""

    plugin: str | None = None
    old: str | None = None
    new: str | None = None
    pid: int | None = None
    reason: str | None = None
    stderr_tail: list[str] = field(default_factory=list)
    ts: float | None = None


@payload(K.PLUGIN_TOOLS_CHANGED)
class PluginToolsLogged(Payload):
    """A plugin's tool list was (re)loaded."""

    plugin: str | None = None
    tools: list[str] = field(default_factory=list)
    pending: dict[str, str] = field(default_factory=dict)
    ts: float | None = None


@payload(K.PLUGIN_CALL)
class PluginCallLogged(Payload):
    """A plugin tool call finished."""

    plugin: str | None = None
    tool: str | None = None
    qualified_name: str | None = None
    duration_s: float | None = None
    is_error: bool = False
    error: str | None = None
    ts: float | None = None


@payload(K.PLUGIN_RESTART)
class PluginRestartLogged(Payload):
    """An automatic restart of a plugin was scheduled."""

    plugin: str | None = None
    attempt: int | None = None
    max_restarts: int | None = None
    delay_s: float | None = None
    ts: float | None = None
