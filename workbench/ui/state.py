"""Small UI preferences remembered between runs (``<data dir>/ui-state.json``), e.g. the theme."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


def _path() -> Path:
    from workbench.core.paths import data_home

    return data_home() / "ui-state.json"


def load_state() -> dict[str, Any]:
    """Return the remembered preferences (empty when none or unreadable: a bad file is ignored, not overwritten)."""
    try:
        data = json.loads(_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def save_state(**changes: Any) -> None:
    """Merge ``changes`` into the remembered preferences (atomic write)."""
    path = _path()
    data = load_state()
    data.update(changes)
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=2), encoding="utf-8")
    os.replace(tmp, path)
