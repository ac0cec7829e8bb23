"""``workbench spec ...`` commands: plain-text (or ``--json``) front end of ``workbench.core.specs``.

No Textual or Rich here: output is ``print``. ``workbench.cli.spec`` registers the parser with
``add_spec_parser(subparsers)`` and dispatches with ``run_spec_command(args, workspace, store)``.

Exit codes: 0 success; 1 lint errors, a refused workflow step, a model request that failed or a
model reply that was not applied; 2 bad input (unknown spec, invalid name, existing spec, bad
configuration).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from workbench.core.specs.bundle import check_spec, document_errors, load_spec
from workbench.core.specs.codes import count_line, errors_first
from workbench.core.specs.discovery import SPEC_NAME_RE, discover_specs, find_spec, new_specs_dir
from workbench.core.specs.models import Problem, Spec, SpecError, SpecNotFoundError
from workbench.core.specs.store import ApprovalStore
from workbench.core.specs.workflow import (
    can_approve,
    compute_status,
    doc_hashes,
    files_changed_since,
    record_for_approval,
)

REQUIREMENTS_TEMPLATE = """\
# Requirements Document

## Introduction

{idea}

## Glossary

- **{system}**: the system this spec describes.

## Requirements

### Requirement 1: <title>

**User Story:** As a <role>, I want <capability>, so that <benefit>.

#### Acceptance Criteria

1. WHEN <trigger>, THE {system} SHALL <response>
"""
"""Skeleton written by ``spec new`` (the model's draft replaces it in the app)."""


def add_spec_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``spec`` on ``subparsers`` (the parser is defined in :mod:`workbench.cli.spec`).

    Returns:
        The ``spec`` parser (its sub-command lands in ``args.spec_command``).
    """
    from workbench.cli.spec import register

    return register(subparsers)


def run_spec_command(args: argparse.Namespace, workspace: Path, approvals_store: ApprovalStore | None = None) -> int:
    """Run the ``spec`` sub-command in ``args`` and return the exit code.

    Args:
        args: parsed arguments (``args.spec_command`` and the sub-command's options).
        workspace: the workspace root.
        approvals_store: where approval records live; default ``ApprovalStore.for_workspace``.

    Returns:
        0, 1 (lint errors, refused step) or 2 (bad input); messages go to stdout/stderr.
    """
    workspace = Path(workspace)
    store = approvals_store or ApprovalStore.for_workspace(workspace)
    handlers = {
        "new": _cmd_new,
        "list": _cmd_list,
        "lint": _cmd_lint,
        "trace": _cmd_trace,
        "status": _cmd_status,
        "approve": _cmd_approve,
        "update-tasks": _cmd_update_tasks,
    }
    try:
        return handlers[args.spec_command](args, workspace, store)
    except (SpecNotFoundError, _BadConfig) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except SpecError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


class _BadConfig(Exception):
    """The configuration cannot be read (exit 2)."""


def _settings(workspace: Path) -> Any:
    """The effective settings of ``workspace`` (untrusted workspace files are ignored by ``load_settings``)."""
    from workbench.core.config import ConfigError, load_settings

    try:
        return load_settings(workspace)
    except ConfigError as exc:
        raise _BadConfig(f"configuration error:\n{exc}") from None


def _select(workspace: Path, name: str | None) -> list[Spec]:
    return [find_spec(workspace, name)] if name else discover_specs(workspace)


def _dump(data: Any) -> None:
    print(json.dumps(data, indent=2))


def _cmd_new(args: argparse.Namespace, workspace: Path, store: ApprovalStore) -> int:
    name = args.name
    if not SPEC_NAME_RE.match(name):
        print(f"error: invalid spec name {name!r}: use letters, digits, '.', '_' or '-' (e.g. user-login)", file=sys.stderr)
        return 2
    try:
        base, _source = new_specs_dir(workspace, _settings(workspace).specs.dir)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    folder = base / name
    if folder.exists():
        print(f"error: {folder} already exists; pick another name or edit the existing spec", file=sys.stderr)
        return 2
    quick = getattr(args, "quick", False)
    bugfix = getattr(args, "bugfix", False)
    idea = " ".join(args.idea.split())
    if quick and not idea:
        print("error: --quick drafts the documents from --idea: give a one-line idea", file=sys.stderr)
        return 2
    llm = _llm(workspace) if quick else None  # a missing model fails before anything is created
    folder.mkdir(parents=True)
    spec = Spec(name, folder, _source, workspace)  # type: ignore[arg-type]
    if bugfix:
        from workbench.core.specs.bugfix import TEMPLATE

        first = folder / "bugfix.md"
        first.write_text(TEMPLATE.format(idea=idea or "<the bug: what goes wrong, where, its impact>"), encoding="utf-8")
    else:
        first = folder / "requirements.md"
        system = "".join(part.capitalize() for part in name.replace(".", "-").replace("_", "-").split("-") if part) or "System"
        first.write_text(
            REQUIREMENTS_TEMPLATE.format(idea=idea or "<one paragraph: what the feature is and why>", system=system),
            encoding="utf-8",
        )
    print(f"created {first}")
    if llm is None:
        return 0
    return _quick(llm, spec, idea, workspace)


def _llm(workspace: Path) -> Any:
    """An ``LLMClient`` from the workspace's settings (``_BadConfig`` when no model is configured)."""
    from workbench.core.config import ConfigError
    from workbench.core.llm.client import client_from_settings

    try:
        return client_from_settings(_settings(workspace).llm)
    except ConfigError as exc:
        raise _BadConfig(f"configuration error:\n{exc}") from None


def _run_llm(llm: Any, coro: Any) -> Any:
    """Run ``coro`` (which uses ``llm``) to completion and close the client."""
    import asyncio

    async def main() -> Any:
        try:
            return await coro
        finally:
            await llm.close()

    return asyncio.run(main())


def _quick(llm: Any, spec: Spec, idea: str, workspace: Path) -> int:
    from workbench.core.llm.errors import LLMError
    from workbench.core.specs.quick import QuickDraft

    print(f"drafting {spec.path('requirements').name}, design.md and tasks.md in one pass...", file=sys.stderr)
    try:
        result = _run_llm(llm, QuickDraft(llm, spec, idea).run())
    except LLMError as exc:
        print(f"error: the model request failed: {exc}; the spec folder keeps its template", file=sys.stderr)
        return 1
    for drafted in result.results:
        print(f"drafted {drafted.path} ({drafted.doc}: in review)")
    for _doc, reason in result.rejected.items():
        print(f"not applied: {reason}", file=sys.stderr)
    print(f"review and approve each document in order: workbench spec approve {spec.key} requirements, then design, then tasks")
    return 1 if result.rejected else 0


def _cmd_update_tasks(args: argparse.Namespace, workspace: Path, store: ApprovalStore) -> int:
    from workbench.core.llm.errors import LLMError
    from workbench.core.specs._io import atomic_write_bytes
    from workbench.core.specs.drafting import DraftRejectedError
    from workbench.core.specs.review import ReviewStores
    from workbench.core.specs.update_tasks import apply_task_update, propose_task_update

    spec = find_spec(workspace, args.name)
    llm = _llm(workspace)
    try:
        update = _run_llm(llm, propose_task_update(llm, spec))
    except LLMError as exc:
        print(f"error: the model request failed: {exc}; tasks.md is unchanged", file=sys.stderr)
        return 1
    if not update.changed:
        print(f"the model proposes no change to {spec.path('tasks')}")
        return 0
    for line in update.diff:
        print(line)
    if update.refused is not None:
        kept = spec.root / "tasks.draft.md"
        atomic_write_bytes(kept, update.text.encode("utf-8"))
        print(f"refused: the proposal cannot replace tasks.md: {update.refused}; kept as {kept}", file=sys.stderr)
        return 1
    if not args.yes:
        kept = spec.root / "tasks.proposed.md"
        atomic_write_bytes(kept, update.text.encode("utf-8"))
        print(f"not applied (kept as {kept}); run again with --yes to apply a proposal", file=sys.stderr)
        return 0
    try:
        result = apply_task_update(update, ReviewStores.for_workspace(workspace))
    except DraftRejectedError as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 1
    print(
        f"applied: {result.path} updated (in review; previous text kept as snapshot {result.previous_sha256[:12] if result.previous_sha256 else '-'})"
    )
    return 0


def _statuses(spec: Spec, store_records: list) -> dict:
    return compute_status(store_records, doc_hashes(spec), spec.key)


def _cmd_list(args: argparse.Namespace, workspace: Path, store: ApprovalStore) -> int:
    from workbench.core.specs.overview import spec_summaries

    rows = spec_summaries(workspace, store.load())
    if args.json:
        _dump(rows)
        return 0
    if not rows:
        print("no specs; create one with 'workbench spec new NAME'")
    for row in rows:
        docs = "  ".join(f"{doc}:{state}" for doc, state in row["docs"].items())
        print(f"{row['name']:<28} {docs}  tasks {row['tasks']['done']}/{row['tasks']['total']}")
    return 0


def _cmd_lint(args: argparse.Namespace, workspace: Path, store: ApprovalStore) -> int:
    results: list[tuple[Spec, list[Problem]]] = []
    for spec in _select(workspace, args.name):
        problems, _ = check_spec(load_spec(spec))
        results.append((spec, problems))
    errors = sum(1 for _, ps in results for p in ps if p.severity == "error")
    warnings = sum(1 for _, ps in results for p in ps if p.severity == "warning")
    if args.json:
        _dump(
            {
                "specs": [
                    {
                        "name": s.key,
                        "errors": sum(p.severity == "error" for p in ps),
                        "warnings": sum(p.severity != "error" for p in ps),
                        "problems": [p.to_dict() for p in errors_first(ps)],
                    }
                    for s, ps in results
                ],
                "errors": errors,
                "warnings": warnings,
            }
        )
    else:
        for spec, problems in results:
            print(f"== {spec.key}: {count_line(problems)}")
            for problem in errors_first(problems):
                print(problem.format(workspace))
        print(f"{len(results)} spec(s): {errors} error(s), {warnings} warning(s)")
    return 1 if errors else 0


def _cmd_trace(args: argparse.Namespace, workspace: Path, store: ApprovalStore) -> int:
    reports = []
    for spec in _select(workspace, args.name):
        _, report = check_spec(load_spec(spec))
        reports.append((spec, report))
    if args.json:
        _dump([{"name": s.key, **r.to_dict()} for s, r in reports])
        return 0
    for spec, report in reports:
        print(f"== {spec.key}")
        for cid, tasks in report.matrix.items():
            design = report.design_matrix.get(cid)
            cited = f"  | design: {'; '.join(design)}" if design else ""
            print(f"  {cid:<8} {', '.join(tasks) if tasks else '(no task)'}{cited}")
        if report.uncovered:
            print(f"  uncovered criteria: {', '.join(report.uncovered)}")
        if report.design_uncovered:
            print(f"  criteria the design does not cite: {', '.join(report.design_uncovered)}")
        for ref in report.unknown_refs:
            print(f"  task {ref.task_id} (line {ref.line}) cites unknown {ref.ref}")
        for ref in report.design_unknown_refs:
            print(f"  design {ref.task_id or 'citation'} (design.md:{ref.line}) cites unknown {ref.ref}")
        if report.design_missing:
            print(f"  design sections missing: {', '.join(report.design_missing)}")
        if report.by_task:
            print("  tasks -> criteria:")
            for tid, cids in report.by_task.items():
                print(f"    {tid:<8} {', '.join(cids) if cids else '(cites nothing)'}")
        if report.by_design:
            print("  design -> criteria -> tasks:")
            for item, cids in report.by_design.items():
                tasks = report.design_tasks.get(item) or []
                print(
                    f"    {item or '(design)'}: {', '.join(cids) or '(no known criterion)'}"
                    f" -> {', '.join(tasks) if tasks else '(no task)'}"
                )
    return 0


def _cmd_status(args: argparse.Namespace, workspace: Path, store: ApprovalStore) -> int:
    records = store.load()
    out = []
    for spec in _select(workspace, args.name):
        statuses = _statuses(spec, records)
        docs = {}
        for doc, status in statuses.items():
            entry = status.to_dict()
            entry["changed_files"] = (
                files_changed_since(status.approval, workspace) if status.approval and status.approval.commit else []
            )
            docs[doc] = entry
        out.append({"name": spec.key, "docs": docs})
    if args.json:
        _dump(out)
        return 0
    for item in out:
        print(f"== {item['name']}")
        for doc, entry in item["docs"].items():
            print(f"  {doc:<13} {entry['state']:<10} {entry['reason']}")
            approval = entry["approval"]
            if approval and approval["commit"]:
                changed = entry["changed_files"]
                since = approval["commit"][:12]
                print(f"  {'':<13} files changed since {since}: {', '.join(changed) if changed else 'none'}")
    return 0


def _cmd_approve(args: argparse.Namespace, workspace: Path, store: ApprovalStore) -> int:
    spec = find_spec(workspace, args.name)
    if args.doc == "bugfix":
        if spec.kind != "bugfix":
            print(f"error: {spec.key} is not a bugfix spec (it has no bugfix.md); approve 'requirements'", file=sys.stderr)
            return 2
        args.doc = "requirements"
    statuses = _statuses(spec, store.load())
    gate = can_approve(args.doc, statuses)
    if not gate.allowed:
        print(f"refused: {gate.reason}", file=sys.stderr)
        return 1
    errors = document_errors(spec, args.doc)
    if errors and not getattr(args, "force", False):
        for problem in errors:
            print(problem.format(workspace), file=sys.stderr)
        print(
            f"refused: {args.doc}.md has {len(errors)} error(s) (listed above); fix them, or approve anyway with --force",
            file=sys.stderr,
        )
        return 1
    record = record_for_approval(spec, args.doc, who=args.who)
    store.append(record)
    commit = f", commit {record.commit[:12]}" if record.commit else ""
    print(f"approved {spec.key} {args.doc} (sha256 {record.sha256[:12]}{commit}) by {record.who}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry for ``python -m workbench.cli.commands.spec spec ...`` (workspace = cwd)."""
    parser = argparse.ArgumentParser(prog="workbench")
    add_spec_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return run_spec_command(args, Path.cwd())


if __name__ == "__main__":
    sys.exit(main())
