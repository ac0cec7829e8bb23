"""The journal: Markdown projections of the event log, regenerated incrementally.

Files in ``<workspace>/.workbench/journal/``:

* ``agentJournal.md``: everything the agent did, per session and turn (:mod:`.agent_md`);
* ``masterGuide.md``: structure, specs, how to run and test, sessions (:mod:`.guide`);
* ``stateRecovery.md``: where the work stands and how to resume it (:mod:`.recovery`).

Modules: ``entries`` (one-line entries and filter categories, for the Journal pane), ``files``
(atomic writes, fingerprints, the state file), ``projector`` (the synchronous update),
``service`` (:func:`start_journal`, the background follower), ``export`` (a whole session as
Markdown, JSON or HTML). Names are re-exported lazily: ``from workbench.core.journal import
start_journal``.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS: dict[str, str] = {
    "JournalEntry": "entries",
    "entry_for": "entries",
    "recent_entries": "entries",
    "CATEGORIES": "entries",
    "JournalProjector": "projector",
    "JournalUpdate": "projector",
    "update_journal": "projector",
    "journal_dir": "projector",
    "JournalService": "service",
    "start_journal": "service",
    "export_session": "export",
    "ExportFormatError": "export",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
