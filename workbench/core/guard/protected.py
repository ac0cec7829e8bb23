"""Which workspace paths are protected, as real names on disk (issue 21 item 2, SECURITY.md inv. 3).

Protected against every writer (file tools, sandbox commands, MCP tools), existing or not:

* ``.git`` (a folder, or a ``gitdir:`` file): tracked are ``config``, ``HEAD``, ``index``,
  ``packed-refs``, and everything under ``hooks/``, ``refs/`` and ``info/``; objects are
  content-addressed and not tracked;
* ``.workbench/config.toml`` and everything under ``.workbench/sandbox/``;
* ``.mcp.json``, ``AGENTS.md``, ``CLAUDE.md`` at the workspace root;
* every workspace file a ``.mcp.json`` server's command line runs (:func:`mcp_script_paths`).

Names are matched case-insensitively (``Agents.MD`` is protected too: on a case-insensitive
filesystem it *is* ``AGENTS.md``; Cursor CVE-2025-59944). Symlinks are never followed: a
protected name that is (or becomes) a link is recorded as the link itself.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

ROOT_FILES = frozenset({".mcp.json", "agents.md", "claude.md"})
"""Protected files at the workspace root (casefolded)."""
WORKBENCH_FILES = frozenset({"config.toml"})
"""Protected files in ``.workbench/`` (casefolded)."""
WORKBENCH_TREES = frozenset({"sandbox"})
"""Protected folders in ``.workbench/``, tracked with all their content (casefolded)."""
GIT_FILES = frozenset({"config", "head", "index", "packed-refs"})
"""Tracked files in ``.git/`` (casefolded)."""
GIT_TREES = frozenset({"hooks", "refs", "info"})
"""Tracked folders in ``.git/`` (casefolded)."""

_SCRIPT_SUFFIXES = frozenset(
    {
        ".py",
        ".js",
        ".mjs",
        ".cjs",
        ".ts",
        ".mts",
        ".sh",
        ".bash",
        ".rb",
        ".pl",
        ".php",
        ".lua",
        ".jar",
        ".exe",
        ".bat",
        ".cmd",
        ".ps1",
        ".wasm",
    }
)


def mcp_script_paths(workspace: Path) -> tuple[str, ...]:
    """Return the workspace-relative paths (``/`` separators) a ``.mcp.json`` server would run.

    For each stdio server, the command and each argument (``--opt=value`` gives ``value``) that
    names a path inside the workspace, relative to the server's ``cwd``, is listed when it exists
    as a file or looks like a script (it contains ``/`` or ends in a script suffix such as ``.py``
    or ``.js``); missing files count, so a script cannot be planted before the server's next
    start. ``-m pkg.mod`` gives ``pkg/mod.py`` and ``pkg/mod/__main__.py``. Entries are taken
    from the file as written and from the content that applies (trusted, ``${VAR}`` expanded);
    an invalid entry is skipped alone; an unreadable ``.mcp.json`` gives ``()`` (the file itself
    is protected either way).

    Args:
        workspace: The workspace root.
    """
    from workbench.core.mcp.plugins.plugin_config import MCP_JSON, load_specs, read_mcp_json

    # Entries are read one by one (one invalid entry does not hide the others' scripts), from
    # the file on disk as written and from the content that applies (trusted, ${VAR} expanded).
    commands: list[tuple[str, list[str], str | None]] = []
    try:
        raw = read_mcp_json(workspace / MCP_JSON)
    except Exception:  # noqa: BLE001 - a broken file starts no server; it is protected itself
        raw = {}
    for entry in raw.values():
        if isinstance(entry, dict) and isinstance(entry.get("command"), str):
            raw_args = entry.get("args")
            args = raw_args if isinstance(raw_args, list) else []
            cwd = entry.get("cwd") if isinstance(entry.get("cwd"), str) else None
            commands.append((entry["command"], [a for a in args if isinstance(a, str)], cwd))
    try:
        specs = load_specs(workspace, warnings=[])
    except Exception:  # noqa: BLE001 - same as above
        specs = []
    resolved = Path(workspace).resolve()
    for spec in specs:
        if spec.command and spec.source == "workspace" and spec.cwd:
            cwd_path = Path(spec.cwd)
            rel_cwd = os.path.relpath(cwd_path, resolved) if cwd_path.is_relative_to(resolved) else spec.cwd
            commands.append((spec.command, list(spec.args), rel_cwd))
    root = os.path.abspath(workspace)
    out: list[str] = []
    for command, args, entry_cwd in commands:
        cwd = os.path.normpath(os.path.join(root, entry_cwd or "."))
        tokens = [command, *args]
        for i, token in enumerate(tokens):
            if i > 0 and tokens[i - 1] == "-m" and token and not token.startswith("-"):
                mod = token.replace(".", "/")
                for cand in (f"{mod}.py", f"{mod}/__main__.py", f"{mod}/__init__.py"):
                    _add(out, root, cwd, cand, force=True)
                continue
            if token.startswith("-"):
                if "=" not in token:
                    continue
                token = token.split("=", 1)[1]
            _add(out, root, cwd, token, force=False)
    return tuple(dict.fromkeys(out))


def _add(out: list[str], root: str, cwd: str, token: str, *, force: bool) -> None:
    if not token or "\x00" in token or token.startswith(("http://", "https://", "~")):
        return
    full = os.path.normpath(os.path.join(cwd, token))
    if full != root and not full.startswith(root + os.sep):
        return
    rel = os.path.relpath(full, root).replace(os.sep, "/")
    if rel == ".":
        return
    looks = "/" in token or PurePosixPath(token).suffix.lower() in _SCRIPT_SUFFIXES
    if force or looks or os.path.isfile(full):
        out.append(rel)


def find_name(folder: str, wanted: frozenset[str]) -> list[str]:
    """Return the entries of ``folder`` whose casefolded name is in ``wanted`` (``[]`` if unreadable)."""
    try:
        with os.scandir(folder) as it:
            return [e.name for e in it if e.name.casefold() in wanted]
    except OSError:
        return []


def sandbox_mounts(workspace: Path, container_root: str) -> dict[str, dict[str, str]]:
    """Return docker SDK ``volumes`` entries mounting the existing protected paths read-only.

    Each protected path that exists now (a regular file or a folder, not a symlink) is bound
    read-only at the same place under ``container_root``, over the read-write workspace mount,
    so commands in the sandbox cannot change it (``git status/diff/log`` still read ``.git``;
    Codex keeps ``.git`` read-only the same way). Missing paths are not mounted (docker would
    create them on the host): the check after each tool call covers them
    (:mod:`workbench.core.guard.check`).

    Args:
        workspace: The resolved workspace root on the engine's host.
        container_root: Where the workspace is mounted in the container, e.g. ``/workspace``.

    Returns:
        ``{host_path: {"bind": container_path, "mode": "ro"}}``.
    """
    root = str(workspace)
    rels: list[str] = []
    rels += find_name(root, frozenset({".git"}))
    rels += find_name(root, ROOT_FILES)
    for wb in find_name(root, frozenset({".workbench"})):
        rels += [f"{wb}/{n}" for n in find_name(os.path.join(root, wb), WORKBENCH_FILES | WORKBENCH_TREES)]
    rels += list(mcp_script_paths(workspace))
    out: dict[str, dict[str, str]] = {}
    for rel in dict.fromkeys(rels):
        host = os.path.join(root, rel)
        try:
            st = os.lstat(host)
        except OSError:
            continue
        import stat as _stat

        if not (_stat.S_ISREG(st.st_mode) or _stat.S_ISDIR(st.st_mode)):
            continue
        if os.path.realpath(host) != os.path.normpath(host):  # a symlinked parent: not ours to mount
            continue
        out[host] = {"bind": f"{container_root.rstrip('/')}/{rel}", "mode": "ro"}
    return out
