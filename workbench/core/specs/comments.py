"""Review comments on spec documents, attached to a requirement, a criterion or a line.

Comments are kept next to the approvals, in ``workspace_data_dir(ws)/spec_comments.json``
(outside the workspace, like ``store.ApprovalStore``), as
``{"version": 1, "comments": [Comment.to_dict(), ...]}`` in creation order. A comment is
``pending`` until a ``request_changes`` record carries it to the author (or the model); it is then
``sent`` and names that record's timestamp.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ._io import read_json_list, write_json_list
from .models import DOC_KINDS, SpecError

COMMENTS_FILE = "spec_comments.json"
COMMENT_STATES: tuple[str, ...] = ("pending", "sent")
"""``pending``: not yet sent with a change request; ``sent``: carried by a request_changes record."""


class CommentStoreError(SpecError):
    """The comments file exists but cannot be read."""


@dataclass(slots=True)
class Comment:
    """One review comment.

    Attributes:
        id: short random hex id.
        spec: the spec key (``Spec.key``).
        doc: ``requirements``, ``design`` or ``tasks``.
        text: the comment.
        requirement: requirement number ``N`` it is about, if any.
        criterion: criterion id ``"N.M"`` it is about, if any.
        line: 1-based line of the document it is about, if any.
        who: author.
        ts: ISO 8601 UTC creation time.
        state: ``pending`` or ``sent``.
        sent_with: timestamp of the request_changes record that carried it (``""`` while pending).
    """

    id: str
    spec: str
    doc: str
    text: str
    requirement: int | None = None
    criterion: str | None = None
    line: int | None = None
    who: str = ""
    ts: str = ""
    state: str = "pending"
    sent_with: str = ""

    @property
    def anchor(self) -> str:
        """Where the comment points, for display: ``1.2 (line 20)``, ``requirement 3``, ``line 7``."""
        where = self.criterion or (f"requirement {self.requirement}" if self.requirement is not None else "")
        if self.line is not None:
            where = f"{where} (line {self.line})" if where else f"line {self.line}"
        return where or self.doc

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict of the fields."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Comment:
        """Build a comment from ``to_dict`` output.

        Raises:
            ValueError: a required field is missing, or ``doc``/``state`` is unknown.
        """
        try:
            comment = cls(
                id=str(data["id"]),
                spec=str(data["spec"]),
                doc=str(data["doc"]),
                text=str(data["text"]),
                requirement=data.get("requirement"),
                criterion=data.get("criterion"),
                line=data.get("line"),
                who=str(data.get("who", "")),
                ts=str(data.get("ts", "")),
                state=str(data.get("state", "pending")),
                sent_with=str(data.get("sent_with", "")),
            )
        except KeyError as exc:
            raise ValueError(f"comment lacks the field {exc.args[0]!r}: {data!r}") from None
        if comment.doc not in DOC_KINDS:
            raise ValueError(f"comment {comment.id} has unknown doc {comment.doc!r}; expected one of {', '.join(DOC_KINDS)}")
        if comment.state not in COMMENT_STATES:
            raise ValueError(f"comment {comment.id} has unknown state {comment.state!r}; expected pending or sent")
        return comment


def format_comments(comments: list[Comment]) -> str:
    """Return the comments as the note of a request_changes record, one ``- anchor: text`` per line."""
    return "\n".join(f"- {c.anchor}: {c.text}" for c in comments)


class CommentStore:
    """Load, add and update review comments in one JSON file (blocking; call from a thread).

    Args:
        path: the JSON file (created on the first write).
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    @classmethod
    def for_workspace(cls, workspace: Path) -> CommentStore:
        """Return the store of ``workspace`` (``workspace_data_dir(ws)/spec_comments.json``)."""
        from workbench.core.paths import workspace_data_dir

        return cls(workspace_data_dir(Path(workspace)) / COMMENTS_FILE)

    def load(self) -> list[Comment]:
        """Return every comment in creation order (``[]`` when the file does not exist).

        Raises:
            CommentStoreError: the file is not valid JSON or holds malformed comments.
        """
        return read_json_list(self.path, "comments", Comment.from_dict, CommentStoreError, "comments")

    def for_spec(self, spec_key: str, doc: str | None = None, state: str | None = None) -> list[Comment]:
        """Return the comments of one spec, optionally of one document and in one state."""
        return [
            c for c in self.load() if c.spec == spec_key and (doc is None or c.doc == doc) and (state is None or c.state == state)
        ]

    def add(
        self,
        spec_key: str,
        doc: str,
        text: str,
        *,
        requirement: int | None = None,
        criterion: str | None = None,
        line: int | None = None,
        who: str = "",
    ) -> Comment:
        """Create a pending comment and save it.

        Raises:
            ValueError: empty text or unknown ``doc``.
            CommentStoreError: the existing file is malformed.
            OSError: the file cannot be written.
        """
        text = text.strip()
        if not text:
            raise ValueError("a comment needs some text")
        if doc not in DOC_KINDS:
            raise ValueError(f"unknown spec document {doc!r}; expected one of {', '.join(DOC_KINDS)}")
        comment = Comment(
            id=secrets.token_hex(4),
            spec=spec_key,
            doc=doc,
            text=text,
            requirement=requirement,
            criterion=criterion,
            line=line,
            who=who,
            ts=datetime.now(UTC).isoformat(timespec="seconds"),
        )
        comments = self.load()
        comments.append(comment)
        self._save(comments)
        return comment

    def mark_sent(self, ids: list[str], sent_with: str) -> None:
        """Mark the comments with ``ids`` as sent with the record stamped ``sent_with``."""
        wanted = set(ids)
        comments = self.load()
        for comment in comments:
            if comment.id in wanted:
                comment.state, comment.sent_with = "sent", sent_with
        self._save(comments)

    def _save(self, comments: list[Comment]) -> None:
        write_json_list(self.path, "comments", [c.to_dict() for c in comments])
