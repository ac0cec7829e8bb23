"""Spec documents: parsing, EARS lint, traceability, task state and the approval workflow.

Modules (import what you need; this package's ``__init__`` loads nothing eagerly):

* ``models``: dataclasses (``Spec``, ``RequirementsDoc``, ``DesignDoc``, ``TasksDoc``, ``Problem``)
  and typed errors;
* ``requirements`` / ``design`` / ``tasks``: parsers (``parse_*`` on text, ``load_*`` on paths),
  ``tasks.set_task_state`` for the one-line checkbox rewrite;
* ``ears``: EARS classification and lint; ``trace``: criterion <-> task matrix;
* ``discovery``: ``discover_specs``, ``find_spec``; ``bundle``: ``load_spec``, ``check_spec``;
* ``workflow``: approval records and document states; ``store``: the CLI's JSON record store;
* ``codes``: every problem code with its severity and meaning;
* ``split_lines`` (from ``_md``): the line splitting every parser uses (the UI numbers lines with it).

The most used names are re-exported lazily: ``from workbench.core.specs import load_spec``.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS: dict[str, str] = {
    "Spec": "models",
    "Problem": "models",
    "RequirementsDoc": "models",
    "DesignDoc": "models",
    "TasksDoc": "models",
    "Task": "models",
    "Criterion": "models",
    "Requirement": "models",
    "EarsResult": "models",
    "DOC_KINDS": "models",
    "SpecError": "models",
    "SpecNotFoundError": "models",
    "TaskNotFoundError": "models",
    "WorkflowError": "models",
    "parse_requirements": "requirements",
    "load_requirements": "requirements",
    "parse_design": "design",
    "load_design": "design",
    "parse_tasks": "tasks",
    "load_tasks": "tasks",
    "set_task_state": "tasks",
    "classify": "ears",
    "lint_requirements": "ears",
    "build_trace": "trace",
    "TraceReport": "trace",
    "discover_specs": "discovery",
    "find_spec": "discovery",
    "load_spec": "bundle",
    "check_spec": "bundle",
    "SpecBundle": "bundle",
    "ApprovalRecord": "workflow",
    "DocStatus": "workflow",
    "compute_status": "workflow",
    "can_generate": "workflow",
    "can_approve": "workflow",
    "record_for_approval": "workflow",
    "arecord_for_approval": "workflow",
    "files_changed_since": "workflow",
    "doc_hashes": "workflow",
    "ApprovalStore": "store",
    "split_lines": "_md",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
