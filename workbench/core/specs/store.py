"""A small JSON file of approval records, used by the CLI until approvals are events.

The file is ``workspace_data_dir(ws)/spec_approvals.json`` (outside the workspace, so agent
commands in the sandbox cannot forge approvals) and holds
``{"version": 1, "records": [ApprovalRecord.to_dict(), ...]}`` in append order.
"""

from __future__ import annotations

import json
from pathlib import Path

from ._io import atomic_write_bytes
from .models import SpecError
from .workflow import ApprovalRecord

STORE_FILE = "spec_approvals.json"


class ApprovalStoreError(SpecError):
    """The approvals file exists but cannot be read."""


class ApprovalStore:
    """Load and append approval records in one JSON file.

    Args:
        path: the JSON file (created on the first ``append``).
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    @classmethod
    def for_workspace(cls, workspace: Path) -> "ApprovalStore":
        """Return the store of ``workspace`` in the user data dir (``workspace_data_dir``)."""
        from workbench.core.paths import workspace_data_dir

        return cls(workspace_data_dir(Path(workspace)) / STORE_FILE)

    def load(self) -> list[ApprovalRecord]:
        """Return every record in append order (``[]`` when the file does not exist yet).

        Raises:
            ApprovalStoreError: the file is not valid JSON or holds malformed records.
        """
        try:
            raw = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        try:
            data = json.loads(raw)
            records = data["records"] if isinstance(data, dict) else None
            if not isinstance(records, list):
                raise ValueError("expected an object with a 'records' list")
            return [ApprovalRecord.from_dict(item) for item in records]
        except (ValueError, TypeError, KeyError) as exc:
            raise ApprovalStoreError(
                f"{self.path} is not a valid approvals file ({exc}); fix it or move it away to start over"
            ) from exc

    def append(self, record: ApprovalRecord) -> None:
        """Append ``record`` (rewrites the file atomically).

        Raises:
            ApprovalStoreError: the existing file is malformed.
            OSError: the file cannot be written.
        """
        records = self.load()
        records.append(record)
        payload = {"version": 1, "records": [r.to_dict() for r in records]}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(self.path, (json.dumps(payload, indent=1) + "\n").encode("utf-8"))
