"""How the file tools turn file bytes into text and back, the same way for reading and editing.

Policy (one rule for ``read_file``, ``edit_file``, ``multi_edit`` and ``write_file``):

* UTF-8 (with or without a BOM; the BOM stays as U+FEFF at the start of the text and is written
  back) is decoded strictly.
* Anything else without NUL bytes is treated as Latin-1 (ISO-8859-1). Latin-1 maps every byte to
  one code point, so decoding and re-encoding round-trips byte for byte; edits are written back in
  Latin-1. Text the model writes that Latin-1 cannot hold is refused with a message naming the
  character (nothing is written).
* Line endings: a file whose line breaks are all (or mostly) ``\\r\\n`` is "CRLF"; edits match
  ``\\n`` text against it and write new text with ``\\r\\n`` (:func:`to_file_newlines`).
"""

from __future__ import annotations

from workbench.core.tools.base import ToolError

UTF8 = "utf-8"
LATIN1 = "latin-1"


def detect(data: bytes) -> str:
    """Return the codec name for ``data``: ``"utf-8"`` when it decodes strictly, else ``"latin-1"``.

    A UTF-8 sequence cut at the end of ``data`` (a sample of a larger file) still counts as UTF-8.
    """
    try:
        data.decode(UTF8)
        return UTF8
    except UnicodeDecodeError as exc:
        if exc.start >= len(data) - 3 and exc.reason == "unexpected end of data":
            return UTF8
        return LATIN1


def decode(data: bytes) -> tuple[str, str]:
    """Decode file bytes per the module policy; return ``(text, codec name)``."""
    codec = detect(data)
    return data.decode(codec), codec


def encode(text: str, codec: str, rel: str) -> bytes:
    """Encode ``text`` for a file kept in ``codec``.

    Raises:
        ToolError: a character cannot be represented in ``codec`` (names it and its position).
    """
    try:
        return text.encode(codec)
    except UnicodeEncodeError as exc:
        bad = text[exc.start]
        raise ToolError(
            f"{rel!r} is a {codec} file and the new text contains {bad!r} (U+{ord(bad):04X}) at character "
            f"{exc.start}, which {codec} cannot store; use a character {codec} has, or rewrite the whole "
            "file with write_file to convert it to UTF-8"
        ) from None


def newline_of(text: str) -> str:
    """``"\\r\\n"`` when most line breaks of ``text`` are CRLF, else ``"\\n"``."""
    crlf = text.count("\r\n")
    return "\r\n" if crlf and crlf >= text.count("\n") - crlf else "\n"


def to_file_newlines(text: str, newline: str) -> str:
    """``text`` with every line break (``\\n`` or ``\\r\\n``) written as ``newline``."""
    plain = text.replace("\r\n", "\n")
    return plain if newline == "\n" else plain.replace("\n", newline)
