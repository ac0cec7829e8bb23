"""One row per spec for the Specs pane: each document's state and the task progress."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .bundle import check_spec, load_spec
from .discovery import discover_specs
from .models import DOC_KINDS, Spec
from .store import ApprovalStore
from .workflow import compute_status, doc_hashes


@dataclass(slots=True)
class SpecRow:
    """A spec as the Specs pane lists it.

    Attributes:
        spec: the spec.
        states: ``{doc: state}`` in ``DOC_KINDS`` order (``missing``, ``draft``, ``in_review``,
            ``approved`` or ``stale``).
        done: tasks done.
        total: tasks in ``tasks.md`` (0 when there is none).
        errors: error-severity problems of the spec (parse, lint, trace; ``bundle.check_spec``).
        warnings: warning-severity problems.
    """

    spec: Spec
    states: dict[str, str]
    done: int
    total: int
    errors: int = 0
    warnings: int = 0


def spec_rows(workspace: Path, approvals: ApprovalStore | None = None) -> tuple[list[SpecRow], str | None]:
    """List the specs of ``workspace`` with their states and task progress.

    Blocking (reads every document); call it from a thread.

    Args:
        workspace: the workspace root.
        approvals: the approval records (default ``ApprovalStore.for_workspace``).

    Returns:
        ``(rows, error)``: ``error`` is the message of an unreadable approvals file (the states are
        then computed without records), else ``None``.
    """
    store = approvals or ApprovalStore.for_workspace(workspace)
    error = None
    try:
        records = store.load()
    except Exception as exc:  # ApprovalStoreError, OSError: still list the specs
        records, error = [], str(exc)
    rows = []
    for spec in discover_specs(workspace):
        statuses = compute_status(records, doc_hashes(spec), spec.key)
        bundle = load_spec(spec)  # never raises: unreadable files become SPEC002 problems
        done, total = bundle.tasks.progress() if bundle.tasks is not None else (0, 0)
        problems, _ = check_spec(bundle)
        errors = sum(1 for p in problems if p.severity == "error")
        rows.append(SpecRow(spec, {doc: statuses[doc].state for doc in DOC_KINDS}, done, total, errors, len(problems) - errors))
    return rows, error


def spec_summaries(workspace: Path, records: list[Any] | None = None) -> list[dict[str, Any]]:
    """``spec list --json`` and the MCP ``spec_list`` tool: one dict per spec.

    Args:
        workspace: the workspace root.
        records: the approval records (default: the workspace's :class:`ApprovalStore`).

    Returns:
        ``[{"name", "source", "path", "docs": {doc: state}, "tasks": {"done", "total"}}]`` in
        discovery order.
    """
    if records is None:
        records = ApprovalStore.for_workspace(workspace).load()
    rows: list[dict[str, Any]] = []
    for spec in discover_specs(workspace):
        bundle = load_spec(spec)
        statuses = compute_status(records, doc_hashes(spec), spec.key)
        done, total = bundle.tasks.progress() if bundle.tasks else (0, 0)
        rows.append(
            {
                "name": spec.key,
                "source": spec.source,
                "path": str(spec.root),
                "docs": {doc: statuses[doc].state for doc in DOC_KINDS},
                "tasks": {"done": done, "total": total},
            }
        )
    return rows
