"""Make untrusted text (tool descriptions, command lines) safe to display.

Control characters and invisible or direction-changing characters are replaced by a visible
escape (``\\u200b``, ``\\x1b``), so what the user approves is what the plugin sent: no hidden
instructions in zero-width or tag characters (U+E0000 block), no reordered text through bidi
overrides (Trojan Source, CVE-2021-42574), no terminal escape sequences.
"""

from __future__ import annotations

import unicodedata

_KEEP = {"\n", "\t"}
_ESCAPE_CATEGORIES = {"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"}


def _escape(ch: str) -> str:
    code = ord(ch)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def sanitize_text(text: str, *, keep_newlines: bool = True) -> str:
    """Escape control, format (zero-width, bidi, tag), private-use and unassigned characters.

    Args:
        text: untrusted text.
        keep_newlines: keep ``\\n`` and ``\\t`` as they are (else they are escaped too).

    Returns:
        The text with each such character replaced by ``\\xNN`` / ``\\uNNNN`` / ``\\UNNNNNNNN``.
        A literal backslash is left alone (the escapes are for display, not for decoding).
    """
    out: list[str] = []
    for ch in text:
        if keep_newlines and ch in _KEEP:
            out.append(ch)
        elif unicodedata.category(ch) in _ESCAPE_CATEGORIES:
            out.append(_escape(ch))
        else:
            out.append(ch)
    return "".join(out)
