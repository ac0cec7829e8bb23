"""``masterGuide.md``: the project at a glance (structure, specs, how to run and test, sessions).

Cheap heuristics only, so it can be rebuilt after every turn: the top-level entries (and the
modules of top-level Python packages) with one line each (a README's first line, a module
docstring's first line, ``pyproject.toml``/``package.json`` descriptions), the specs with the
state of each document (:mod:`workbench.core.specs`), run/test commands guessed from
``pyproject.toml``, ``package.json``, a ``Makefile``, ``Cargo.toml`` or ``go.mod``, and the session
list. Blocking file IO: call from a thread.
"""

from __future__ import annotations

import json
import os
import re
import time
import tomllib
from pathlib import Path
from typing import Any

from workbench.core.agent.context import LAYOUT_SKIP
from workbench.core.journal.entries import one_line

MAX_ENTRIES = 80
"""Lines of the structure section at most."""
MAX_CHILDREN = 15
"""Entries listed inside one package folder at most."""
HEAD_BYTES = 4096
"""Bytes read from a file to find its description."""

_KNOWN_FILES = {
    "makefile": "build tasks (make)",
    "dockerfile": "container image definition",
    "license": "license",
    "license.md": "license",
    "license.txt": "license",
    ".gitignore": "files git ignores",
    "agents.md": "instructions for coding agents",
    "claude.md": "instructions for coding agents",
    "requirements.txt": "Python dependencies",
    "package-lock.json": "npm lock file",
    "uv.lock": "uv lock file",
    "poetry.lock": "Poetry lock file",
    "cargo.lock": "Cargo lock file",
    "go.sum": "Go module checksums",
}
_KNOWN_DIRS = {
    "tests": "tests",
    "test": "tests",
    "docs": "documentation",
    "doc": "documentation",
    "scripts": "scripts",
    ".workbench": "Workbench: config, specs, journal",
    ".github": "GitHub workflows and settings",
    "examples": "examples",
    "src": "sources",
    ".kiro": "Kiro specs",
}
_DOCSTRING_RE = re.compile(r'^\s*(?:#[^\n]*\n|\s)*[rRuU]?("""|\'\'\')\s*(.*?)(?:\1|\n)', re.S)


def _head(path: Path) -> str:
    try:
        with open(path, "rb") as fh:
            return fh.read(HEAD_BYTES).decode("utf-8", errors="replace")
    except OSError:
        return ""


def _first_line(text: str) -> str:
    for line in text.splitlines():
        line = line.strip().lstrip("#").strip()
        if line and not line.startswith(("<!--", "[![", "---")):
            return one_line(line, 100)
    return ""


def describe_file(path: Path) -> str:
    """One line about a file: docstring, heading, description field, or a known role ("" if none)."""
    name = path.name.lower()
    if name in _KNOWN_FILES:
        return _KNOWN_FILES[name]
    if name == "pyproject.toml":
        try:
            data = tomllib.loads(_read(path))
        except (tomllib.TOMLDecodeError, OSError):
            return "Python project metadata"
        desc = (data.get("project") or {}).get("description")
        return f"Python project metadata: {one_line(desc, 80)}" if desc else "Python project metadata"
    if name == "package.json":
        try:
            desc = json.loads(_read(path)).get("description")
        except (ValueError, OSError, AttributeError):
            desc = None
        return f"npm package: {one_line(desc, 80)}" if desc else "npm package metadata"
    if path.suffix == ".py":
        match = _DOCSTRING_RE.match(_head(path))
        return one_line(match.group(2), 100) if match else ""
    if path.suffix.lower() in (".md", ".rst", ".txt"):
        return _first_line(_head(path))
    return ""


def _read(path: Path) -> str:
    with open(path, encoding="utf-8", errors="replace") as fh:
        return fh.read(200_000)


def describe_dir(path: Path) -> str:
    """One line about a folder: its package docstring or README's first line, else a known role."""
    for candidate in ("__init__.py", "README.md", "README.rst", "README"):
        child = path / candidate
        if child.is_file():
            text = describe_file(child)
            if text:
                return text
    return _KNOWN_DIRS.get(path.name.lower(), "")


def _entries(folder: Path) -> list[os.DirEntry[str]]:
    try:
        items = [e for e in os.scandir(folder) if e.name not in LAYOUT_SKIP and not e.name.endswith((".pyc", ".egg-info"))]
    except OSError:
        return []
    return sorted(items, key=lambda e: (not e.is_dir(follow_symlinks=False), e.name.lower()))


def structure_lines(workspace: Path) -> list[str]:
    """The file-structure section: one Markdown list line per important file or folder.

    Top-level entries (hidden ones except ``.workbench``, ``.github`` and agent instruction files
    are skipped) in order, README first; inside top-level Python packages (and ``src/``), one
    nested line per module or subpackage.
    """
    top = _entries(workspace)
    top.sort(key=lambda e: (not e.name.lower().startswith("readme"), not e.is_dir(follow_symlinks=False), e.name.lower()))
    lines: list[str] = []
    hidden = 0
    for entry in top:
        if entry.name.startswith(".") and entry.name not in (".workbench", ".github", ".kiro", ".mcp.json"):
            continue
        if len(lines) >= MAX_ENTRIES:
            hidden += 1
            continue
        path = Path(entry.path)
        is_dir = entry.is_dir(follow_symlinks=False)
        desc = describe_dir(path) if is_dir else describe_file(path)
        label = f"`{entry.name}/`" if is_dir else f"`{entry.name}`"
        lines.append(f"- {label}" + (f": {desc}" if desc else ""))
        if is_dir and ((path / "__init__.py").is_file() or entry.name == "src"):
            children = _entries(path)
            for child in children[:MAX_CHILDREN]:
                cpath = Path(child.path)
                cdir = child.is_dir(follow_symlinks=False)
                if child.name == "__init__.py" or (not cdir and cpath.suffix not in (".py", ".md", ".tcss", ".toml", ".json")):
                    continue
                cdesc = describe_dir(cpath) if cdir else describe_file(cpath)
                lines.append(f"  - `{child.name}{'/' if cdir else ''}`" + (f": {cdesc}" if cdesc else ""))
            if len(children) > MAX_CHILDREN:
                lines.append(f"  - … and {len(children) - MAX_CHILDREN} more")
    if hidden:
        lines.append(f"- … and {hidden} more entries")
    return lines or ["(empty workspace)"]


def run_and_test_lines(workspace: Path) -> list[str]:
    """How to run and test the project, guessed from its build files (Markdown list lines)."""
    ws = Path(workspace)
    lines: list[str] = []
    pyproject = ws / "pyproject.toml"
    if pyproject.is_file():
        try:
            data = tomllib.loads(_read(pyproject))
        except (tomllib.TOMLDecodeError, OSError):
            data = {}
        python = ".venv/bin/python" if (ws / ".venv" / "bin" / "python").exists() else "python"
        scripts = (data.get("project") or {}).get("scripts") or {}
        for name in list(scripts)[:3]:
            lines.append(f"- Run: `{name}` (console script → `{scripts[name]}`; install with `pip install -e .`)")
        if "pytest" in (data.get("tool") or {}) or (ws / "tests").is_dir() or "pytest" in json.dumps(data):
            lines.append(f"- Test: `{python} -m pytest`")
    package = ws / "package.json"
    if package.is_file():
        try:
            scripts = json.loads(_read(package)).get("scripts") or {}
        except (ValueError, OSError, AttributeError):
            scripts = {}
        for name in ("start", "dev", "build", "test", "lint"):
            if name in scripts:
                cmd = "npm test" if name == "test" else ("npm start" if name == "start" else f"npm run {name}")
                lines.append(f"- {name.capitalize()}: `{cmd}` (`{one_line(scripts[name], 60)}`)")
    makefile = ws / "Makefile"
    if makefile.is_file():
        try:
            targets = re.findall(r"^([A-Za-z0-9_.-]+):(?!=)", _read(makefile), re.M)
        except OSError:
            targets = []
        for name in ("run", "build", "test", "check", "lint"):
            if name in targets:
                lines.append(f"- {name.capitalize()}: `make {name}`")
    if (ws / "Cargo.toml").is_file():
        lines += ["- Build: `cargo build`", "- Test: `cargo test`"]
    if (ws / "go.mod").is_file():
        lines += ["- Build: `go build ./...`", "- Test: `go test ./...`"]
    ci = ws / ".ci" / "run"
    if ci.is_file():
        lines.append("- CI script: `.ci/run`")
    return lines or [
        "- No build file found (pyproject.toml, package.json, Makefile, Cargo.toml, go.mod): "
        "describe how to run and test the project in its README."
    ]


def spec_lines(workspace: Path) -> list[str]:
    """The specs and the state of each document (``draft``, ``approved``, ...), with task progress."""
    try:
        from workbench.core.specs.bundle import load_spec
        from workbench.core.specs.discovery import discover_specs
        from workbench.core.specs.models import DOC_KINDS
        from workbench.core.specs.store import ApprovalStore
        from workbench.core.specs.workflow import compute_status, doc_hashes

        specs = discover_specs(workspace)
        if not specs:
            return ["No specs yet (`.workbench/specs/<feature>/`; create one with `workbench spec new NAME`)."]
        records = ApprovalStore.for_workspace(workspace).load()
    except Exception as exc:  # a broken spec store must not stop the guide
        return [f"Specs could not be read: {exc}"]
    lines = []
    for spec in specs:
        try:
            statuses = compute_status(records, doc_hashes(spec), spec.key)
            bundle = load_spec(spec)
            done, total = bundle.tasks.progress() if bundle.tasks else (0, 0)
            docs = ", ".join(f"{doc} {statuses[doc].state}" for doc in DOC_KINDS)
            rel = spec.root.relative_to(workspace) if spec.root.is_relative_to(workspace) else spec.root
            lines.append(f"- `{spec.key}` (`{rel}`): {docs}; tasks {done}/{total} done")
        except Exception as exc:
            lines.append(f"- `{spec.key}`: could not be read ({exc})")
    return lines


def session_lines(sessions: list[Any]) -> list[str]:
    """A Markdown table of the sessions (newest first)."""
    if not sessions:
        return ["No sessions yet."]
    lines = ["| session | started | title | status | messages | tokens (in/out) |", "| --- | --- | --- | --- | --- | --- |"]
    for s in sessions[:50]:
        title = one_line(s.title or "untitled", 60).replace("|", "\\|")
        fork = f" (fork of `{s.parent_id}`)" if s.parent_id else ""
        lines.append(
            f"| `{s.id}` | {time.strftime('%Y-%m-%d %H:%M', time.localtime(s.created))} | {title}{fork} | "
            f"{s.status} | {s.message_count} | {s.prompt_tokens}/{s.completion_tokens} |"
        )
    if len(sessions) > 50:
        lines.append(f"\n… and {len(sessions) - 50} older sessions (`workbench sessions`).")
    return lines


def render_master_guide(workspace: Path, sessions: list[Any]) -> str:
    """Return the Markdown of ``masterGuide.md``.

    Args:
        workspace: the workspace root.
        sessions: the workspace's :class:`~workbench.core.store.SessionInfo` rows, newest first.
    """
    ws = Path(workspace)
    parts = [
        f"# Master guide: {ws.name}",
        "",
        "Generated by Workbench (structure, specs, how to run and test, sessions); rebuilt after each turn.",
        "",
        "## File structure",
        "",
        *structure_lines(ws),
        "",
        "## Specs",
        "",
        *spec_lines(ws),
        "",
        "## How to run and test",
        "",
        *run_and_test_lines(ws),
        "",
        "## Sessions",
        "",
        *session_lines(sessions),
        "",
        "Journal: `agentJournal.md` (everything the agent did); state: `stateRecovery.md`.",
    ]
    return "\n".join(parts) + "\n"
