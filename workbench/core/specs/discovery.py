"""Finding specs in a workspace.

Specs live in ``<workspace>/.workbench/specs/<feature>/`` and, for Kiro compatibility, in
``<workspace>/.kiro/specs/<feature>/`` (both are read; new specs go where ``new_specs_dir`` says:
``.kiro/specs`` in a workspace that has a ``.kiro`` folder, else ``.workbench/specs``, unless the
``[specs] dir`` setting picks one).
A folder counts as a spec when it holds at least one of ``requirements.md`` (or ``bugfix.md``,
a bugfix spec), ``design.md`` or ``tasks.md``.
"""

from __future__ import annotations

import re
from pathlib import Path

from .models import DOC_KINDS, Spec, SpecNotFoundError

SPEC_DIRS: tuple[tuple[str, str], ...] = ((".workbench/specs", "workbench"), (".kiro/specs", "kiro"))
"""Relative spec folders and the source name of each, in priority order."""

SPEC_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")
"""Valid spec (folder) names: letters, digits, ``.``, ``_``, ``-``; kebab-case is conventional."""


def workbench_specs_dir(workspace: Path) -> Path:
    """Return ``<workspace>/.workbench/specs`` (not created)."""
    return Path(workspace) / ".workbench" / "specs"


def new_specs_dir(workspace: Path, setting: str = "auto") -> tuple[Path, str]:
    """Where a new spec goes: ``(base folder, source)``, e.g. ``(<ws>/.kiro/specs, "kiro")``.

    Args:
        workspace: the workspace root.
        setting: ``[specs] dir`` (``workbench.core.config.SpecsSettings``): ``".workbench/specs"``,
            ``".kiro/specs"``, or ``"auto"``: ``.kiro/specs`` when the workspace has a ``.kiro``
            folder (a Kiro workspace, so that Kiro sees the new spec), else ``.workbench/specs``.

    Raises:
        ValueError: an unknown setting.
    """
    workspace = Path(workspace)
    if setting == "auto":
        setting = ".kiro/specs" if (workspace / ".kiro").is_dir() else ".workbench/specs"
    for rel, source in SPEC_DIRS:
        if rel == setting:
            return workspace / rel, source
    raise ValueError(f"[specs] dir = {setting!r} is not allowed; use 'auto', '.workbench/specs' or '.kiro/specs'")


def discover_specs(workspace: Path) -> list[Spec]:
    """List the specs of ``workspace``: ``.workbench/specs`` first, then ``.kiro/specs``.

    Each group is sorted by name. A Kiro spec with the same name as a workbench spec is listed
    too; its ``key`` (``kiro/<name>``) keeps the two apart.

    Args:
        workspace: the workspace root.
    """
    workspace = Path(workspace)
    specs: list[Spec] = []
    for rel, source in SPEC_DIRS:
        base = workspace / rel
        try:
            entries = sorted(base.iterdir(), key=lambda p: p.name)
        except (FileNotFoundError, NotADirectoryError):
            continue
        for folder in entries:
            if folder.is_dir() and any((folder / f"{doc}.md").is_file() for doc in (*DOC_KINDS, "bugfix")):
                specs.append(Spec(folder.name, folder, source, workspace))  # type: ignore[arg-type]
    return specs


def find_spec(workspace: Path, name: str) -> Spec:
    """Return the spec called ``name`` (a workbench spec wins over a Kiro one; ``kiro/<name>`` picks Kiro).

    Raises:
        SpecNotFoundError: no such spec; the message lists the specs that exist.
    """
    specs = discover_specs(workspace)
    for spec in specs:
        if spec.key == name:
            return spec
    for spec in specs:
        if spec.name == name:
            return spec
    known = ", ".join(s.key for s in specs) or "none"
    raise SpecNotFoundError(
        f"no spec named {name!r} in {workspace} (specs: {known}); create one with 'workbench spec new {name}'"
    )
