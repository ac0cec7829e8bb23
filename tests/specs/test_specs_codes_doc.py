"""docs/spec-problems.md lists every problem code with its severity, meaning and fix, as codes.py says."""

from __future__ import annotations

import re
from pathlib import Path

from workbench.core.specs.codes import CODES, DOC_PATH, FIXES, problems_table

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "workbench" / "core" / "specs"


def test_doc_table_is_the_generated_one():
    text = (REPO / DOC_PATH).read_text(encoding="utf-8")
    start, end = text.index("<!-- codes -->\n"), text.index("<!-- /codes -->")
    assert text[start + len("<!-- codes -->\n") : end] == problems_table(), (
        "docs/spec-problems.md is out of date: paste problems_table() between the <!-- codes --> markers"
    )


def test_every_code_has_a_fix_and_every_emitted_code_is_documented():
    assert set(FIXES) == set(CODES)
    assert all(FIXES[c].strip() for c in CODES)
    emitted = set()
    for path in PACKAGE.glob("*.py"):
        emitted |= set(re.findall(r'"((?:SPEC|REQ|DES|TSK|EARS|TRC|BUG)\d{3})"', path.read_text(encoding="utf-8")))
    assert emitted <= set(CODES), sorted(emitted - set(CODES))
    for code, (severity, meaning) in CODES.items():
        assert severity in ("error", "warning") and meaning
        assert f"| `{code}` | {severity} |" in problems_table()
