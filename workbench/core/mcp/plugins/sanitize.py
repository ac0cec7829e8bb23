"""Make untrusted text (tool descriptions, command lines) safe to display.

Control characters and invisible or direction-changing characters are replaced by a visible
escape (``\\u200b``, ``\\x1b``), so what the user approves is what the plugin sent: no hidden
instructions in zero-width or tag characters (U+E0000 block), no reordered text through bidi
overrides (Trojan Source, CVE-2021-42574), no terminal escape sequences. The implementation is
:func:`workbench.core.sanitize.sanitize_strict` (one module for every sink).
"""

from __future__ import annotations

from workbench.core.sanitize import sanitize_strict


def sanitize_text(text: str, *, keep_newlines: bool = True) -> str:
    """Escape control, format (zero-width, bidi, tag), private-use and unassigned characters.

    Args:
        text: untrusted text.
        keep_newlines: keep ``\\n`` and ``\\t`` as they are (else they are escaped too).

    Returns:
        The text with each such character replaced by ``\\xNN`` / ``\\uNNNN`` / ``\\UNNNNNNNN``.
        A literal backslash is left alone (the escapes are for display, not for decoding).
    """
    return sanitize_strict(text, keep_newlines=keep_newlines)
