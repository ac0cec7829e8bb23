"""A small JSON file of approval records, used by the CLI until approvals are events.

The file is ``workspace_data_dir(ws)/spec_approvals.json`` (outside the workspace, so agent
commands in the sandbox cannot forge approvals) and holds
``{"version": 1, "records": [ApprovalRecord.to_dict(), ...]}`` in append order.
"""

from __future__ import annotations

from pathlib import Path

from ._io import read_json_list, write_json_list
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
    def for_workspace(cls, workspace: Path) -> ApprovalStore:
        """Return the store of ``workspace`` in the user data dir (``workspace_data_dir``)."""
        from workbench.core.paths import workspace_data_dir

        return cls(workspace_data_dir(Path(workspace)) / STORE_FILE)

    def load(self) -> list[ApprovalRecord]:
        """Return every record in append order (``[]`` when the file does not exist yet).

        Raises:
            ApprovalStoreError: the file is not valid JSON or holds malformed records.
        """
        return read_json_list(self.path, "records", ApprovalRecord.from_dict, ApprovalStoreError, "approvals")

    def append(self, record: ApprovalRecord) -> None:
        """Append ``record`` (rewrites the file atomically).

        Raises:
            ApprovalStoreError: the existing file is malformed.
            OSError: the file cannot be written.
        """
        records = self.load()
        records.append(record)
        write_json_list(self.path, "records", [r.to_dict() for r in records])
