"""How the file tools turn file bytes into text and back, the same way for reading and editing.

Policy (one rule for ``read_file``, ``edit_file``, ``multi_edit`` and ``write_file``):

* UTF-8 (with or without a BOM; the BOM stays as U+FEFF at the start of the text and is written
  back) is decoded strictly.
* Anything else without NUL bytes is detected with charset-normalizer
  (https://charset-normalizer.readthedocs.io): a clean multi-byte guess (Shift-JIS/cp932, GB18030,
  Big5, EUC-*) is used, and a single-byte one (cp1251, cp1253...) when the text is clean, its
  language confident and not Western; otherwise Windows-1252 when it decodes, else Latin-1
  (ISO-8859-1). A guess is used only when decoding and re-encoding
  gives back the same bytes; Latin-1 maps every byte to one code point, so every file round-trips
  byte for byte and edits are written back in the file's own encoding. Text the model writes that
  the encoding cannot hold is refused with a message naming the character (nothing is written).
* Line endings: a file whose line breaks are all (or mostly) ``\\r\\n`` is "CRLF"; edits match
  ``\\n`` text against it and write new text with ``\\r\\n`` (:func:`to_file_newlines`).
"""

from __future__ import annotations

from workbench.core.tools.base import ToolError

UTF8 = "utf-8"
LATIN1 = "latin-1"
CP1252 = "cp1252"


def detect(data: bytes) -> str:
    """Return the codec name for ``data`` per the module policy (``"utf-8"`` when it decodes strictly).

    A UTF-8 sequence cut at the end of ``data`` (a sample of a larger file) still counts as UTF-8;
    for other encodings a sample is judged up to its last line break.
    """
    try:
        data.decode(UTF8)
        return UTF8
    except UnicodeDecodeError as exc:
        if exc.start >= len(data) - 3 and exc.reason == "unexpected end of data":
            return UTF8
    return _guess(data)


def _round_trips(data: bytes, codec: str) -> bool:
    try:
        return data.decode(codec).encode(codec) == data
    except (UnicodeError, LookupError):
        return False


_WESTERN = {
    "English",
    "French",
    "German",
    "Spanish",
    "Portuguese",
    "Italian",
    "Dutch",
    "Swedish",
    "Danish",
    "Norwegian",
    "Finnish",
    "Unknown",
    "",
}
"""Languages whose single-byte text is Windows-1252 / Latin-1: guesses of other code pages for
them (cp775, cp1250 for a few accented words) are noise on short or repetitive text."""


def _guess(data: bytes) -> str:
    """The non-UTF-8 codec of ``data`` (see the module docstring)."""
    from charset_normalizer import from_bytes

    whole = data[: data.rfind(b"\n") + 1] or data
    best = from_bytes(whole).best()
    # UTF-16/32 text has NUL bytes (refused as binary before this); a guess of it here is noise
    if best is not None and not best.encoding.startswith(("ascii", "utf")) and _round_trips(whole, best.encoding):
        if len(str(best)) < len(whole):  # a multi-byte encoding (Shift-JIS, GB18030, Big5, EUC-KR...)
            if best.chaos <= 0.1:
                return best.encoding
        elif (
            best.chaos <= 0.05 and best.coherence >= 0.4 and best.language not in _WESTERN and sum(b >= 0x80 for b in whole) >= 16
        ):
            return best.encoding  # e.g. cp1251 Russian, cp1253 Greek: clean text, a confident language
    return CP1252 if _round_trips(whole, CP1252) else LATIN1


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
