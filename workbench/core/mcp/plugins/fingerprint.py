"""What a trust decision covers: the facts of a plugin spec that decide what runs, and their diff.

:func:`spec_facts` collects, for one :class:`~workbench.core.mcp.plugins.plugin_config.PluginSpec`:

* ``transport``, ``command``, ``args``, ``cwd``, ``url`` as written in the config (``${VAR}``
  not expanded: the host environment is the user's own, the file is what a repository controls);
* ``env`` and ``headers``: every key with a sha256 of its value (values are covered, but never
  stored in clear in the trust file);
* ``files``: the sha256 of the content of each workspace file named in the (expanded) command
  line — ``python srv.py`` covers ``srv.py``; ``python -m pkg.srv`` covers ``pkg/srv.py`` or
  ``pkg/srv/__main__.py`` — or ``null`` for a named path that does not exist yet (creating it
  is a change too). Paths are resolved against the plugin's ``cwd``; symlinks are followed.

The fingerprint (:func:`facts_fingerprint`) is the sha256 of the canonical JSON of the facts, so
any change to any of them asks for trust again; :func:`describe_changes` says what changed.

Not covered: files a server imports or reads by itself (only those named on its command line),
and programs found through ``PATH``.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from workbench.core.mcp.plugins.plugin_config import PluginSpec

FACTS_VERSION = 2
"""Version of the facts layout; records of another version must be trusted again."""

_CHUNK = 1 << 20


def value_digest(value: str) -> str:
    """Return ``"sha256:<hex>"`` of a string value (env and header values are stored this way)."""
    return "sha256:" + hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def file_digest(path: Path) -> str | None:
    """Return ``"sha256:<hex>"`` of a regular file's content; None when nothing is there.

    Something that is not a regular file (a FIFO, a device) gives ``"not-a-file"`` without
    reading it (opening is non-blocking).
    """
    import stat

    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except (FileNotFoundError, NotADirectoryError):
        return None
    except IsADirectoryError:
        return "not-a-file"
    except OSError as exc:
        return f"unreadable:{exc.errno}"
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return "not-a-file"
        digest = hashlib.sha256()
        while chunk := os.read(fd, _CHUNK):
            digest.update(chunk)
    except OSError as exc:
        return f"unreadable:{exc.errno}"
    finally:
        os.close(fd)
    return "sha256:" + digest.hexdigest()


def _inside(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
    except ValueError:
        return False
    return True


def _candidates(spec: PluginSpec) -> list[str]:
    """Command-line words that may name a file the plugin runs (options and URLs excluded)."""
    assert spec.command is not None
    words: list[str] = []
    if "/" in spec.command or os.sep in spec.command:
        words.append(spec.command)
    args = list(spec.args)
    skip = False
    for i, arg in enumerate(args):
        if skip or not arg or "://" in arg:
            skip = False
            continue
        if arg.startswith("-"):
            if arg == "-m" and i + 1 < len(args):  # python -m pkg.mod
                module = args[i + 1].replace(".", "/")
                words += [module + ".py", module + "/__main__.py"]
                skip = True
            continue
        words.append(arg)
    return words


def run_files(spec: PluginSpec, workspace: Path | str | None) -> dict[str, str | None]:
    """Return ``{workspace-relative path: digest or None}`` for the workspace files the command names.

    Args:
        spec: a stdio spec (HTTP/SSE specs have no files).
        workspace: the workspace root; None uses the spec's ``cwd``.
    """
    if spec.command is None or spec.error:
        return {}
    cwd = Path(spec.cwd or workspace or ".")
    root = Path(workspace or cwd).resolve()
    out: dict[str, str | None] = {}
    for word in _candidates(spec):
        given = Path(word).expanduser()
        path = given if given.is_absolute() else cwd / given
        normal = Path(os.path.normpath(path))
        real = path.resolve()
        for where in (normal, real):  # a link inside the workspace counts, so does its target
            if _inside(where, root):
                key = where.relative_to(root).as_posix()
                if key not in out and not where.is_dir():
                    out[key] = file_digest(real)
    return dict(sorted(out.items()))


def spec_facts(spec: PluginSpec, workspace: Path | str | None = None) -> dict[str, Any]:
    """Return the facts a trust decision covers (see the module docstring); JSON-serialisable.

    Blocking (reads the named files): call it in a thread from async code.
    """
    raw = dict(spec.template) if spec.template else {}
    raw_env, raw_headers = raw.get("env"), raw.get("headers")
    env = raw_env if isinstance(raw_env, dict) else dict(spec.env)
    headers = raw_headers if isinstance(raw_headers, dict) else dict(spec.headers)
    return {
        "v": FACTS_VERSION,
        "transport": spec.transport,
        "command": raw.get("command", spec.command),
        "args": list(raw.get("args", spec.args)) if isinstance(raw.get("args", spec.args), (list, tuple)) else raw["args"],
        "cwd": spec.cwd,
        "url": raw.get("url", spec.url),
        "env": {str(k): value_digest(str(v)) for k, v in sorted(env.items())},
        "headers": {str(k): value_digest(str(v)) for k, v in sorted(headers.items())},
        "files": run_files(spec, workspace),
    }


def facts_fingerprint(facts: dict[str, Any]) -> str:
    """Return the sha256 (hex) of the canonical JSON of ``facts``."""
    blob = json.dumps(facts, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=True) if not isinstance(value, str) else value
    return text if len(text) <= 200 else text[:200] + "..."


def describe_changes(old: dict[str, Any], new: dict[str, Any], current_env: dict[str, str] | None = None) -> list[str]:
    """Return one line per difference between trusted facts ``old`` and current facts ``new``.

    Args:
        old: the facts recorded at trust time.
        new: the facts now.
        current_env: the current (unhashed) values of ``env``/``headers`` to show what a changed
            value is now (already masked by the caller if secret-looking).
    """
    from workbench.core.mcp.plugins.sanitize import sanitize_text

    lines: list[str] = []
    if old.get("v") != new.get("v"):
        return [
            "trusted with an older Workbench whose trust did not cover environment values "
            "and script contents; review it and trust it again"
        ]
    for key in ("transport", "command", "args", "cwd", "url"):
        if old.get(key) != new.get(key):
            lines.append(f"{key}: {_short(old.get(key))} -> {_short(new.get(key))}")
    for section in ("env", "headers"):
        before, after = old.get(section) or {}, new.get(section) or {}
        label = "environment" if section == "env" else "header"
        for k in sorted(before.keys() | after.keys()):
            now = (current_env or {}).get(f"{section}:{k}")
            shown = f" (now {now})" if now is not None else ""
            if k not in before:
                lines.append(f"{label} {k}: added{shown}")
            elif k not in after:
                lines.append(f"{label} {k}: removed")
            elif before[k] != after[k]:
                lines.append(f"{label} {k}: value changed{shown}")
    before, after = old.get("files") or {}, new.get("files") or {}
    for path in sorted(before.keys() | after.keys()):
        if path not in before:
            lines.append(f"file {path}: newly named on the command line")
        elif path not in after:
            lines.append(f"file {path}: no longer named")
        elif before[path] != after[path]:
            what = "created" if before[path] is None else "deleted" if after[path] is None else "content changed"
            lines.append(f"file {path}: {what} since it was trusted")
    return [sanitize_text(line, keep_newlines=False) for line in lines]
