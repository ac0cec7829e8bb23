"""Make untrusted text inert before it is shown or sent to the model (tool results, MCP output).

A tool result is attacker-controlled text: a file in a cloned repository, a command's output, an
MCP server's answer. Shown in a terminal, an escape sequence in it acts (``ESC ] 52`` writes the
clipboard, ``ESC [ 2 J`` clears the screen, ``ESC ] 0`` sets the title); sent to the model,
invisible characters hide instructions (zero-width and tag characters, "ASCII smuggling") and
bidi overrides show text in another order than it runs (Trojan Source, CVE-2021-42574).

:func:`sanitize` replaces each such character by a visible escape of its code point, in Python
notation: ``\\x1b``, ``\\x9b``, ``\\u202e``, ``\\U000e0041``. Why escape and not strip:

* nothing disappears silently: the user and the model see that the output held ``\\x1b]52;c;...``
  (a clipboard write) or ``\\u202e`` and can say so, instead of reading a cleaned text that
  looks harmless;
* it needs no escape-sequence parser: every sequence starts with ESC (or a C1 introducer such
  as CSI ``\\x9b``), and once that one character is text the rest (``[2J``, ``]0;title``) is plain
  printable text. A parser can be desynchronized by truncated or malformed sequences, which an
  attacker controls;
* the notation is ASCII, known to models, and the one the MCP approval screens already use
  (:mod:`workbench.core.mcp.plugins.sanitize` calls this module).

The raw text stays in the event log (``raw_content`` of ``tool.finished``); only what is shown and
what the model gets is escaped. A literal ``\\x1b`` already in the text (e.g. in source code) is
left alone: the escapes are for reading, not for decoding.

Escaped (:data:`UNSAFE`): C0 controls except ``\\t`` and ``\\n`` (``\\r`` only when not followed
by ``\\n``, so CRLF text stays as it is while a lone carriage return cannot overwrite a line), DEL
and the C1 controls; the soft hyphen, Arabic letter mark and Mongolian vowel separator; zero-width
characters and directional marks U+200B–U+200F; line and paragraph separators U+2028–U+2029; bidi
embeddings and overrides U+202A–U+202E; word joiner and invisible operators U+2060–U+2064; bidi
isolates and deprecated format characters U+2066–U+206F; U+FEFF (BOM / zero-width no-break space,
anywhere); interlinear annotations U+FFF9–U+FFFB; lone surrogates (undecodable bytes); the tag
block U+E0000–U+E007F; and the few other format (Cf) characters -- every Cc and Cf character of
Unicode 15 except ``\t`` and ``\n`` (a test checks this against :mod:`unicodedata`). With ``strict=True`` (for names and descriptions a user approves) every
character of Unicode category Cc, Cf, Co, Cs, Cn, Zl or Zp is escaped too.

Speed: one compiled regular expression; text with nothing to escape is returned as is after one
scan in C (see ``tests/bench/test_sanitize_bench.py`` for the numbers on 1 MB).
"""

from __future__ import annotations

import re
import unicodedata

_UNSAFE_CLASS = (
    "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"  # C0 (not \t \n \r), DEL, C1
    "\u00ad\u061c\u180e"  # soft hyphen, Arabic letter mark, Mongolian vowel separator
    "\u0600-\u0605\u06dd\u070f\u0890\u0891\u08e2"  # prepended concatenation marks (format)
    "\u200b-\u200f"  # zero-width space/non-joiner/joiner, LRM, RLM
    "\u2028\u2029"  # line / paragraph separator
    "\u202a-\u202e"  # bidi embeddings and overrides
    "\u2060-\u2064"  # word joiner, invisible operators
    "\u2066-\u206f"  # bidi isolates, deprecated format characters
    "\ufeff\ufff9-\ufffb"  # BOM / ZWNBSP, interlinear annotations
    "\ud800-\udfff"  # lone surrogates
    "\U000110bd\U000110cd\U00013430-\U0001345f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"  # other format
    "\U000e0000-\U000e007f"  # tags
)
_CHARS = re.compile(f"[{_UNSAFE_CLASS}]")
_LONE_CR = re.compile("\r(?!\n)")
UNSAFE = re.compile(f"[{_UNSAFE_CLASS}]|\r(?!\n)")
"""Matches one character :func:`sanitize` escapes (a lone ``\\r`` included)."""
_ASCII_SAFE = bytes(range(0x20, 0x7F)) + b"\t\n"

_STRICT_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"})


def escape_char(ch: str) -> str:
    """Return the visible escape of one character: ``\\xNN``, ``\\uNNNN`` or ``\\UNNNNNNNN``."""
    code = ord(ch)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def _ranges(spec: str) -> list[str]:
    """Every character of a regex class body made of single characters and ``a-b`` ranges."""
    out: list[str] = []
    i = 0
    while i < len(spec):
        if i + 2 < len(spec) and spec[i + 1] == "-":
            out.extend(chr(c) for c in range(ord(spec[i]), ord(spec[i + 2]) + 1))
            i += 3
        else:
            out.append(spec[i])
            i += 1
    return out


_ESCAPES = {ch: escape_char(ch) for ch in _ranges(_UNSAFE_CLASS)}
_lookup = _ESCAPES.__getitem__


def _sub(match: re.Match[str]) -> str:
    return _lookup(match.group())


def is_clean(text: str) -> bool:
    """True when :func:`sanitize` would leave ``text`` unchanged (C-speed checks first, then the regex)."""
    if text.isascii():
        rest = text.encode("ascii").translate(None, _ASCII_SAFE)  # only the control bytes remain
        if not rest:
            return True
        return rest.strip(b"\r") == b"" and text.count("\r") == text.count("\r\n")
    if text.replace("\r\n", "").replace("\n", "").replace("\t", "").isprintable():
        return True  # not printable: Cc, Cf, Cs, Co, Cn, Z* but space -- the regex decides
    return UNSAFE.search(text) is None


def sanitize(text: str) -> str:
    """Escape terminal controls and invisible or direction-changing characters (see module doc).

    Args:
        text: untrusted text (a tool result, command output, an MCP answer).

    Returns:
        ``text`` itself when it holds nothing to escape (no copy), else a new string in which each
        unsafe character is replaced by its escape; ``\\n``, ``\\t`` and CRLF are kept.
    """
    if is_clean(text):
        return text
    out = _CHARS.sub(_sub, text)
    if "\r" in out:
        out = _LONE_CR.sub(r"\\x0d", out)
    return out


def sanitize_strict(text: str, *, keep_newlines: bool = True) -> str:
    """Like :func:`sanitize`, and also escape private-use, unassigned and every other format character.

    For short text a user approves (MCP tool descriptions, server commands, trust screens),
    where an unusual character has no legitimate use.

    Args:
        text: untrusted text.
        keep_newlines: keep ``\\n`` and ``\\t`` as they are (else they are escaped too).
    """
    out: list[str] = []
    for ch in text:
        if ch in "\n\t":
            out.append(ch if keep_newlines else escape_char(ch))
        elif unicodedata.category(ch) in _STRICT_CATEGORIES:
            out.append(escape_char(ch))
        else:
            out.append(ch)
    return "".join(out)


def _json_escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def json_line_safe(line: str) -> str:
    """Make JSON text terminal-safe without changing what it decodes to.

    ``json.dumps(..., ensure_ascii=False)`` escapes C0 controls but writes C1 controls, bidi
    overrides and zero-width characters as they are; here each unsafe character (as in
    :func:`sanitize`, lone ``\\r`` included) becomes a JSON ``\\uXXXX`` escape (a surrogate pair
    above U+FFFF), so ``json.loads`` gives back exactly the same value (RFC 8259, section 7).

    Args:
        line: a JSON document (one line, or indented: raw unsafe characters can only be inside its strings).
    """
    if is_clean(line):
        return line
    return UNSAFE.sub(_json_escape, line)


# -- stripping (for short model-written text a person reads: questions, choices, plan items) -----
# Removed: ANSI/VT escape sequences (CSI ``ESC [``, OSC ``ESC ]`` up to BEL or ST, DCS/SOS/PM/APC
# strings, 8-bit CSI ``\x9b``; syntax per ECMA-48), then every character of Unicode category Cc
# (except newline and tab when allowed), Cf (bidi, zero-width), Cs and Co; U+2028/U+2029 become
# newlines. Escaping (``sanitize``) is for tool output, where what was attempted must stay visible;
# stripping is for the interaction tools' text, where only what renders matters.

_STRIP_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI ... final byte
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC ... BEL or ST (or cut)
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"  # DCS / SOS / PM / APC strings
    r"|\x1b[ -/]*[0-~]"  # two-byte and nF escapes (ESC c, ESC ( B, ...)
    r"|\x9b[0-?]*[ -/]*[@-~]"  # 8-bit CSI
)
_STRIP_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co"})


def inert_text(text: str, *, newlines: bool = True, limit: int | None = None) -> str:
    """Return ``text`` with escape sequences and invisible/control characters removed.

    Args:
        text: untrusted text (from the model).
        newlines: keep ``\\n`` and ``\\t`` (else they become spaces).
        limit: cut to this many characters (``…`` marks a cut), after cleaning.

    Returns:
        Text that renders exactly as its visible characters, in any terminal.
    """
    text = _STRIP_ESCAPES.sub("", str(text)).replace("\u2028", "\n").replace("\u2029", "\n").replace("\r\n", "\n")
    out = []
    for ch in text:
        if ch in "\n\t":
            out.append(ch if newlines else " ")
        elif unicodedata.category(ch) not in _STRIP_CATEGORIES:
            out.append(ch)
    clean = "".join(out)
    if limit is not None and len(clean) > limit:
        clean = clean[: limit - 1] + "…"
    return clean
