"""Split a ``run_command`` line into the simple commands that would run, with a real shell parser.

Permission rules for ``run_command`` are checked on *every* simple command of a line (issue 21,
SECURITY.md invariant 4), not on the line's first words. The line is parsed with ``bashlex``
(https://github.com/idank/bashlex, a port of GNU bash's own parser), and the result lists:

* each simple command of a list or pipeline (``;``, ``&&``, ``||``, ``|``, ``&``), of subshells
  ``( … )`` and groups ``{ …; }``, of ``if``/``for``/``while`` bodies and function bodies;
* commands inside command substitutions ``$( … )`` and backticks, and process substitutions
  ``<( … )``, wherever they appear (arguments, assignments, redirect targets);
* the script of ``sh -c '…'`` / ``bash -c`` / ``dash -c`` / ``zsh -c`` / ``busybox sh -c``,
  parsed again (recursively, up to a depth of 8);
* the command that a wrapper runs: ``env [-i] [NAME=value…] CMD``, ``command CMD``, ``exec CMD``,
  ``nohup CMD``, ``time CMD``, ``nice [-n N] CMD``, ``timeout [-s SIG] DURATION CMD``,
  ``xargs [opts] CMD`` (the wrapper itself is not listed; ``env`` alone is).

Each simple command is given as its words (quotes removed, leading ``NAME=value`` assignments
dropped) joined by single spaces, followed by its redirections as written (``> out.txt``), e.g.
``FOO=1 curl "a b" >log`` gives ``curl a b >log``.

A command is *opaque* when what it runs cannot be known from the text: the command word itself
contains an expansion (``$X``, ``$(…)``), or it is ``eval``/``source``/``.``, or ``sh -c`` gets a
script that is not a literal. A line that does not parse (unbalanced quotes, syntax bash rejects,
constructs bashlex does not support) raises :class:`UnparsableCommand`. Callers ask the user in
both cases.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SHELLS = frozenset({"sh", "bash", "dash", "zsh", "ash", "ksh"})
_OPAQUE = frozenset({"eval", "source", "."})
_MAX_DEPTH = 8


class UnparsableCommand(ValueError):
    """The command line could not be parsed; the message says why (callers ask the user)."""


@dataclass(frozen=True)
class SimpleCommand:
    """One simple command of a line.

    Attributes:
        text: Words joined by spaces plus redirections (see module doc); the target of rules.
        opaque: What it runs cannot be known from the text (see module doc).
    """

    text: str
    opaque: bool = False


def split_commands(line: str) -> list[SimpleCommand]:
    """Return every simple command ``line`` would run (see module doc).

    Args:
        line: The command line as sent to ``run_command``.

    Returns:
        The simple commands in source order (empty for a blank line).

    Raises:
        UnparsableCommand: bashlex rejected the line (message from the parser).
    """
    out: list[SimpleCommand] = []
    _parse_into(line, out, 0)
    return out


def _parse_into(line: str, out: list[SimpleCommand], depth: int) -> None:
    import bashlex

    if depth > _MAX_DEPTH:
        raise UnparsableCommand(f"commands nested deeper than {_MAX_DEPTH} levels of sh -c")
    if not line.strip():
        return
    try:
        trees = bashlex.parse(line)
    except Exception as exc:  # bashlex raises ParsingError, NotImplementedError, IndexError...
        raise UnparsableCommand(f"cannot parse the command line: {type(exc).__name__}: {exc}") from None
    for tree in trees:
        _walk(tree, line, out, depth)


def _walk(node: Any, line: str, out: list[SimpleCommand], depth: int) -> None:
    """Visit ``node``; every CommandNode found (at any depth) is added to ``out``."""
    kind = getattr(node, "kind", None)
    if kind == "command":
        _command(node, line, out, depth)
        return
    for child in _children(node):
        _walk(child, line, out, depth)


def _children(node: Any) -> list[Any]:
    kids: list[Any] = []
    for attr in ("parts", "list"):
        kids.extend(getattr(node, attr, None) or [])
    for attr in ("command", "output"):
        child = getattr(node, attr, None)
        if child is not None and hasattr(child, "kind"):
            kids.append(child)
    return kids


def _has_expansion(word: Any) -> bool:
    kinds = ("parameter", "commandsubstitution", "processsubstitution")
    return any(getattr(p, "kind", None) in kinds for p in getattr(word, "parts", None) or [])


def _command(node: Any, line: str, out: list[SimpleCommand], depth: int) -> None:
    words: list[Any] = []
    redirects: list[str] = []
    for part in node.parts:
        k = part.kind
        if k == "word":
            words.append(part)
        elif k == "redirect":
            start, end = part.pos
            redirects.append(line[start:end])
        # nested commands inside words, assignments and redirect targets run too
        for child in _children(part):
            _walk(child, line, out, depth)
    # drop leading assignments (they are not in `words`) and unwrap wrappers
    words = _unwrap(words)
    if not words:
        return
    head = words[0]
    texts = [w.word for w in words]
    opaque = _has_expansion(head) or texts[0] in _OPAQUE
    name = texts[0].rsplit("/", 1)[-1]
    if name == "busybox" and len(texts) > 1 and texts[1] in SHELLS:
        words, texts, name = words[1:], texts[1:], texts[1]
    if name in SHELLS:
        script = _shell_script(words)
        if script is not None:
            if _has_expansion(script):
                out.append(SimpleCommand(" ".join(texts), opaque=True))
            else:
                _parse_into(script.word, out, depth + 1)
            return
    out.append(SimpleCommand(" ".join(texts + redirects), opaque=opaque))


def _shell_script(words: list[Any]) -> Any | None:
    """Return the word after ``-c`` (or a combined flag like ``-ec``) of a shell invocation."""
    for i, w in enumerate(words[1:], start=1):
        text = w.word
        if text.startswith("-") and not text.startswith("--") and "c" in text[1:]:
            return words[i + 1] if i + 1 < len(words) else None
        if not text.startswith("-"):
            return None
    return None


def _unwrap(words: list[Any]) -> list[Any]:
    """Strip wrapper commands (``env``, ``nohup``, ``timeout 5`` …) to the command they run."""
    while words:
        name = words[0].word.rsplit("/", 1)[-1]
        rest = words[1:]
        if name == "env":
            i = 0
            while i < len(rest):
                t = rest[i].word
                if t in ("-u", "--unset", "-C", "--chdir", "-S", "--split-string"):
                    i += 2
                elif t.startswith("-") or ("=" in t and not t.startswith("=")):
                    i += 1
                else:
                    break
            if i >= len(rest):
                return words[:1]
            words = rest[i:]
        elif name in ("command", "exec", "nohup", "time", "builtin"):
            i = 0
            while i < len(rest) and rest[i].word.startswith("-"):
                i += 1
            if i >= len(rest):
                return words
            words = rest[i:]
        elif name == "nice":
            i = 0
            while i < len(rest) and rest[i].word.startswith("-"):
                i += 2 if rest[i].word in ("-n", "--adjustment") else 1
            if i >= len(rest):
                return words
            words = rest[i:]
        elif name == "timeout":
            i = 0
            while i < len(rest) and rest[i].word.startswith("-"):
                i += 2 if rest[i].word in ("-s", "--signal", "-k", "--kill-after") else 1
            i += 1  # the duration
            if i >= len(rest):
                return words
            words = rest[i:]
        elif name == "xargs":
            i = 0
            takes = ("-I", "-L", "-n", "-P", "-s", "-d", "-E", "-a")
            while i < len(rest) and rest[i].word.startswith("-"):
                i += 2 if rest[i].word in takes else 1
            if i >= len(rest):
                return words
            words = rest[i:]
        else:
            return words
    return words
