"""``${VAR}`` / ``${VAR:-default}`` expansion in ``.mcp.json`` entries, as Claude Code does it.

Claude Code's documentation ("Environment variable expansion in .mcp.json",
https://code.claude.com/docs/en/mcp) expands two forms in ``command``, ``args``, ``env``, ``url``
and ``headers``:

* ``${VAR}``: the value of the host variable ``VAR`` (an empty value counts as set);
* ``${VAR:-default}``: the value of ``VAR`` if it is set, else ``default``.

A bare ``$VAR`` stays literal, and so does a value that itself contains ``${...}`` (one level
only, no recursion). A ``${VAR}`` without default whose variable is not set is an error for that
server entry only (:class:`MissingVariableError`); other entries still load.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

_REF = re.compile(r"\$\{([^}]+)\}")

EXPANDED_FIELDS: tuple[str, ...] = ("command", "args", "env", "url", "headers")
"""Entry keys whose string values are expanded (Claude Code's list)."""


class MissingVariableError(ValueError):
    """One or more ``${VAR}`` references have no value and no default.

    Attributes:
        names: the missing variable names, in order of appearance (no duplicates).
    """

    def __init__(self, names: list[str]) -> None:
        self.names = names
        shown = ", ".join(names)
        super().__init__(
            f"environment variable{'s' if len(names) > 1 else ''} {shown} "
            f"{'are' if len(names) > 1 else 'is'} not set and {'have' if len(names) > 1 else 'has'} no default"
        )


def expand_string(value: str, environ: Mapping[str, str], missing: list[str]) -> str:
    """Expand the references in one string; append unset names without default to ``missing``.

    Args:
        value: the text from the config.
        environ: the host environment.
        missing: collects missing variable names (left unexpanded in the result).
    """

    def repl(match: re.Match[str]) -> str:
        name, sep, default = match.group(1).partition(":-")
        found = environ.get(name)
        if found is not None:
            return found
        if sep:
            return default
        if name not in missing:
            missing.append(name)
        return match.group(0)

    return _REF.sub(repl, value)


def expand_entry(entry: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Return a copy of a server entry with :data:`EXPANDED_FIELDS` expanded.

    Strings, lists of strings (``args``) and string-valued dicts (``env``, ``headers``) are
    expanded; other values are copied as they are (validation reports them later).

    Raises:
        MissingVariableError: a reference without default names an unset variable.
    """
    env = os.environ if environ is None else environ
    missing: list[str] = []
    out = dict(entry)
    for key in EXPANDED_FIELDS:
        value = entry.get(key)
        if isinstance(value, str):
            out[key] = expand_string(value, env, missing)
        elif isinstance(value, list):
            out[key] = [expand_string(v, env, missing) if isinstance(v, str) else v for v in value]
        elif isinstance(value, dict):
            out[key] = {k: expand_string(v, env, missing) if isinstance(v, str) else v for k, v in value.items()}
    if missing:
        raise MissingVariableError(missing)
    return out
