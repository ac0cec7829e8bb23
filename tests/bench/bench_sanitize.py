"""Benchmark of :func:`workbench.core.sanitize.sanitize` on 1 MB of tool output (issue 14). Not a pytest test.

Run: ``.venv/bin/python tests/bench/bench_sanitize.py``. Prints medians (ms per MB) and ratios
measured in the same run, next to ``str.translate`` with a table mapping the same characters to
the same escapes (the obvious alternative) and a plain ``str.encode("utf-8")`` of the text (a
floor: touching every character once in C):

1. clean output (no control characters: the common case; C-speed checks, no copy), ASCII only and
   with some non-ASCII letters;
2. coloured output (an SGR escape every line, like ``ls --color`` or ``pytest --color=yes``);
3. hostile output (an escape every 8 characters).
"""

from __future__ import annotations

import statistics
import sys
import time
import unicodedata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from workbench.core.sanitize import UNSAFE, escape_char, sanitize

RUNS = 15
SIZE = 1_000_000


def _table() -> dict[int, str]:
    table = {}
    for code in range(0x110000):
        ch = chr(code)
        if ch not in "\t\n\r" and (unicodedata.category(ch) in ("Cc", "Cf") or UNSAFE.fullmatch(ch)):
            table[code] = escape_char(ch)
    return table


def _sample(kind: str) -> str:
    line = "tests/test_module_%04d.py::test_case PASSED  [ 42%%]  héllo ✓\n"
    if kind == "clean-ascii":
        line = line.replace("héllo ✓", "hello ok")
    if kind == "coloured":
        line = "\x1b[32m" + line[:-1] + "\x1b[0m\n"
    text = "".join(line % (i % 10000) for i in range(SIZE // len(line) + 1))
    if kind == "hostile":
        text = "".join(text[i : i + 7] + "\x1b" for i in range(0, len(text), 7))
    return text[:SIZE]


def _median_ms(fn, text: str) -> float:
    samples = []
    for _ in range(RUNS):
        start = time.perf_counter()
        fn(text)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def main() -> None:
    table = _table()
    print(f"sanitize on {SIZE / 1e6:.0f} MB, median of {RUNS} runs (Python {sys.version.split()[0]})")
    for kind in ("clean-ascii", "clean", "coloured", "hostile"):
        text = _sample(kind)
        assert sanitize(text) == text.translate(table), kind  # the same result
        ours = _median_ms(sanitize, text)
        translate = _median_ms(lambda t: t.translate(table), text)
        encode = _median_ms(lambda t: t.encode("utf-8"), text)
        print(
            f"  {kind:>11}: sanitize {ours:7.2f} ms | str.translate {translate:7.2f} ms (ratio {ours / translate:5.2f}) "
            f"| utf-8 encode {encode:6.2f} ms (ratio {ours / encode:5.1f})"
        )


if __name__ == "__main__":
    main()
