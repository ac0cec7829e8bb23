"""A small glob matcher for tool paths and permission rules.

Syntax (a subset of gitignore/ripgrep globs, written here because :mod:`fnmatch` lets ``*`` cross
``/`` and :meth:`pathlib.PurePath.match` only matches from the right):

* ``**`` matches any run of characters including ``/`` (``src/**`` matches ``src`` and everything
  below it; ``**/*.pem`` matches ``a.pem`` and ``x/y/a.pem``);
* ``*`` matches any run of characters except ``/``; ``?`` matches one character except ``/``;
* ``\\`` makes the next character literal; every other character is literal (no ``[...]`` classes).

With ``path_mode=False`` (used for shell commands) ``*`` and ``?`` also cross ``/``.
"""

from __future__ import annotations

import re
from functools import lru_cache

_SPECIAL = "*?\\"


@lru_cache(maxsize=1024)
def compile_glob(pattern: str, *, path_mode: bool = True, ignore_case: bool = False) -> re.Pattern[str]:
    """Compile a glob into an anchored regular expression.

    Args:
        pattern: The glob (see module docstring).
        path_mode: True for paths (``*`` stops at ``/``), False for free text such as commands.
        ignore_case: Match case-insensitively.

    Returns:
        A compiled regex to use with ``fullmatch``.
    """
    star, one = ("[^/]*", "[^/]") if path_mode else (".*", ".")
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "\\" and i + 1 < n:
            out.append(re.escape(pattern[i + 1]))
            i += 2
        elif pattern.startswith("**", i):
            at_start = i == 0 or pattern[i - 1] == "/"
            if at_start and pattern.startswith("**/", i):
                out.append("(?:.*/)?")
                i += 3
            elif i > 0 and pattern[i - 1] == "/" and i + 2 == n and out and out[-1] == "/":
                out[-1] = "(?:/.*)?"
                i += 2
            else:
                out.append(".*")
                i += 2
        elif c == "*":
            out.append(star)
            i += 1
        elif c == "?":
            out.append(one)
            i += 1
        else:
            out.append(re.escape(c))
            i += 1
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.compile("".join(out), flags)


def glob_match(pattern: str, text: str, *, path_mode: bool = True, ignore_case: bool = False) -> bool:
    """Tell whether ``text`` matches the whole of ``pattern`` (see :func:`compile_glob`)."""
    return compile_glob(pattern, path_mode=path_mode, ignore_case=ignore_case).fullmatch(text) is not None


def escape_glob(text: str) -> str:
    """Escape ``*``, ``?`` and ``\\`` so that ``text`` matches only itself."""
    return "".join("\\" + c if c in _SPECIAL else c for c in text)


def name_or_path_match(pattern: str, rel: str) -> bool:
    """Match a file filter the way ripgrep's ``--glob`` does.

    A pattern without ``/`` matches the file name at any depth (``*.py``); a pattern with ``/``
    matches the whole workspace-relative path (``src/**/*.py``).
    """
    if "/" in pattern:
        return glob_match(pattern, rel)
    return glob_match(pattern, rel.rsplit("/", 1)[-1])
