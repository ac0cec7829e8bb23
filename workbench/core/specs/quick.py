"""Quick spec: the model drafts all three documents of a new spec in one pass (one request).

Kiro's Quick Spec (https://kiro.dev/docs/specs/) writes requirements, design and tasks together
instead of one approval at a time. Here one request asks for the three documents, each after a
marker line ``=== requirements.md ===`` (``bugfix.md`` in a bugfix spec), ``=== design.md ===``,
``=== tasks.md ===``. Each document is then committed on its own through
``drafting.commit_draft``: checked to be the right kind of document (one that is not is kept as
``<doc>.draft.md``), its own ``submit_review`` record, so each is still reviewed and approved
separately, in order (approving the design still needs approved requirements).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .drafting import BUGFIX_GUIDE, GUIDES, DraftPlan, DraftRejectedError, DraftResult, StreamedJob, commit_draft, system_name
from .models import DOC_KINDS, Spec, WorkflowError

if TYPE_CHECKING:
    from .review import ReviewStores

QUICK_SYSTEM_PROMPT = (
    "You write spec documents for software features in the Kiro spec format. Reply with the three Markdown "
    "documents only, each after its marker line: no preamble, no closing remarks, no code fence around them."
)

_MARK_RE = re.compile(r"^\s*={3,}\s*([A-Za-z]+)\.md\s*={3,}\s*$", re.MULTILINE)


def _names(spec: Spec) -> dict[str, str]:
    return {doc: spec.path(doc).name for doc in DOC_KINDS}


def plan_quick(spec: Spec, idea: str) -> list[dict[str, Any]]:
    """The chat messages asking for all three documents of ``spec`` from the one-line ``idea``."""
    idea = " ".join(idea.split())
    if not idea:
        raise WorkflowError("a quick spec needs a one-line idea to draft from")
    names = _names(spec)
    first = BUGFIX_GUIDE if spec.kind == "bugfix" else GUIDES["requirements"]
    parts = [
        f"{'Bug' if spec.kind == 'bugfix' else 'Feature'}: {spec.name}",
        "Write all three spec documents in one reply, in this order, each starting with its marker line "
        f"alone on a line: `=== {names['requirements']} ===`, `=== design.md ===`, `=== tasks.md ===`. "
        "No other text before, between or after them.",
        f"{names['requirements']}:\n{first}",
        f"Suggested system name: {system_name(spec.name)} (define it in the Glossary).",
        f"design.md:\n{GUIDES['design']}",
        f"tasks.md:\n{GUIDES['tasks']}",
        f"The idea:\n{idea}",
    ]
    return [{"role": "system", "content": QUICK_SYSTEM_PROMPT}, {"role": "user", "content": "\n\n".join(parts)}]


def split_quick(spec: Spec, text: str) -> dict[str, str]:
    """Split the model's reply at its marker lines into ``{doc: text}``.

    Raises:
        WorkflowError: a document's marker is missing (the reply is not applied).
    """
    names = {name.removesuffix(".md"): doc for doc, name in _names(spec).items()}
    found: dict[str, str] = {}
    marks = list(_MARK_RE.finditer(text))
    for i, mark in enumerate(marks):
        doc = names.get(mark.group(1).lower())
        if doc is None:
            continue
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        found.setdefault(doc, text[mark.end() : end].strip())
    missing = [_names(spec)[d] for d in DOC_KINDS if not found.get(d)]
    if missing:
        raise WorkflowError(
            f"the model's quick spec has no {', '.join(missing)} (no '=== name.md ===' marker); nothing was written"
        )
    return found


@dataclass(slots=True)
class QuickResult:
    """What a quick spec wrote.

    Attributes:
        results: the documents written, in workflow order.
        rejected: ``{doc: reason}`` for documents kept as ``<doc>.draft.md`` instead.
    """

    results: list[DraftResult] = field(default_factory=list)
    rejected: dict[str, str] = field(default_factory=dict)


def commit_quick(
    spec: Spec, text: str, messages: list[dict[str, Any]], stores: ReviewStores, who: str | None = None
) -> QuickResult:
    """Write each document of a quick reply (``commit_draft``: checked, snapshot, in review). Blocking."""
    docs = split_quick(spec, text)
    out = QuickResult()
    for doc in DOC_KINDS:
        plan = DraftPlan(spec, doc, messages, None, [])
        try:
            out.results.append(commit_draft(plan, docs[doc], stores, who))
        except DraftRejectedError as exc:
            out.rejected[doc] = str(exc)
    return out


class QuickDraft(StreamedJob[QuickResult]):
    """The model's quick spec as an async iterator of text chunks; ``result`` is set at the end.

    Args:
        llm: an ``LLMClient``.
        spec: the (new) spec.
        idea: the one-line idea.
        stores: review stores (default: the workspace's).
        who: the user named in the records.
    """

    def __init__(self, llm: Any, spec: Spec, idea: str, stores: ReviewStores | None = None, who: str | None = None) -> None:
        self.llm = llm
        self.spec = spec
        self.idea = idea
        self.stores = stores
        self.who = who
        self.result = None

    async def _run(self) -> AsyncIterator[str]:
        from workbench.core.llm.stream import TextDelta

        if self.stores is None:
            from .review import ReviewStores

            self.stores = await asyncio.to_thread(ReviewStores.for_workspace, self.spec.workspace)
        messages = plan_quick(self.spec, self.idea)
        parts: list[str] = []
        async for item in self.llm.stream_chat(messages):
            if isinstance(item, TextDelta) and item.text:
                parts.append(item.text)
                yield item.text
        self.result = await asyncio.to_thread(commit_quick, self.spec, "".join(parts), messages, self.stores, self.who)
