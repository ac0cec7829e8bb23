"""Everything a spec review needs, loaded in one blocking call, and the review actions.

The UI calls these from a thread (``asyncio.to_thread``): ``load_review`` reads and checks the
documents, the approval records and the comments; ``approve_doc`` and ``request_changes`` append a
record (with a text snapshot, so ``diff_since_review`` can show what changed since);
``add_comment`` stores a pending comment.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from pathlib import Path

from .bundle import SpecBundle, check_spec, load_spec
from .comments import Comment, CommentStore, format_comments
from .models import DOC_KINDS, Problem, Spec, WorkflowError
from .snapshots import SnapshotStore, unified_diff
from .store import ApprovalStore
from .trace import TraceReport
from .workflow import (
    ApprovalRecord,
    DocHash,
    DocStatus,
    can_approve,
    checkbox_blind_sha256,
    compute_status,
    doc_hashes,
    record_for_approval,
)


@dataclass(slots=True)
class ReviewStores:
    """The three stores a review touches (all in the user data dir of the workspace).

    Attributes:
        approvals: approval records.
        comments: review comments.
        snapshots: document snapshots.
    """

    approvals: ApprovalStore
    comments: CommentStore
    snapshots: SnapshotStore

    @classmethod
    def for_workspace(cls, workspace: Path) -> ReviewStores:
        """Return the stores of ``workspace`` (``workspace_data_dir``)."""
        return cls(
            ApprovalStore.for_workspace(workspace),
            CommentStore.for_workspace(workspace),
            SnapshotStore.for_workspace(workspace),
        )


@dataclass(slots=True)
class ReviewData:
    """A loaded spec, ready to show.

    Attributes:
        spec: the spec.
        bundle: the parsed documents.
        texts: each document's text (``None`` when missing); lines agree with the parsers' numbers.
        problems: every parse, lint and trace problem (see ``bundle.check_spec``), plus store errors.
        trace: the traceability report.
        statuses: the workflow state of each document.
        comments: this spec's comments, in creation order.
    """

    spec: Spec
    bundle: SpecBundle
    texts: dict[str, str | None]
    problems: list[Problem]
    trace: TraceReport
    statuses: dict[str, DocStatus]
    comments: list[Comment] = field(default_factory=list)

    def problems_by_line(self, doc: str) -> dict[int, list[Problem]]:
        """Return ``{line: [problems]}`` of one document (problems without a line are left out)."""
        path = str(self.spec.path(doc))
        out: dict[int, list[Problem]] = {}
        for problem in self.problems:
            if problem.file == path and problem.line is not None:
                out.setdefault(problem.line, []).append(problem)
        return out


def _read_text(path: Path) -> str | None:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError:
        return None  # load_spec reports SPEC002 for it
    text = data.decode("utf-8", errors="replace")
    return text[1:] if text.startswith("\ufeff") else text


_CHECKED: dict[tuple[str, str], tuple[tuple[str | None, ...], SpecBundle, tuple[Problem, ...], TraceReport]] = {}
"""Spec -> (its documents' sha256s, the bundle, problems and trace checked from them): the last
check of each spec, reused while its three files are byte-identical (``load_review``)."""
_CHECKED_MAX = 16
_CHECKED_LOCK = threading.Lock()


def _read_doc(path: Path) -> bytes | None:
    """The file's bytes, ``None`` when missing. Raises ``OSError`` when it exists but cannot be read."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def _checked(spec: Spec, digests: tuple[str | None, ...]) -> tuple[SpecBundle, list[Problem], TraceReport]:
    """Parse, lint and trace ``spec``, or reuse the last result when its files still hash to ``digests``."""
    key = (spec.key, str(spec.root))
    with _CHECKED_LOCK:
        hit = _CHECKED.get(key)
    if hit is not None and hit[0] == digests:
        return hit[1], list(hit[2]), hit[3]
    bundle = load_spec(spec)
    problems, trace = check_spec(bundle)
    with _CHECKED_LOCK:
        _CHECKED.pop(key, None)
        _CHECKED[key] = (digests, bundle, tuple(problems), trace)
        while len(_CHECKED) > _CHECKED_MAX:
            del _CHECKED[next(iter(_CHECKED))]
    return bundle, problems, trace


def forget_checked() -> None:
    """Drop every cached check, so the next ``load_review`` of each spec parses again (tests, benchmarks)."""
    with _CHECKED_LOCK:
        _CHECKED.clear()


def load_review(spec: Spec, stores: ReviewStores) -> ReviewData:
    """Read, parse and check ``spec`` and load its review state; never raises on bad content.

    Each document is read once. Parsing, lint and traceability are skipped when the three files
    are byte-identical to the previous load of the same spec (the earlier result is reused: treat
    ``bundle`` and ``trace`` as read-only). A malformed approvals or comments file becomes a
    problem (``SPEC002``) instead of an error, so the documents are still shown.

    Args:
        spec: the spec.
        stores: where records, comments and snapshots live.
    """
    raw: dict[str, bytes | None] = {}
    cacheable = True
    for doc in DOC_KINDS:
        try:
            raw[doc] = _read_doc(spec.path(doc))
        except OSError:  # exists but unreadable: shown as missing, load_spec reports SPEC002; not cached
            raw[doc], cacheable = None, False
    hashes: dict[str, str | None] = {
        doc: None
        if data is None
        else DocHash(hashlib.sha256(data).hexdigest(), checkbox_blind_sha256(data) if doc == "tasks" else None)
        for doc, data in raw.items()
    }
    if cacheable:
        bundle, problems, trace = _checked(spec, tuple(hashes.values()))
    else:
        bundle = load_spec(spec)
        problems, trace = check_spec(bundle)
    texts = {
        doc: None if data is None else data.decode("utf-8", errors="replace").removeprefix("\ufeff") for doc, data in raw.items()
    }
    try:
        records = stores.approvals.load()
    except Exception as exc:  # ApprovalStoreError, OSError
        records = []
        problems.append(Problem(str(stores.approvals.path), None, "error", "SPEC002", str(exc)))
    try:
        comments = [c for c in stores.comments.load() if c.spec == spec.key]
    except Exception as exc:  # CommentStoreError, OSError
        comments = []
        problems.append(Problem(str(stores.comments.path), None, "error", "SPEC002", str(exc)))
    statuses = compute_status(records, hashes, spec.key)
    return ReviewData(spec, bundle, texts, problems, trace, statuses, comments)


def _record_with_snapshot(spec: Spec, doc: str, stores: ReviewStores, action: str, note: str, who: str | None) -> ApprovalRecord:
    record = record_for_approval(spec, doc, who=who, action=action, note=note)
    data = spec.path(doc).read_bytes()
    if stores.snapshots.save(data) != record.sha256:
        raise WorkflowError(f"{spec.path(doc)} changed while it was being recorded; try again")
    stores.approvals.append(record)
    return record


def approve_doc(spec: Spec, doc: str, stores: ReviewStores, who: str | None = None) -> ApprovalRecord:
    """Approve ``doc`` of ``spec`` now (hash, git commit, snapshot) if the workflow allows it.

    Blocking (file IO, git).

    Raises:
        WorkflowError: refused; the message is ``can_approve``'s reason (e.g. requirements not approved).
        ApprovalStoreError: the approvals file is malformed.
    """
    statuses = compute_status(stores.approvals.load(), doc_hashes(spec), spec.key)
    can_approve(doc, statuses).require()
    return _record_with_snapshot(spec, doc, stores, "approve", "", who)


def request_changes(spec: Spec, doc: str, stores: ReviewStores, who: str | None = None) -> tuple[ApprovalRecord, list[Comment]]:
    """Record a change request on ``doc`` carrying its pending comments, then mark them sent.

    Blocking (file IO, git).

    Returns:
        ``(record, comments)``: the record (its ``note`` lists the comments) and the comments sent.

    Raises:
        WorkflowError: the document does not exist, or it has no pending comment (say what to change
            with a comment first).
    """
    pending = stores.comments.for_spec(spec.key, doc, "pending")
    if not pending:
        raise WorkflowError(f"no pending comment on {doc}: add one (c) saying what to change, then request changes")
    record = _record_with_snapshot(spec, doc, stores, "request_changes", format_comments(pending), who)
    stores.comments.mark_sent([c.id for c in pending], record.ts)
    return record, pending


@dataclass(slots=True)
class DocDiff:
    """The changes to a document since its latest review record.

    Attributes:
        doc: the document kind.
        record: the record the diff starts from.
        lines: unified diff lines (``[]`` when unchanged).
    """

    doc: str
    record: ApprovalRecord
    lines: list[str]


def diff_since_review(spec: Spec, doc: str, stores: ReviewStores) -> DocDiff:
    """Diff ``doc`` against its latest reviewed revision.

    The base is the text at the document's latest review record (approve or request changes);
    when that record is the ``submit_review`` of a model draft (``drafting``), the base is the
    text the draft replaced, so a revision is shown against the previous one. Blocking (file IO).

    Raises:
        WorkflowError: no record with a stored snapshot exists for the document, or it is missing.
    """
    text = _read_text(spec.path(doc))
    if text is None:
        raise WorkflowError(f"cannot diff {doc}: {spec.path(doc)} does not exist")
    records = [r for r in stores.approvals.load() if r.spec == spec.key and r.doc == doc]
    for record in reversed(records):
        drafted = record.action == "submit_review" and record.previous_sha256
        data = stores.snapshots.load(record.previous_sha256 if drafted else record.sha256)  # type: ignore[arg-type]
        if data is None:
            continue
        old = data.decode("utf-8", errors="replace").removeprefix("\ufeff")
        label = (
            f"{doc}.md before the draft of {record.ts}"
            if drafted
            else f"{doc}.md @ {record.action.replace('_', ' ')} {record.ts}"
        )
        return DocDiff(doc, record, unified_diff(old, text, label, f"{doc}.md (now)"))
    raise WorkflowError(f"no earlier revision of {doc} is stored: approve it or request changes first, then diff later revisions")


def add_comment(
    spec: Spec,
    doc: str,
    stores: ReviewStores,
    text: str,
    *,
    requirement: int | None = None,
    criterion: str | None = None,
    line: int | None = None,
    who: str = "",
) -> Comment:
    """Store a pending comment on ``doc`` (anchored by ``requirement``, ``criterion``, ``line``; by ``who``).

    Blocking (file IO). Raises what ``CommentStore.add`` raises.
    """
    return stores.comments.add(spec.key, doc, text, requirement=requirement, criterion=criterion, line=line, who=who)
