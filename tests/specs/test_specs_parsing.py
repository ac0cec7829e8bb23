"""Parsers over the corpus in tests/specs/corpus: both dialects and malformed files."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.core.specs.design import REQUIRED_SECTIONS, load_design, parse_design
from workbench.core.specs.requirements import load_requirements, parse_requirements
from workbench.core.specs.tasks import load_tasks, parse_refs, parse_tasks

CORPUS = Path(__file__).parent / "corpus"


def codes(problems):
    return [(p.code, p.line) for p in problems]


def test_requirements_new_dialect_structure():
    doc = load_requirements(CORPUS / "good-ears" / "requirements.md")
    assert doc.problems == []
    assert doc.introduction.startswith("A login feature")
    assert set(doc.glossary) == {"Auth_Service", "Login_Form", "Audit_Log"}
    assert [r.number for r in doc.requirements] == [1, 2]
    first = doc.requirements[0]
    assert first.title == "Sign in"
    assert first.user_story.startswith("As a registered user") and first.user_story.endswith("dashboard.")
    assert [c.id for c in doc.criteria()] == ["1.1", "1.2", "1.3", "1.4", "2.1", "2.2", "2.3"]
    # a criterion wrapped over two lines is joined
    assert doc.criteria()[1].text.endswith("within 200 ms.")
    assert doc.criteria()[1].line == 23
    patterns = [c.ears.pattern for c in doc.criteria()]
    assert patterns == ["ubiquitous", "event-driven", "state-driven", "unwanted", "optional-feature", "complex", "complex"]


def test_requirements_legacy_dialect():
    doc = load_requirements(CORPUS / "good-legacy" / "requirements.md")
    assert doc.problems == []
    assert doc.glossary == {}
    assert [r.title for r in doc.requirements] == ["", ""]
    assert [(c.id, c.ears.pattern, c.ears.dialect) for c in doc.criteria()] == [
        ("1.1", "event-driven", "kiro-legacy"),
        ("1.2", "unwanted", "kiro-legacy"),
        ("1.3", "event-driven", "kiro-legacy"),
        ("2.1", "event-driven", "kiro-legacy"),
    ]


def test_requirements_malformed_reports_everything_and_keeps_what_parsed():
    doc = load_requirements(CORPUS / "malformed" / "requirements.md")
    found = codes(doc.problems)
    assert ("REQ006", 14) in found  # 1, 3: expected 2
    assert ("REQ010", 15) in found  # 3 twice
    assert ("REQ009", 18) in found  # stray paragraph
    assert ("REQ009", 19) in found  # bullet criterion
    assert ("REQ008", 21) in found  # '### Requirement: Missing number'
    assert ("REQ002", 29) in found  # 1 then 3
    assert ("REQ004", 29) in found  # no user story
    assert ("REQ003", 35) in found  # 3 twice
    assert ("REQ005", 35) in found and ("REQ005", 39) in found
    assert ("REQ007", None) in found  # no introduction
    assert all(p.file.endswith("requirements.md") for p in doc.problems)
    # what parsed is still there
    assert [r.number for r in doc.requirements] == [1, 3, 3, 4]
    assert [c.id for c in doc.requirements[0].criteria] == ["1.1", "1.3", "1.3", "1.4"]
    assert doc.requirements[0].criteria[2].text.endswith("and continues it.")


@pytest.mark.parametrize("text", ["", "just prose\n", "\x00\x01 binary-ish", "### Requirement\n1. x"])
def test_requirements_never_raise(text):
    doc = parse_requirements(text, "r.md")
    assert any(p.code == "REQ001" or p.code == "REQ008" for p in doc.problems)


def test_requirements_invalid_utf8_is_a_problem(tmp_path):
    path = tmp_path / "requirements.md"
    path.write_bytes(b"## Introduction\n\xff\xfe oops\n### Requirement 1\n#### Acceptance Criteria\n1. THE s SHALL x\n")
    doc = load_requirements(path)
    assert ("SPEC002", 2) in codes(doc.problems)
    assert [c.id for c in doc.criteria()] == ["1.1"]


def test_requirements_code_fences_are_ignored():
    text = "## Introduction\n```\n### Requirement 9\n```\n### Requirement 1\n**User Story:** s\n#### Acceptance Criteria\n1. THE s SHALL x\n"
    doc = parse_requirements(text)
    assert [r.number for r in doc.requirements] == [1]
    assert "### Requirement 9" in doc.introduction


def test_design_sections():
    doc = load_design(CORPUS / "good-ears" / "design.md")
    assert doc.missing == []
    assert doc.problems == []
    assert list(doc.sections) == [
        "Overview",
        "Architecture",
        "Components and Interfaces",
        "Data Models",
        "Correctness Properties",
        "Error Handling",
        "Testing Strategy",
    ]
    # the heading inside the code fence is not a heading
    assert all(title != "Not a heading (inside code)" for _, title, _ in doc.headings)


def test_design_malformed():
    doc = load_design(CORPUS / "malformed" / "design.md")
    assert doc.sections["Overview"] == 3  # "## 1. Overview" counts
    assert doc.missing == ["Components and Interfaces", "Data Models", "Error Handling", "Testing Strategy"]
    assert ("DES002", 9) in codes(doc.problems)
    assert sum(p.code == "DES001" for p in doc.problems) == 4
    assert parse_design("").missing == list(REQUIRED_SECTIONS)


def test_design_plain_testing_heading_is_the_testing_strategy():
    """Real designs often title the section just "Testing" (a false DES001 in the corpus run)."""
    doc = parse_design(
        "# D\n## Overview\n## Architecture\n## Components and Interfaces\n## Data Models\n## Error Handling\n## Testing\n"
    )
    assert doc.missing == [] and not [p for p in doc.problems if p.code == "DES001"]


def test_design_variants():
    doc = parse_design("# D\n## Components & Interfaces\n### Data model:\n## **Error handling**\n")
    assert set(doc.sections) == {"Components and Interfaces", "Data Models", "Error Handling"}


def test_tasks_tree_states_and_refs():
    doc = load_tasks(CORPUS / "good-ears" / "tasks.md")
    assert doc.problems == []
    assert [t.id for t in doc.tasks] == ["1", "2", "3"]
    assert [c.id for c in doc.tasks[1].children] == ["2.1", "2.2", "2.3"]
    by = {t.id: t for t in doc.all_tasks}
    assert (by["1"].state, by["2"].state, by["2.2"].state) == ("done", "in_progress", "todo")
    assert by["2.3"].optional and not by["2.2"].optional
    assert by["2.1"].requirements == ["1.2", "1.3"]
    assert by["3"].requirements == ["2"]
    assert (by["2.1"].depth, by["2.1"].line) == (1, 8)
    assert by["1"].details == ["Create the package layout"]
    assert doc.progress() == (2, 6)
    assert doc.progress(include_optional=False) == (2, 5)


def test_tasks_malformed():
    doc = load_tasks(CORPUS / "malformed" / "tasks.md")
    found = codes(doc.problems)
    assert ("TSK002", 5) in found
    assert ("TSK003", 5) not in found  # a duplicate is reported once
    assert ("TSK001", 7) in found and ("TSK001", 8) in found and ("TSK001", 9) in found and ("TSK001", 10) in found
    assert ("TSK003", 12) in found  # 6.1 under 5
    assert ("TSK003", 14) in found  # 5.3 after 5.1
    assert ("TSK004", 15) in found  # "one, 1.x"
    assert ("TSK003", 17) in found  # 7.1 without 7
    ids = [t.id for t in doc.all_tasks]
    assert ids == ["1", "1", "5", "6.1", "5.1", "5.3", "7.1", "8"]
    by = {t.id: t for t in doc.all_tasks}
    assert by["5.3"].requirements == ["1.1", "1.2", "1.3", "7"]
    assert by["8"].optional
    # a Markdown link in a detail line is not a checkbox
    assert by["8"].details == ["See [the docs](https://example.com) for details"]


def test_tasks_flat_subtasks_use_id_prefix():
    doc = parse_tasks("- [ ] 1. A\n- [ ] 1.1 B\n- [x] 1.2 C\n- [ ] 2. D\n")
    assert [t.id for t in doc.tasks] == ["1", "2"]
    assert [c.id for c in doc.tasks[0].children] == ["1.1", "1.2"]
    assert doc.problems == []


def test_tasks_empty_file_warns():
    assert codes(parse_tasks("# Plan\n").problems) == [("TSK005", None)]


@pytest.mark.parametrize(
    ("text", "refs", "bad"),
    [
        ("1.1, 2.3", ["1.1", "2.3"], []),
        ("1.1-1.3", ["1.1", "1.2", "1.3"], []),
        ("1.1 - 1.2; 4", ["1.1", "1.2", "4"], []),
        ("Requirements 1.1 and 1.2", ["1.1", "1.2"], []),
        # a range across requirements stays one reference (the trace expands it)
        ("x, 1.1-2.3, 2.3-1.1", ["1.1-2.3"], ["x", "2.3-1.1"]),
        # Kiro writes ranges with an en dash; em dash and spaced dashes too
        ("1.1\u20131.4", ["1.1", "1.2", "1.3", "1.4"], []),
        ("2.2 \u2014 2.3, 3.1\u20133.2", ["2.2", "2.3", "3.1", "3.2"], []),
        ("Requirements 7.1, 7.2 (partially)", ["7.1", "7.2"], []),
    ],
)
def test_parse_refs(text, refs, bad):
    assert parse_refs(text) == (refs, bad)
