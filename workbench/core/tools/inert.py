"""Make model-written text inert before a person sees it (questions, choices, plan items).

A minimal, local sanitizer for the interaction tools (``ask_user``, ``update_plan``): their text
comes from the model, which may have read a prompt injection. Removed: ANSI/VT escape sequences
(CSI ``ESC [``, OSC ``ESC ]`` up to BEL or ST, DCS/SOS/PM/APC strings, 8-bit CSI ``\\x9b``), then
every character of Unicode category ``Cc`` (C0 and C1 controls, except newline and tab when
allowed), ``Cf`` (format: bidi embeddings/overrides/isolates U+202A-202E, U+2066-2069, marks
U+200E/U+200F/U+061C, zero-width U+200B-200D, U+2060, U+FEFF), ``Cs`` (lone surrogates) and
``Co`` (private use). Line/paragraph separators U+2028/U+2029 become newlines. Categories per
https://www.unicode.org/reports/tr44/#General_Category_Values; escape syntax per ECMA-48.
"""

from __future__ import annotations

import re
import unicodedata

_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI ... final byte
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC ... BEL or ST (or cut)
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"  # DCS / SOS / PM / APC strings
    r"|\x1b[ -/]*[0-~]"  # two-byte and nF escapes (ESC c, ESC ( B, ...)
    r"|\x9b[0-?]*[ -/]*[@-~]"  # 8-bit CSI
)
_DROP = frozenset({"Cc", "Cf", "Cs", "Co"})


def inert_text(text: str, *, newlines: bool = True, limit: int | None = None) -> str:
    """Return ``text`` with escape sequences and invisible/control characters removed.

    Args:
        text: untrusted text (from the model).
        newlines: keep ``\\n`` and ``\\t`` (else they become spaces).
        limit: cut to this many characters (``…`` marks a cut), after cleaning.

    Returns:
        Text that renders exactly as its visible characters, in any terminal.
    """
    text = _ESCAPES.sub("", str(text)).replace("\u2028", "\n").replace("\u2029", "\n").replace("\r\n", "\n")
    out = []
    for ch in text:
        if ch in "\n\t":
            out.append(ch if newlines else " ")
        elif unicodedata.category(ch) not in _DROP:
            out.append(ch)
    clean = "".join(out)
    if limit is not None and len(clean) > limit:
        clean = clean[: limit - 1] + "…"
    return clean
