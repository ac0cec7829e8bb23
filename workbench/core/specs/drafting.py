"""The model drafts spec documents: requirements from a one-line idea, then design, then tasks.

``draft(services, spec, doc, ...)`` is an async iterator of the model's text. Before any request
reaches the model the workflow gate is checked (``workflow.can_generate``: design needs approved
requirements, tasks an approved design); a refusal raises ``WorkflowError`` saying why. When the
stream ends the text is written to the document atomically, the previous text is kept in the
``SnapshotStore`` (so the revision can be diffed against it), a ``submit_review`` record puts the
document ``in_review``, the comments sent with the request are marked sent, and a
``spec.drafted`` event goes to the log. A stream that fails or is cancelled writes nothing.

A *revision* sends the previous text and the review comments back to the model. The comments
are the document's pending comments plus, when its latest record is a change request, the
comments carried by that request; each is shown with what it is attached to (criterion text,
requirement title or line).

Document formats follow Kiro's specs (https://kiro.dev/docs/specs/) and EARS
(Mavin et al., "Easy Approach to Requirements Syntax", RE 2009).
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from ._io import atomic_write_bytes
from .comments import Comment
from .discovery import SPEC_NAME_RE, new_specs_dir
from .draft_check import check_draft
from .models import DOC_KINDS, Spec, SpecError, WorkflowError
from .snapshots import unified_diff
from .workflow import ApprovalRecord, can_generate, compute_status, doc_hashes, record_for_approval

if TYPE_CHECKING:
    from .host import DraftHost
    from .review import ReviewStores

MAX_CONTEXT_CHARS = 120_000
"""Longest text of one document put into a prompt (longer ones are cut, with a note)."""

SYSTEM_PROMPT = (
    "You write spec documents for software features in the Kiro spec format. Reply with the complete "
    "Markdown document only: no preamble, no closing remarks, no code fence around the document."
)

GUIDES: dict[str, str] = {
    "requirements": """\
Write requirements.md with exactly this structure:

# Requirements Document

## Introduction

<one or two paragraphs: what the feature is and why>

## Glossary

- **<System_Name>**: <definition> (one bullet per system or component named in the criteria)

## Requirements

### Requirement 1: <short title>

**User Story:** As a <role>, I want <capability>, so that <benefit>.

#### Acceptance Criteria

1. WHEN <trigger>, THE <System_Name> SHALL <response>
2. ...

Rules for acceptance criteria (EARS): every criterion is one sentence in one of these forms:
`THE <system> SHALL <response>` (always), `WHEN <trigger>, THE <system> SHALL <response>`,
`WHILE <state>, THE <system> SHALL <response>`, `IF <unwanted condition>, THEN THE <system> SHALL <response>`,
`WHERE <feature is included>, THE <system> SHALL <response>`; combined clauses go in the order
WHERE, WHILE, WHEN/IF. The system name is a Glossary term. One requirement per criterion; measurable
responses; no vague words (quickly, user-friendly, as appropriate), no escape clauses (where possible),
no "SHALL not", no pronouns without a referent. Number requirements 1, 2, 3 and criteria 1, 2, 3 within each.""",
    "design": """\
Write design.md with these sections, in this order:

# Design Document

## Overview
## Architecture
## Components and Interfaces
## Data Models
## Error Handling
## Testing Strategy

Base the design on the approved requirements below; refer to requirements by number (e.g. 1.2)
where a design decision serves them. Be concrete: modules, interfaces, data shapes, failure cases.""",
    "tasks": """\
Write tasks.md, an implementation plan as a nested checkbox list:

# Implementation Plan

- [ ] 1. <task title>
  - <what to do>
  - _Requirements: 1.1, 1.2_
- [ ] 2. <task title>
  - [ ] 2.1 <sub-task title>
    - <what to do>
    - _Requirements: 2.1_

Every task starts unchecked (`[ ]`), is numbered (1, 2, 2.1, 2.2), is small enough for one coding
session, and cites the acceptance criteria it implements with `_Requirements: N.M_`. Every criterion
is cited by at least one task. Include writing the tests. Follow the design below.""",
}
"""What the model is told about each document's format."""

BUGFIX_GUIDE = """\
This is a bugfix spec: instead of requirements.md, write bugfix.md, the bug analysis, with exactly this structure:

# Bugfix Requirements Document

## Introduction

<the bug in one paragraph: what goes wrong, where, and its impact>

## Bug Analysis

### Current Behavior (Defect)

1.1 WHEN <input or action> THEN the system <wrong result>

### Expected Behavior (Correct)

2.1 WHEN <input or action> THEN the system SHALL <right result>

### Unchanged Behavior (Regression Prevention)

3.1 WHEN <related input> THEN the system SHALL CONTINUE TO <behaviour that must not change>

Each statement is its own paragraph, numbered 1.x (current), 2.x (expected), 3.x (unchanged); every
current statement has an expected one; list the related behaviour the fix must not change."""
"""What the model is told about a bugfix spec's ``bugfix.md`` (Kiro's bugfix spec format)."""


@dataclass(slots=True)
class DraftPlan:
    """Everything decided before the model is called.

    Attributes:
        spec: the spec.
        doc: the document drafted.
        messages: the chat messages sent to the model.
        previous: the text being revised (``None`` for a first draft).
        comments: the review comments sent with the revision.
    """

    spec: Spec
    doc: str
    messages: list[dict[str, Any]]
    previous: str | None
    comments: list[Comment] = field(default_factory=list)

    @property
    def revision(self) -> bool:
        """True when an earlier text is revised."""
        return self.previous is not None


@dataclass(slots=True)
class DraftResult:
    """What a finished draft wrote.

    Attributes:
        spec: the spec.
        doc: the document.
        path: the file written.
        text: the text written.
        sha256: its hash.
        previous_sha256: hash of the text it replaced (``None`` when the file did not exist).
        revision: the model revised an earlier text.
        comments: the comments sent with it (now marked sent).
        record: the ``submit_review`` record.
        diff: unified diff lines from the previous text to the new one (``[]`` for a first draft).
    """

    spec: Spec
    doc: str
    path: Path
    text: str
    sha256: str
    previous_sha256: str | None
    revision: bool
    comments: list[Comment]
    record: ApprovalRecord
    diff: list[str]


def create_spec(workspace: Path, name: str, specs_dir: str = "auto", *, bugfix: bool = False) -> Spec:
    """Create the folder of a new spec (an existing empty folder is reused).

    Blocking (file IO).

    Args:
        workspace: the workspace root.
        name: the spec name.
        specs_dir: the ``[specs] dir`` setting (``discovery.new_specs_dir``): ``auto`` puts it in
            ``.kiro/specs`` when the workspace has a ``.kiro`` folder, else ``.workbench/specs``.
        bugfix: a bugfix spec: ``bugfix.md`` (the ``bugfix.TEMPLATE`` skeleton) is written, so the
            spec's first document is the bug analysis.

    Raises:
        SpecError: the name is not valid, or the folder exists and holds files.
    """
    if not SPEC_NAME_RE.match(name):
        raise SpecError(f"invalid spec name {name!r}: use letters, digits, '.', '_' or '-' (e.g. user-login)")
    try:
        base, source = new_specs_dir(workspace, specs_dir)
    except ValueError as exc:
        raise SpecError(str(exc)) from None
    folder = base / name
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise SpecError(f"{folder} already exists; pick another name or open the existing spec")
    folder.mkdir(parents=True, exist_ok=True)
    if bugfix:
        from .bugfix import TEMPLATE

        atomic_write_bytes(
            folder / "bugfix.md", TEMPLATE.format(idea="<the bug: what goes wrong, where, its impact>").encode("utf-8")
        )
    return Spec(name, folder, source, Path(workspace))  # type: ignore[arg-type]


def system_name(spec_name: str) -> str:
    """Suggested system name for a spec: ``user-login`` -> ``UserLogin`` (as ``workbench spec new`` does)."""
    parts = spec_name.replace(".", "-").replace("_", "-").split("-")
    return "".join(part.capitalize() for part in parts if part) or "System"


def _read(path: Path) -> str | None:
    try:
        return path.read_bytes().decode("utf-8", errors="replace").removeprefix("\ufeff")
    except FileNotFoundError:
        return None


def _cut(text: str) -> str:
    if len(text) <= MAX_CONTEXT_CHARS:
        return text
    return text[:MAX_CONTEXT_CHARS] + f"\n\n[... cut: the document has {len(text)} characters ...]\n"


def review_comments(spec: Spec, doc: str, stores: ReviewStores) -> list[Comment]:
    """The comments a revision of ``doc`` answers: pending ones, plus those of the latest change request.

    The comments sent with a ``request_changes`` record count only while that record is the
    document's latest one (a later draft or approval has answered them). Blocking (file IO).
    """
    comments = [c for c in stores.comments.load() if c.spec == spec.key and c.doc == doc]
    records = [r for r in stores.approvals.load() if r.spec == spec.key and r.doc == doc]
    last = records[-1] if records else None
    requested = last.ts if last is not None and last.action == "request_changes" else None
    return [c for c in comments if c.state == "pending" or (requested is not None and c.sent_with == requested)]


def describe_comments(comments: list[Comment], doc: str, text: str | None) -> str:
    """Format comments for the model, each with the text it is attached to.

    Args:
        comments: the comments.
        doc: the document they are on.
        text: the document's text (for criterion, requirement and line lookups).

    Returns:
        One ``- On <anchor> ("<quoted text>"): <comment>`` line per comment.
    """
    from .requirements import parse_requirements

    criteria: dict[str, str] = {}
    titles: dict[int, str] = {}
    if doc == "requirements" and text:
        parsed = parse_requirements(text)
        for req in parsed.requirements:
            titles[req.number] = req.title
            for crit in req.criteria:
                criteria[crit.id] = crit.text
    lines = text.splitlines() if text else []
    out = []
    for c in comments:
        quoted = ""
        if c.criterion and c.criterion in criteria:
            quoted = criteria[c.criterion]
            where = f"criterion {c.criterion}"
        elif c.requirement is not None and c.requirement in titles:
            quoted = f"Requirement {c.requirement}: {titles[c.requirement]}"
            where = f"requirement {c.requirement}"
        elif c.line is not None and 0 < c.line <= len(lines):
            quoted = lines[c.line - 1].strip()
            where = f"line {c.line}"
        else:
            where = c.anchor
        quote = f' ("{quoted}")' if quoted else ""
        out.append(f"- On {where}{quote}: {c.text}")
    return "\n".join(out)


def plan_draft(
    spec: Spec,
    doc: str,
    stores: ReviewStores,
    *,
    idea: str | None = None,
    comments: list[Comment] | None = None,
    previous: str | None = None,
) -> DraftPlan:
    """Check the workflow gate and build the messages for the model. Blocking (file IO); no model call.

    Args:
        spec: the spec.
        doc: ``requirements``, ``design`` or ``tasks``.
        stores: approvals, comments and snapshots.
        idea: one-line idea (requirements only; a first draft of requirements needs it).
        comments: review comments to answer (default: ``review_comments``).
        previous: the text to revise (default: the document's current text, when it exists).

    Raises:
        ValueError: unknown ``doc``.
        WorkflowError: generation is out of order (the reason names the unapproved document), or
            there is nothing to draft requirements from.
    """
    if doc not in DOC_KINDS:
        raise ValueError(f"unknown spec document {doc!r}; expected one of {', '.join(DOC_KINDS)}")
    statuses = compute_status(stores.approvals.load(), doc_hashes(spec), spec.key)
    can_generate(doc, statuses).require()
    if previous is None:
        previous = _read(spec.path(doc))
    if comments is None:
        comments = review_comments(spec, doc, stores)
    idea = " ".join((idea or "").split()) or None
    if doc == "requirements" and previous is None and idea is None:
        raise WorkflowError(
            f"nothing to draft {spec.key} requirements from: give a one-line idea (requirements.md does not exist)"
        )
    bugfix = doc == "requirements" and spec.kind == "bugfix"
    parts = [f"{'Bug' if spec.kind == 'bugfix' else 'Feature'}: {spec.name}", BUGFIX_GUIDE if bugfix else GUIDES[doc]]
    if bugfix:
        if idea:
            parts.append(f"The bug:\n{idea}")
    elif doc == "requirements":
        parts.append(f"Suggested system name: {system_name(spec.name)} (define it in the Glossary).")
        if idea:
            parts.append(f"The idea:\n{idea}")
    else:
        parts.append(f"Approved {spec.path('requirements').name}:\n\n" + _cut(_read(spec.path("requirements")) or ""))
        if doc == "tasks":
            parts.append("Approved design.md:\n\n" + _cut(_read(spec.path("design")) or ""))
    if previous is not None:
        parts.append(f"The current {spec.path(doc).name}, to revise:\n\n" + _cut(previous))
        if comments:
            parts.append(
                "Review comments to address (change what they ask, keep the rest, keep the numbering stable "
                "unless a comment asks otherwise):\n" + describe_comments(comments, doc, previous)
            )
        else:
            parts.append("Improve and complete it: fill in placeholders and fix anything that breaks the rules above.")
        parts.append(f"Reply with the whole revised {spec.path(doc).name}.")
    else:
        parts.append(f"Reply with the whole {spec.path(doc).name}.")
    messages = [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": "\n\n".join(parts)}]
    return DraftPlan(spec, doc, messages, previous, list(comments))


def clean_reply(text: str) -> str:
    """Strip blank edges and one code fence wrapped around the whole document; end with a newline."""
    text = text.strip()
    lines = text.splitlines()
    if len(lines) >= 2 and lines[0].startswith("```") and lines[-1].strip() == "```":
        text = "\n".join(lines[1:-1]).strip()
    return text + "\n" if text else ""


def commit_draft(plan: DraftPlan, text: str, stores: ReviewStores, who: str | None = None) -> DraftResult:
    """Write the drafted ``text`` and put the document in review. Blocking (file IO, git).

    The previous file content is saved as a snapshot first; the new text is written atomically;
    a ``submit_review`` record is appended and the plan's pending comments are marked sent.

    The draft is checked first (``draft_check.check_draft``): one that is not the same kind of
    document, or a requirements revision that drops requirements without saying so, is written
    to ``<doc>.draft.md`` beside the document instead, and ``DraftRejectedError`` says why.

    Raises:
        WorkflowError: the text is empty.
        DraftRejectedError: the draft failed the check (the document is unchanged).
        OSError: the file or the stores cannot be written.
    """
    spec, doc = plan.spec, plan.doc
    text = clean_reply(text)
    if not text:
        raise WorkflowError(f"the model returned an empty {doc}.md; nothing was written (try again)")
    path = spec.path(doc)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        old = path.read_bytes()
    except FileNotFoundError:
        old = None
    previous_text = old.decode("utf-8", errors="replace").removeprefix("\ufeff") if old is not None else None
    refused = check_draft(doc, text, previous_text, bugfix=doc == "requirements" and spec.kind == "bugfix")
    if refused is not None:
        kept = path.with_name(f"{path.stem}.draft.md")
        atomic_write_bytes(kept, text.encode("utf-8"))
        raise DraftRejectedError(
            f"the model's {doc}.md was not applied: {refused}. It is kept as {kept.name} beside it; "
            f"compare, copy what is useful, or ask again",
            kept,
        )
    previous_sha = stores.snapshots.save(old) if old is not None else None
    data = text.encode("utf-8")
    atomic_write_bytes(path, data)
    count = len(plan.comments)
    note = f"drafted by the model{f', revising with {count} comment(s)' if count else ''}"
    record = record_for_approval(spec, doc, who=who, action="submit_review", note=note)
    record.previous_sha256 = previous_sha
    stores.approvals.append(record)
    pending = [c.id for c in plan.comments if c.state == "pending"]
    if pending:
        stores.comments.mark_sent(pending, record.ts)
    old_text = old.decode("utf-8", errors="replace").removeprefix("\ufeff") if old is not None else None
    diff = unified_diff(old_text, text, f"{doc}.md (previous)", f"{doc}.md (revision)") if old_text is not None else []
    return DraftResult(
        spec,
        doc,
        path,
        text,
        hashlib.sha256(data).hexdigest(),
        previous_sha,
        plan.revision,
        list(plan.comments),
        record,
        diff,
    )


class DraftRejectedError(WorkflowError):
    """The model's draft failed ``draft_check.check_draft``; it was written beside the document.

    Attributes:
        path: where the draft was kept (``<doc>.draft.md`` in the spec folder).
    """

    def __init__(self, message: str, path: Path) -> None:
        super().__init__(message)
        self.path = path


R = TypeVar("R")


class StreamedJob(Generic[R]):
    """A model job streamed as text chunks: iterate it to stream; when the iteration ends normally
    its ``_run`` has stored ``result`` (the shared base of :class:`Draft` and the quick spec's
    ``QuickDraft``)."""

    result: R | None = None
    _iter: AsyncIterator[str] | None = None

    def __aiter__(self) -> StreamedJob[R]:
        return self

    async def __anext__(self) -> str:
        if self._iter is None:
            self._iter = self._run()
        return await self._iter.__anext__()

    def _run(self) -> AsyncIterator[str]:
        raise NotImplementedError

    async def run(self) -> R:
        """Consume the whole stream and return the result."""
        async for _chunk in self:
            pass
        assert self.result is not None
        return self.result


class Draft(StreamedJob[DraftResult]):
    """The model's draft of one document, as an async iterator of text chunks.

    Iterate it to stream the text; when the iteration ends normally the document has been written
    and ``result`` is set. Made by ``draft``.
    """

    def __init__(
        self, services: DraftHost, spec: Spec, doc: str, stores: ReviewStores | None, who: str | None, **plan: Any
    ) -> None:
        self.services = services
        self.spec = spec
        self.doc = doc
        self.stores = stores
        self.who = who
        self._plan_args = plan
        self.plan: DraftPlan | None = None
        """The plan (set once the gate passed)."""
        self.result = None
        """What was written (set when the stream ended and the file was written)."""

    async def _run(self) -> AsyncIterator[str]:
        from workbench.core.llm.stream import TextDelta

        from .workflow_events import SPEC_DRAFTED, emit_spec_event

        if self.stores is None:
            from .review import ReviewStores

            self.stores = await asyncio.to_thread(ReviewStores.for_workspace, self.spec.workspace)
        plan = await asyncio.to_thread(plan_draft, self.spec, self.doc, self.stores, **self._plan_args)
        self.plan = plan
        parts: list[str] = []
        async for item in self.services.llm.stream_chat(plan.messages):
            if isinstance(item, TextDelta) and item.text:
                parts.append(item.text)
                yield item.text
        result = await asyncio.to_thread(commit_draft, plan, "".join(parts), self.stores, self.who)
        self.result = result
        record = result.record
        await emit_spec_event(
            self.services,
            SPEC_DRAFTED,
            {
                "spec": self.spec.key,
                "doc": self.doc,
                "sha256": result.sha256,
                "previous_sha256": result.previous_sha256,
                "revision": result.revision,
                "comments": [c.id for c in result.comments],
                "who": record.who,
                "ts": record.ts,
                "commit": record.commit,
                "chars": len(result.text),
            },
        )


def draft(
    services: DraftHost,
    spec: Spec,
    doc: str,
    *,
    idea: str | None = None,
    comments: list[Comment] | None = None,
    previous: str | None = None,
    stores: ReviewStores | None = None,
    who: str | None = None,
) -> Draft:
    """Stream the model's draft (or revision) of ``doc``; the file is written when the stream ends.

    Usage: ``async for chunk in draft(services, spec, "requirements", idea="..."): ...``; the
    returned ``Draft`` then has ``result`` (a ``DraftResult``).

    Args:
        services: the running services (``llm`` for the model, ``chat`` for the event).
        spec: the spec (``create_spec`` makes a new one).
        doc: ``requirements``, ``design`` or ``tasks``.
        idea: the one-line idea (requirements).
        comments: review comments to answer (default: ``review_comments``).
        previous: text to revise (default: the current file, when it exists).
        stores: review stores (default: the workspace's).
        who: the user named in the ``submit_review`` record (default: the login name).

    Raises (on the first iteration, before any request is sent):
        WorkflowError: out of order (design before approved requirements, tasks before an approved
            design), or no idea for new requirements.
    Raises (later):
        LLMError: the model request failed (nothing is written).
        WorkflowError: the model returned an empty document.
    """
    return Draft(services, spec, doc, stores, who, idea=idea, comments=comments, previous=previous)
