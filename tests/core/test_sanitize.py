"""``workbench.core.sanitize``: what is escaped, what is kept, and the same text back when clean."""

from __future__ import annotations

import unicodedata

from workbench.core.mcp.plugins.sanitize import sanitize_text
from workbench.core.sanitize import escape_char, is_clean, sanitize, sanitize_strict


def test_terminal_escapes_become_visible_text() -> None:
    raw = "a\x1b]52;c;cm0gLXJmIH4=\x07b\x1b[2J\x1b]0;title\x07\x9b31m\x00\x7f"
    out = sanitize(raw)
    assert out == "a\\x1b]52;c;cm0gLXJmIH4=\\x07b\\x1b[2J\\x1b]0;title\\x07\\x9b31m\\x00\\x7f"
    assert all(ord(ch) >= 0x20 and not 0x7F <= ord(ch) <= 0x9F for ch in out)


def test_bidi_zero_width_and_tags_are_escaped() -> None:
    raw = "run: \u202e~ fr- mr\u202c ls \u2066x\u2069 ig\u200bno\u200cre\u200d\u2060\ufeff\U000e0041\u00ad\u2028"
    out = sanitize(raw)
    for ch in "\u202e\u202c\u2066\u2069\u200b\u200c\u200d\u2060\ufeff\U000e0041\u00ad\u2028":
        assert ch not in out and escape_char(ch) in out
    assert out.startswith("run: \\u202e~ fr- mr\\u202c ls")


def test_newlines_tabs_and_crlf_are_kept_a_lone_carriage_return_is_not() -> None:
    assert sanitize("a\tb\nc\r\nd") == "a\tb\nc\r\nd"
    assert sanitize("10%\r100%\r\n") == "10%\\x0d100%\r\n"
    assert sanitize("end\r") == "end\\x0d"


def test_clean_text_comes_back_as_the_same_object() -> None:
    text = "plain ascii\nwith unicode: héllo 漢字 ✓ 👩\n\n"
    assert sanitize(text) is text and is_clean(text)
    assert sanitize("") == ""
    literal = r"print('\x1b[0m')"  # a literal backslash escape in source code is left alone
    assert sanitize(literal) is literal


def test_every_control_and_format_character_is_escaped() -> None:
    missed = [
        hex(code)
        for code in range(0x110000)
        if unicodedata.category(chr(code)) in ("Cc", "Cf")
        and chr(code) not in "\t\n"
        and chr(code) != "\r"
        and sanitize(chr(code)) == chr(code)
    ]
    assert missed == [], f"not escaped (unicodedata {unicodedata.unidata_version}): {missed[:20]}"
    assert sanitize("\ud800x") == "\\ud800x"  # a lone surrogate (undecodable bytes)


def test_escaping_is_idempotent() -> None:
    raw = "\x1b[1m\u202e\u200b\r"
    once = sanitize(raw)
    assert sanitize(once) == once


def test_strict_mode_is_what_the_plugin_screens_use() -> None:
    raw = "desc\ue000\U000e0041\u200b\x1b\n\ttab"
    assert sanitize_text(raw) == sanitize_strict(raw) == "desc\\ue000\\U000e0041\\u200b\\x1b\n\ttab"
    assert sanitize_text("a\nb", keep_newlines=False) == "a\\x0ab"


def test_fast_checks_agree_with_the_regex() -> None:
    import random

    from workbench.core.sanitize import UNSAFE

    rng = random.Random(14)
    alphabet = "ab \t\n\r\x1b\x07\x7f\x85\xa0é漢\u200b\u202e\ufeff\ue000\U000e0041"
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        expected = UNSAFE.sub(lambda m: escape_char(m.group()), text)
        assert sanitize(text) == expected, repr(text)
        assert is_clean(text) == (expected == text), repr(text)


def test_json_lines_are_terminal_safe_and_decode_to_the_same_value() -> None:
    import json

    from workbench.core.sanitize import json_line_safe

    value = {"raw": "x\x1b]52;c;e30=\x07\x9b\u202e\u200b\U000e0041\r\r\n\ud800 ok", "n": [1, "é"]}
    line = json.dumps(value, ensure_ascii=False)
    safe = json_line_safe(line)
    assert json.loads(safe) == value
    assert all(ch not in safe for ch in "\x1b\x07\x9b\u202e\u200b\U000e0041")
    clean = json.dumps({"a": "héllo"}, ensure_ascii=False)
    assert json_line_safe(clean) is clean
