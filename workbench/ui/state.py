"""Small UI preferences remembered between runs (``<data dir>/ui-state.json``), e.g. the theme.

Stored with the core's JSON side-file helpers (``core/jsonfile.py``): written atomically, and a
damaged file is set aside (``ui-state.json.corrupt-<time>``), never overwritten.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from workbench.core.jsonfile import load_json, update_json

WHAT = "UI preferences file"


def _path() -> Path:
    from workbench.core.paths import data_home

    return data_home() / "ui-state.json"


def load_state(problems: list[str] | None = None) -> dict[str, Any]:
    """Return the remembered preferences (empty when none, unreadable or damaged).

    Args:
        problems: receives a message when a damaged file was set aside (to show the user).
    """
    try:
        return load_json(_path(), what=WHAT, warn=problems.append if problems is not None else None)
    except OSError as exc:  # the data folder or the file cannot be read: start without preferences
        if problems is not None:
            problems.append(f"cannot read the {WHAT}: {exc}")
        return {}


def save_state(**changes: Any) -> None:
    """Merge ``changes`` into the remembered preferences (locked read-change-write, atomic write).

    Raises:
        OSError: the file cannot be written.
    """
    update_json(_path(), lambda data: data.update(changes), what=WHAT)
