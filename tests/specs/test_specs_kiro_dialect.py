"""What people write in real Kiro specs: each construct parses as its author meant it.

The fixture spec ``corpus/kiro-dialect`` is our own text reproducing the constructs found in
public Kiro specs (issue 20): en-dash ranges, ``**Validates: Requirements ...**`` lines, sub-headings
and prose under "Acceptance Criteria", horizontal rules, criteria holding code blocks, nested
ordered lists, wrapped ``5)`` lines, a non-closing fence line, numbered prose bullets and letter
task ids. The smaller tests pin one construct each.
"""

from __future__ import annotations

from pathlib import Path

from workbench.core.specs import _md
from workbench.core.specs.design import load_design, parse_design
from workbench.core.specs.ears import lint_requirements
from workbench.core.specs.requirements import load_requirements, parse_requirements
from workbench.core.specs.tasks import load_tasks, parse_tasks
from workbench.core.specs.trace import build_trace

SPEC = Path(__file__).parent / "corpus" / "kiro-dialect"

HEAD = "# Requirements Document\n\n## Introduction\n\nX.\n\n## Requirements\n\n"


def req(body: str, number: int = 1) -> str:
    return (
        f"### Requirement {number}: T\n\n**User Story:** As a user, I want x, so that y.\n\n#### Acceptance Criteria\n\n{body}\n"
    )


def parse(*bodies: str):
    return parse_requirements(HEAD + "".join(req(b, n) for n, b in enumerate(bodies, start=1)))


def test_fixture_requirements_parse_exactly():
    doc = load_requirements(SPEC / "requirements.md")
    assert doc.problems == []
    assert lint_requirements(doc) == []
    assert [(c.id, c.line) for c in doc.criteria()] == [
        ("1.1", 22),
        ("1.2", 23),
        ("1.3", 30),
        ("1.4", 39),
        ("1.5", 41),
        ("2.1", 54),
        ("2.2", 56),
        ("2.3", 57),
        ("3.1", 67),
        ("3.2", 68),
    ]
    texts = {c.id: c.text for c in doc.criteria()}
    # the text after the code block inside 1.3 belongs to 1.3
    assert texts["1.3"].endswith("with the repository file taking precedence over the system file.")
    # the nested ordered list is part of 1.5
    assert texts["1.5"].endswith("in order: 1. clang-format check 2. unit tests 3. integration tests")
    # the wrapped line starting with "5)" continues 2.1
    assert "(2) the 5) last 50 lines of output" in texts["2.1"]
    assert all(c.ears.ok for c in doc.criteria())


def test_fixture_tasks_parse_exactly():
    doc = load_tasks(SPEC / "tasks.md")
    assert doc.problems == []
    assert [(t.id, t.state, t.optional, t.requirements) for t in doc.all_tasks] == [
        ("1", "done", False, ["1.1", "1.2", "1.3", "1.4"]),
        ("2", "in_progress", False, []),
        ("2.1", "done", False, ["1.5"]),
        ("2.2", "todo", True, ["1.1", "1.2"]),
        ("3", "todo", False, ["2.1", "2.2"]),
        ("3a", "done", False, ["2.3"]),
        ("4", "todo", False, ["2.3-3.2"]),
    ]
    assert doc.progress() == (3, 7)
    assert doc.progress(include_optional=False) == (3, 6)


def test_fixture_design_sections_and_trace():
    design = load_design(SPEC / "design.md")
    assert design.problems == []
    assert design.missing == []
    assert design.sections["Error Handling"] == 46
    assert [(link.item, link.line, link.refs) for link in design.links] == [
        ("Property 1: A new commit restarts the checks", 35, ["1.1", "1.2"]),
        ("Property 2: Reports expire", 41, ["2.2"]),
        ("Property 3: The status follows the checks", 44, ["3"]),
    ]
    report = build_trace(load_requirements(SPEC / "requirements.md"), design, load_tasks(SPEC / "tasks.md"))
    assert report.design_uncovered == ["1.3", "1.4", "1.5", "2.1", "2.3"]
    assert report.design_matrix["3.2"] == ["Property 3: The status follows the checks"]
    assert report.design_matrix["1.1"] == ["Property 1: A new commit restarts the checks"]
    assert [(p.code, p.line) for p in report.problems] == [("TRC004", line) for line in (30, 39, 41, 54, 57)]
    assert report.uncovered == []
    assert report.unknown_refs == []
    assert report.matrix == {
        "1.1": ["1", "2.2"],
        "1.2": ["1", "2.2"],
        "1.3": ["1"],
        "1.4": ["1"],
        "1.5": ["2.1"],
        "2.1": ["3"],
        "2.2": ["3"],
        "2.3": ["3a", "4"],
        "3.1": ["4"],
        "3.2": ["4"],
    }


def test_deeper_subheading_keeps_criteria_on_and_sibling_heading_ends_them():
    doc = parse(
        "##### Group A\n\n1. THE S SHALL a.\n\n##### Group B\n\nSome prose.\n\n2. THE S SHALL b.\n\n"
        "#### Notes\n\n3. A numbered note, not a criterion.\n"
    )
    assert [c.id for c in doc.criteria()] == ["1.1", "1.2"]
    assert doc.problems == []


def test_bold_acceptance_criteria_then_subheading_ends_them():
    text = (
        HEAD
        + "### Requirement 1: T\n\n**User Story:** As a, I want b, so that c.\n\n**Acceptance Criteria:**\n\n1. THE S SHALL a.\n\n#### Notes\n\n2. a note\n"
    )
    doc = parse_requirements(text)
    assert [c.id for c in doc.criteria()] == ["1.1"]


def test_horizontal_rules_are_not_req009():
    doc = parse("1. THE S SHALL a.\n\n---\n\n2. THE S SHALL b.\n\n* * *\n\n___\n")
    assert [c.id for c in doc.criteria()] == ["1.1", "1.2"]
    assert doc.problems == []


def test_text_after_code_block_continues_the_criterion():
    doc = parse("1. THE S SHALL print:\n```\nok\n```\nand exit with status 0.\n2. THE S SHALL b.\n")
    assert doc.problems == []
    assert doc.criteria()[0].text == "THE S SHALL print: and exit with status 0."


def test_nested_ordered_list_is_part_of_the_criterion():
    doc = parse(
        "1. THE S SHALL a.\n2. THE S SHALL run:\n   1. lint\n   2. tests\n\n   1. again after a blank\n3. THE S SHALL c.\n"
    )
    assert doc.problems == []
    assert [c.id for c in doc.criteria()] == ["1.1", "1.2", "1.3"]
    assert doc.criteria()[1].text == "THE S SHALL run: 1. lint 2. tests 1. again after a blank"
    # a two-digit criterion number widens the content indent
    doc = parse("".join(f"{n}. THE S SHALL a{n}.\n" for n in range(1, 11)) + "    1. nested\n11. THE S SHALL z.\n")
    assert doc.problems == []
    assert len(doc.criteria()) == 11
    assert doc.criteria()[9].text == "THE S SHALL a10. 1. nested"


def test_wrapped_paren_number_continues_but_a_paren_list_is_criteria():
    doc = parse("1. THE S SHALL keep (1) a and (2) b and\n5) c.\n2. THE S SHALL d.\n")
    assert doc.problems == []
    assert [c.text for c in doc.criteria()] == ["THE S SHALL keep (1) a and (2) b and 5) c.", "THE S SHALL d."]
    doc = parse("1) THE S SHALL a.\n2) THE S SHALL b.\n")
    assert [c.id for c in doc.criteria()] == ["1.1", "1.2"]


def test_stray_paragraph_is_still_req009():
    doc = parse("1. THE S SHALL a.\n\nA stray paragraph.\n")
    assert [p.code for p in doc.problems] == ["REQ009"]


def test_commonmark_fences():
    # text after the closing backticks does not close; a longer fence does; fewer tildes do not
    lines = ["```c", "x;", "```ollector;", "y;", "````", "after", "~~~~", "~~~", "```", "~~~~  ", "end"]
    assert [c for _, _, c in _md.iter_lines(lines)] == [
        True,
        True,
        True,
        True,
        True,
        False,
        True,
        True,
        True,
        True,
        False,
    ]
    # a backtick fence's info string holds no backtick: ```a`b``` is inline code, not a fence
    assert [c for _, _, c in _md.iter_lines(["```a`b```", "text"])] == [False, False]


def test_non_closing_fence_line_does_not_hide_sections():
    text = "# D\n\n## Overview\n\n```c\nint x;\n```ollector;\n```\n\n## Error Handling\n\nx\n"
    design = parse_design(text)
    assert "Error Handling" in design.sections


def test_validates_lines_and_dash_ranges_in_tasks():
    doc = parse_tasks(
        "- [ ] 1. A\n  - _Requirements: 1.1\u20131.3_\n"
        "- [ ] 2. B\n  - **Validates: Requirements 2.1, 2.2**\n"
        "- [ ] 3. C\n  - _Validates: Requirement 3.1_\n  - *Requirements: 4.1 \u2014 4.2*\n"
    )
    assert doc.problems == []
    assert [t.requirements for t in doc.all_tasks] == [["1.1", "1.2", "1.3"], ["2.1", "2.2"], ["3.1", "4.1", "4.2"]]


def test_numbered_prose_bullets_are_not_tasks_but_unboxed_tasks_still_are():
    doc = parse_tasks("- [ ] 1. A\n\n## Summary\n\n- 43 property-based tests\n- 2 reviewers\n")
    assert doc.problems == []
    assert [t.id for t in doc.all_tasks] == ["1"]
    doc = parse_tasks("- [ ] 1. A\n- 2. Forgot the box\n  - 2.1 Also no box\n")
    assert [(p.code, p.line) for p in doc.problems] == [("TSK001", 2), ("TSK001", 3)]


def test_letter_task_ids_count_and_are_not_renumbered():
    doc = parse_tasks("- [x] 1. A\n  - [x] 1.1 B\n  - [ ] 1.1b C\n  - [ ] 1.2 D\n- [x] 1a. E\n- [ ] 2. F\n")
    assert doc.problems == []
    assert [t.id for t in doc.all_tasks] == ["1", "1.1", "1.1b", "1.2", "1a", "2"]
    assert doc.progress() == (3, 6)


def test_cross_requirement_range_expands_in_the_trace():
    requirements = parse("1. THE S SHALL a.\n2. THE S SHALL b.", "1. THE S SHALL c.\n2. THE S SHALL d.")
    tasks = parse_tasks("- [ ] 1. A\n  - _Requirements: 1.2\u20132.1_\n- [ ] 2. B\n  - _Requirements: 2.2-1.1, 2.1-3.1_\n")
    report = build_trace(requirements, None, tasks)
    assert report.matrix == {"1.1": [], "1.2": ["1"], "2.1": ["1"], "2.2": []}
    assert [(u.task_id, u.ref) for u in report.unknown_refs] == [("2", "2.1-3.1")]
    assert [p.code for p in tasks.problems] == ["TSK004"]  # 2.2-1.1 runs backwards


def test_vague_words_not_linted_in_code_paths_links_or_fixed_phrases():
    doc = parse(
        "1. THE S SHALL read `/etc/fast.conf` and /var/lib/slow/x.db.\n"
        "2. THE S SHALL take the fast path and the slow path and fail fast.\n"
        "3. THE S SHALL log the `slow` stage and link [docs](https://x.org/fast/simple).\n"
        "4. THE S SHALL respond fast.\n"
    )
    assert [(p.code, p.line) for p in lint_requirements(doc)] == [("EARS002", doc.criteria()[3].line)]


def test_design_citations_both_ways():
    requirements = parse("1. THE S SHALL a.\n2. THE S SHALL b.", "1. THE S SHALL c.")
    design = parse_design(
        "# D\n\n## Overview\n\nx\n\n## Correctness Properties\n\n### Property 1: Round trip\n\n"
        "*For any* x.\n\n**Validates: Requirements 1.1, 9.9**\n\nProperty 2: Plain line form\n"
        "_Validates: Requirements 1.2\u20132.1 (partly)_\n\n## Error Handling\n\n_Requirements: 2_\n"
        "Requirements: are discussed with the team.\n**Validates: Requirements soon**\n"
    )
    assert [(link.item, link.refs) for link in design.links] == [
        ("Property 1: Round trip", ["1.1", "9.9"]),
        ("Property 2: Plain line form", ["1.2-2.1"]),
        ("Error Handling", ["2"]),
    ]
    assert [(p.code, p.line) for p in design.problems if p.code == "DES003"] == [("DES003", 22)]
    report = build_trace(requirements, design, None)
    assert report.design_matrix == {
        "1.1": ["Property 1: Round trip"],
        "1.2": ["Property 2: Plain line form"],
        "2.1": ["Property 2: Plain line form", "Error Handling"],
    }
    assert report.design_uncovered == []
    assert [(u.task_id, u.ref, u.line) for u in report.design_unknown_refs] == [("Property 1: Round trip", "9.9", 13)]
    assert [p.code for p in report.problems] == ["TRC003"]
    data = report.to_dict()
    assert data["design_uncovered"] == [] and data["design_unknown_refs"][0]["item"] == "Property 1: Round trip"
    # a design without any citation is not judged (no flood of TRC004)
    report = build_trace(requirements, parse_design("# D\n\n## Overview\n"), None)
    assert report.design_uncovered is None and report.problems == []


def test_nested_heading_of_the_same_section_is_not_a_repeat():
    design = parse_design(
        "## Testing Strategy\n\n### Testing Strategy\n\n## Correctness Properties\n\n### Correctness Properties\n\n# Testing Strategy\n"
    )
    assert [(p.code, p.line) for p in design.problems if p.code == "DES002"] == [("DES002", 9)]


def test_ears007_is_reported_once_per_document_with_counts():
    text = HEAD.replace("## Requirements", "## Glossary\n\n- **Gate**: the gate\n\n## Requirements") + req(
        "1. THE system SHALL a.\n2. WHEN x, THE system SHALL b.\n3. THE Gate SHALL c.\n4. THE Scheduler SHALL d.\n"
    )
    doc = parse_requirements(text)
    found = [p for p in lint_requirements(doc) if p.code == "EARS007"]
    assert len(found) == 1
    assert found[0].line == doc.criteria()[0].line
    assert found[0].message == (
        "3 criteria name a system not defined in the Glossary: 'THE system' (2 criteria, first 1.1), "
        "'THE Scheduler' (1 criterion, first 1.4); add them there or use defined terms"
    )


def test_task_heading_groups_its_numbered_subtasks():
    doc = parse_tasks(
        "# Tasks\n\n## Task 1: Parser\n\n- [x] 1.1 Read\n- [ ] 1.2 Write\n\n## Task 2: Tests\n\n- [ ] 2.1 Unit\n- [ ] 3.1 Stray\n"
    )
    assert [(p.code, p.line) for p in doc.problems] == [("TSK003", 11)]
    assert [t.id for t in doc.all_tasks] == ["1.1", "1.2", "2.1", "3.1"]
    assert doc.progress() == (1, 4)
