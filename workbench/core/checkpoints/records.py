"""How a checkpoint is stored: a parentless commit whose message holds its metadata.

Message layout (UTF-8)::

    <label on one line>

    {"format": 1, "session_id": ..., "created_at": ..., "parent": ..., "files_changed": [...],
     "diffstat": [...], "skipped": [...], "meta": {...}}

Refs (all in the shadow repository):

* ``refs/wbcp/<session_id>/<commit>``: one per checkpoint; deleting it (``gc``) lets git prune it.
  Commits have no git parent, so any checkpoint can be pruned alone; the previous checkpoint is
  recorded in the JSON instead.
* ``refs/wbmeta/latest``: the workspace's most recent checkpoint (the base of ``files_changed``).
* ``refs/wbmeta/session/<session_id>``: each session's most recent checkpoint.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from .errors import InvalidSessionIdError
from .models import Checkpoint

CHECKPOINT_REFS = "refs/wbcp/"
LATEST_REF = "refs/wbmeta/latest"
SESSION_LATEST_PREFIX = "refs/wbmeta/session/"
_SESSION_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


def check_session_id(session_id: str) -> str:
    """Return ``session_id`` if it can be used in a ref name.

    Raises:
        InvalidSessionIdError: it has characters other than letters, digits and ``._-``, starts
            with a non-alphanumeric character, contains ``..`` or ends with ``.lock``.
    """
    if not _SESSION_RE.match(session_id) or ".." in session_id or session_id.endswith(".lock"):
        raise InvalidSessionIdError(
            f"session id {session_id!r} cannot be used in a git ref: use letters, digits and ._- "
            "(starting with a letter or digit, no '..', not ending in '.lock')"
        )
    return session_id


def encode_message(cp: Checkpoint) -> bytes:
    """Return the commit message storing ``cp`` (without its id and tree, which git knows)."""
    label = " ".join(cp.label.split()) or "checkpoint"
    body: dict[str, Any] = {
        "format": 1,
        "session_id": cp.session_id,
        "created_at": cp.created_at.isoformat(),
        "parent": cp.parent,
        "files_changed": cp.files_changed,
        "diffstat": list(cp.diffstat),
        "skipped": cp.skipped,
        "meta": cp.meta,
    }
    return f"{label}\n\n{json.dumps(body, default=str, ensure_ascii=False)}\n".encode("utf-8", "surrogateescape")


def decode_message(commit: str, tree: str, message: str) -> Checkpoint | None:
    """Parse a checkpoint commit message; None when it is not one of ours."""
    label, _, rest = message.partition("\n\n")
    try:
        body = json.loads(rest)
    except ValueError:
        return None
    if not isinstance(body, dict) or body.get("format") != 1:
        return None
    return Checkpoint(
        id=commit,
        label=label.strip(),
        created_at=datetime.fromisoformat(body["created_at"]),
        session_id=body["session_id"],
        tree=tree,
        parent=body.get("parent"),
        files_changed=[tuple(x) for x in body.get("files_changed", [])],
        diffstat=tuple(body.get("diffstat", (0, 0, 0))),
        skipped=[tuple(x) for x in body.get("skipped", [])],
        meta=body.get("meta", {}),
    )


def parse_diff_tree(fields: list[str]) -> tuple[list[tuple[str, str]], tuple[int, int, int], list[str]]:
    """Parse ``git diff-tree -r -z --raw --numstat`` output (already split on NUL).

    Returns:
        ``(files_changed, (files, insertions, deletions), gitlink_paths)``.
    """
    changed: list[tuple[str, str]] = []
    gitlinks: list[str] = []
    i = 0
    while i < len(fields) and fields[i].startswith(":"):
        src_mode, dst_mode, _a, _b, status = fields[i][1:].split(" ")
        path = fields[i + 1]
        changed.append((status[:1], path))
        if "160000" in (src_mode, dst_mode) and status != "D":
            gitlinks.append(path)
        i += 2
    insertions = deletions = 0
    for record in fields[i:]:
        added, removed, _path = record.split("\t", 2)
        insertions += int(added) if added.isdigit() else 0
        deletions += int(removed) if removed.isdigit() else 0
    return changed, (len(changed), insertions, deletions), gitlinks
