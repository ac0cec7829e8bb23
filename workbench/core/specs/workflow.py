"""The spec approval workflow: an app-side state machine over approval records.

Each document (requirements -> design -> tasks) is in one state:

* ``missing``: the file does not exist;
* ``draft``: never submitted, or changes were requested;
* ``in_review``: submitted for review (``submit_review``);
* ``approved``: approved and unchanged since (same sha256 as the approval);
* ``stale``: approved, then its content changed; or an earlier document is no longer approved,
  or was re-approved with different content after this one was approved.

Ticking a task is progress, not a change of the plan: for ``tasks.md`` an approval also records
``content_sha256``, a hash with every task checkbox read as ``[ ]``, and an approved tasks.md whose
only changes are checkbox states (``[ ]``, ``[-]``, ``[x]``) stays approved. Any other edit makes it stale.

State is computed from the records alone (plus the files' current hashes), so the caller can
keep the records anywhere: the CLI uses ``store.ApprovalStore``, the app the event log.
Records are applied in list order (append order).
"""

from __future__ import annotations

import asyncio
import getpass
import hashlib
import re
import subprocess
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .models import DOC_KINDS, Spec, WorkflowError

ACTIONS: tuple[str, ...] = ("submit_review", "request_changes", "approve")
"""Record actions, in the order they usually happen."""

STATES: tuple[str, ...] = ("missing", "draft", "in_review", "approved", "stale")
"""Document states."""


@dataclass(slots=True)
class ApprovalRecord:
    """One review action on one document.

    Attributes:
        spec: the spec key (``Spec.key``).
        doc: ``requirements``, ``design`` or ``tasks``.
        action: ``submit_review``, ``request_changes`` or ``approve``.
        sha256: hex sha256 of the document's bytes when the action was taken.
        commit: the workspace's ``git rev-parse HEAD`` then, or ``None`` outside a git repository.
        who: who acted (a user name).
        ts: ISO 8601 UTC timestamp.
        note: free text (e.g. the requested changes).
        previous_sha256: for a ``submit_review`` of a model draft, the sha256 of the text the
            draft replaced (kept in the snapshot store, so the revision can be diffed against it).
        content_sha256: for ``tasks``, the hex sha256 of the bytes with every task checkbox read as
            ``[ ]`` (``checkbox_blind_sha256``), so ticking tasks keeps the approval; ``None`` for
            the other documents and for records written before it existed.
    """

    spec: str
    doc: str
    action: str
    sha256: str
    commit: str | None
    who: str
    ts: str
    note: str = ""
    previous_sha256: str | None = None
    content_sha256: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict of the fields."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ApprovalRecord:
        """Build a record from ``to_dict`` output.

        Raises:
            ValueError: a field is missing or ``doc``/``action`` has an unknown value.
        """
        try:
            record = cls(
                spec=str(data["spec"]),
                doc=str(data["doc"]),
                action=str(data["action"]),
                sha256=str(data["sha256"]),
                commit=data.get("commit"),
                who=str(data["who"]),
                ts=str(data["ts"]),
                note=str(data.get("note", "")),
                previous_sha256=data.get("previous_sha256"),
                content_sha256=data.get("content_sha256"),
            )
        except KeyError as exc:
            raise ValueError(f"approval record lacks the field {exc.args[0]!r}: {data!r}") from None
        if record.doc not in DOC_KINDS:
            raise ValueError(f"approval record has unknown doc {record.doc!r}; expected one of {', '.join(DOC_KINDS)}")
        if record.action not in ACTIONS:
            raise ValueError(f"approval record has unknown action {record.action!r}; expected one of {', '.join(ACTIONS)}")
        return record


@dataclass(slots=True)
class DocStatus:
    """The workflow state of one document.

    Attributes:
        doc: the document kind.
        state: one of ``STATES``.
        current_hash: sha256 of the file now (``None`` when missing).
        approval: the latest ``approve`` record, if any.
        reason: a sentence explaining the state.
    """

    doc: str
    state: str
    current_hash: str | None
    approval: ApprovalRecord | None
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {
            "doc": self.doc,
            "state": self.state,
            "current_hash": self.current_hash,
            "approval": self.approval.to_dict() if self.approval else None,
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class Gate:
    """The answer to "may I do this now?".

    Attributes:
        allowed: whether the step may go ahead.
        reason: why not (or a short confirmation when allowed).
    """

    allowed: bool
    reason: str

    def require(self) -> None:
        """Raise ``WorkflowError(reason)`` when not allowed."""
        if not self.allowed:
            raise WorkflowError(self.reason)


_CHECKBOX_BYTES_RE = re.compile(rb"^([ \t]*[-*+][ \t]+\[)[ xX~-](\])", re.MULTILINE)
"""A task checkbox with a state mark (the marks ``tasks.parse_tasks`` reads), at a line start."""


def checkbox_blind_sha256(data: bytes) -> str:
    """Return the hex sha256 of ``data`` with every task checkbox mark read as a space.

    ``- [x] 1. Do it`` and ``- [ ] 1. Do it`` hash the same; any other byte (the optional ``*``,
    a title, a reference, indentation) still changes the hash.
    """
    return hashlib.sha256(_CHECKBOX_BYTES_RE.sub(rb"\1 \2", data)).hexdigest()


class DocHash(str):
    """The hex sha256 of a document's bytes (a ``str``: compare, print and serialise it as one).

    Attributes:
        content: for ``tasks.md``, ``checkbox_blind_sha256`` of the same bytes (``None`` otherwise).
    """

    content: str | None

    def __new__(cls, digest: str, content: str | None = None) -> DocHash:
        value = super().__new__(cls, digest)
        value.content = content
        return value


def content_hash(path: Path) -> str | None:
    """Return the hex sha256 of the file's bytes, or ``None`` when it does not exist."""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except FileNotFoundError:
        return None


def doc_hash(spec: Spec, doc: str) -> DocHash | None:
    """Return the ``DocHash`` of ``doc`` of ``spec`` (``None`` when the file does not exist).

    Blocking (reads the file). ``content`` is set for ``tasks`` only.
    """
    try:
        data = spec.path(doc).read_bytes()
    except FileNotFoundError:
        return None
    return DocHash(hashlib.sha256(data).hexdigest(), checkbox_blind_sha256(data) if doc == "tasks" else None)


def doc_hashes(spec: Spec) -> dict[str, str | None]:
    """Return ``{doc: DocHash or None}`` for the three documents of ``spec`` (for ``compute_status``)."""
    return {doc: doc_hash(spec, doc) for doc in DOC_KINDS}


def _only_checkboxes_changed(current: str, record: ApprovalRecord) -> bool:
    """Whether ``current`` differs from the approved bytes in task checkbox states only."""
    content = getattr(current, "content", None)
    return content is not None and record.content_sha256 is not None and content == record.content_sha256


def compute_status(
    records: list[ApprovalRecord],
    hashes: dict[str, str | None],
    spec_key: str | None = None,
) -> dict[str, DocStatus]:
    """Compute each document's state from the records and the current file hashes.

    Args:
        records: review records in append order (others specs' records are ignored when
            ``spec_key`` is given).
        hashes: current sha256 of each document (``None`` for a missing file), e.g. ``doc_hashes``;
            a ``DocHash`` with ``content`` lets an approved tasks.md whose checkboxes alone changed
            stay approved (plain strings compare whole bytes).
        spec_key: keep only records of this spec.

    Returns:
        ``{doc: DocStatus}`` in ``DOC_KINDS`` order.
    """
    recs = [r for r in records if spec_key is None or r.spec == spec_key]
    statuses: dict[str, DocStatus] = {}
    approval_index: dict[str, list[tuple[int, ApprovalRecord]]] = {
        doc: [(i, r) for i, r in enumerate(recs) if r.doc == doc and r.action == "approve"] for doc in DOC_KINDS
    }
    for position, doc in enumerate(DOC_KINDS):
        current = hashes.get(doc)
        own = [r for r in recs if r.doc == doc]
        approvals = approval_index[doc]
        approval = approvals[-1][1] if approvals else None
        if current is None:
            statuses[doc] = DocStatus(doc, "missing", None, approval, f"{doc}.md does not exist")
            continue
        last = own[-1] if own else None
        if last is None:
            state, reason = "draft", "not submitted for review yet"
        elif last.action == "submit_review":
            state, reason = "in_review", f"submitted for review by {last.who} at {last.ts}"
        elif last.action == "request_changes":
            note = f": {last.note}" if last.note else ""
            state, reason = "draft", f"changes requested by {last.who} at {last.ts}{note}"
        elif current == last.sha256:
            state, reason = "approved", f"approved by {last.who} at {last.ts}"
        elif _only_checkboxes_changed(current, last):
            state, reason = "approved", f"approved by {last.who} at {last.ts} (only task checkboxes changed since)"
        else:
            state, reason = "stale", f"{doc}.md changed since it was approved by {last.who} at {last.ts}; review it again"
        if state in ("approved", "in_review"):
            for upstream in reversed(DOC_KINDS[:position]):  # nearest first
                up = statuses[upstream]
                if up.state != "approved":
                    state, reason = "stale", f"{upstream} is {up.state}; review {doc} again once {upstream} is approved"
                    break
                if state == "approved":
                    mine = approvals[-1][0]
                    before = [r for i, r in approval_index[upstream] if i < mine]
                    if not before or up.approval is None or before[-1].sha256 != up.approval.sha256:
                        state, reason = (
                            "stale",
                            f"{upstream} was approved again with new content after {doc} was approved; review {doc} again",
                        )
                        break
        statuses[doc] = DocStatus(doc, state, current, approval, reason)
    return statuses


def can_generate(stage: str, statuses: dict[str, DocStatus]) -> Gate:
    """May the model draft ``stage`` now? Design needs approved requirements; tasks need approved design.

    Args:
        stage: ``requirements``, ``design`` or ``tasks``.
        statuses: from ``compute_status``.

    Raises:
        ValueError: ``stage`` is not a document kind.
    """
    if stage not in DOC_KINDS:
        raise ValueError(f"unknown spec stage {stage!r}; expected one of {', '.join(DOC_KINDS)}")
    for upstream in DOC_KINDS[: DOC_KINDS.index(stage)]:
        status = statuses[upstream]
        if status.state != "approved":
            return Gate(
                False, f"cannot generate {stage} before {upstream} is approved: {upstream} is {status.state} ({status.reason})"
            )
    return Gate(True, f"{stage} may be generated")


def can_approve(doc: str, statuses: dict[str, DocStatus]) -> Gate:
    """May ``doc`` be approved now? It must exist and every earlier document must be approved.

    Raises:
        ValueError: ``doc`` is not a document kind.
    """
    if doc not in DOC_KINDS:
        raise ValueError(f"unknown spec document {doc!r}; expected one of {', '.join(DOC_KINDS)}")
    if statuses[doc].state == "missing":
        return Gate(False, f"cannot approve {doc}: {doc}.md does not exist")
    for upstream in DOC_KINDS[: DOC_KINDS.index(doc)]:
        status = statuses[upstream]
        if status.state != "approved":
            return Gate(
                False, f"cannot approve {doc} before {upstream} is approved: {upstream} is {status.state} ({status.reason})"
            )
    return Gate(True, f"{doc} may be approved")


def git_head(workspace: Path) -> str | None:
    """Return ``git rev-parse HEAD`` of ``workspace``, or ``None`` (not a repository, no commit, no git).

    Blocking (runs a subprocess); call it through ``asyncio.to_thread`` from async code.
    """
    try:
        result = subprocess.run(
            ["git", "-C", str(workspace), "rev-parse", "--verify", "--quiet", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    head = result.stdout.strip()
    return head if result.returncode == 0 and head else None


def record_for_approval(
    spec: Spec,
    doc: str,
    who: str | None = None,
    action: str = "approve",
    note: str = "",
) -> ApprovalRecord:
    """Build the record of a review action on ``doc`` now: file hash, git HEAD, who, time.

    Blocking (reads the file, runs git); use ``arecord_for_approval`` from async code.

    Args:
        spec: the spec.
        doc: ``requirements``, ``design`` or ``tasks``.
        who: the user; defaults to the login name.
        action: ``approve`` (default), ``submit_review`` or ``request_changes``.
        note: free text (the requested changes).

    Raises:
        ValueError: unknown ``doc`` or ``action``.
        WorkflowError: the document does not exist.
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown review action {action!r}; expected one of {', '.join(ACTIONS)}")
    digest = doc_hash(spec, doc)
    if digest is None:
        raise WorkflowError(f"cannot {action.replace('_', ' ')} {doc}: {spec.path(doc)} does not exist")
    return ApprovalRecord(
        spec=spec.key,
        doc=doc,
        action=action,
        sha256=str(digest),
        content_sha256=digest.content,
        commit=git_head(spec.workspace),
        who=who or _user(),
        ts=datetime.now(UTC).isoformat(timespec="seconds"),
        note=note,
    )


async def arecord_for_approval(
    spec: Spec, doc: str, who: str | None = None, action: str = "approve", note: str = ""
) -> ApprovalRecord:
    """Async ``record_for_approval`` (runs in a thread)."""
    return await asyncio.to_thread(record_for_approval, spec, doc, who, action, note)


def files_changed_since(record: ApprovalRecord, workspace: Path) -> list[str]:
    """Return the tracked files that differ between ``record.commit`` and the working tree.

    Uses ``git diff --name-only <commit>``. Returns ``[]`` when the record has no commit, the
    workspace is not a git repository, or the commit no longer exists. Blocking (subprocess).
    """
    if not record.commit:
        return []
    try:
        result = subprocess.run(
            ["git", "-C", str(workspace), "diff", "--name-only", record.commit, "--"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return []
    if result.returncode != 0:
        return []
    return [line for line in result.stdout.splitlines() if line]


async def afiles_changed_since(record: ApprovalRecord, workspace: Path) -> list[str]:
    """Async ``files_changed_since`` (runs in a thread)."""
    return await asyncio.to_thread(files_changed_since, record, workspace)


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name (containers without a passwd entry)
        return "unknown"
