"""Constructs found in a study of real Kiro specs (issue 20), reproduced in our own words.

The fixtures ``corpus/kiro-real`` (English) and ``corpus/kiro-i18n`` (Chinese headings, Japanese
verb-final criteria) hold every construct the study found beyond those of ``corpus/kiro-dialect``:
a status blockquote, wrapped glossary definitions, criteria holding bullet lists and nested
ordered lists with asides, legacy ``THEN <system> SHALL`` criteria, ``##### `` groups and ``---``
rules, ``## Task N:`` and ``### N. Title`` headings grouping sub-tasks, bold task ids, sub-tasks at
their parent's indentation, wrapped task titles, escaped optional marks (``[ ]\\*``), ``_Requirements:
all_`` and ``All from Requirement 3``, ``Requirement 1.4`` inside a citation, JSON and tables in the
plan, ``**Validates:**`` lines in tasks and in bold or heading properties of the design. The tests
pin the exact parse and trace, and the absence of the false positives real specs produced.
"""

from __future__ import annotations

from pathlib import Path

from workbench.core.specs import _md
from workbench.core.specs.design import load_design, parse_design
from workbench.core.specs.ears import classify, lint_requirements
from workbench.core.specs.requirements import load_requirements, parse_requirements
from workbench.core.specs.tasks import load_tasks, parse_refs, parse_tasks
from workbench.core.specs.trace import build_trace

CORPUS = Path(__file__).parent / "corpus"
REAL = CORPUS / "kiro-real"
I18N = CORPUS / "kiro-i18n"


def test_real_requirements_parse_exactly_and_lint_clean():
    doc = load_requirements(REAL / "requirements.md")
    assert doc.problems == []
    assert lint_requirements(doc) == []  # no vague 'fast'/'slow' in asides or a 'so that' reason
    assert doc.introduction.startswith("A command-line tool")
    assert doc.glossary == {
        "Archiver": "the command that collects log files and writes one bundle per day.",
        "Uploader": "the service that copies bundles to the bucket and records each upload.",
    }
    assert [(c.id, c.line) for c in doc.criteria()] == [
        ("1.1", 27),
        ("1.2", 29),
        ("1.3", 34),
        ("1.4", 38),
        ("2.1", 52),
        ("2.2", 54),
        ("2.3", 59),
        ("3.1", 70),
        ("3.2", 72),
    ]
    texts = {c.id: c.text for c in doc.criteria()}
    assert texts["1.2"].endswith("- `/etc/archiver.toml` - `~/.config/archiver.toml` - the `ARCHIVER_*` environment variables")
    assert texts["1.3"].endswith("1. checksum (fast, always on) 2. upload (slow, opt-in) 3. delete the originals (always on)")
    assert [(c.ears.pattern, c.ears.dialect) for c in doc.criteria()][:4] == [("event-driven", "kiro-legacy")] * 3 + [
        ("unwanted", "kiro-legacy")
    ]
    assert (
        doc.requirements[0].user_story == "As an operator, I want old logs bundled every night so that the disk never fills up."
    )


def test_real_tasks_parse_exactly():
    doc = load_tasks(REAL / "tasks.md")
    assert doc.problems == []
    assert [(t.id, t.state, t.optional, t.requirements, t.line) for t in doc.all_tasks] == [
        ("1.1", "done", False, ["1.1", "1.2"], 9),
        ("1.2", "done", False, ["1.3", "1.4"], 12),
        ("2.1", "done", False, ["2.1", "2.2"], 17),
        ("2.2", "todo", True, ["2.3"], 22),
        ("3", "done", False, [], 25),
        ("3.1", "done", False, ["3"], 27),
        ("3a", "todo", True, [], 31),
        ("4", "done", False, ["all"], 33),
    ]
    titles = {t.id: t.title for t in doc.all_tasks}
    assert titles["2.1"] == "Copy bundles to the bucket"  # the id inside bold text
    assert titles["3"] == "Report the night's work to the operator on standard output"  # wrapped title
    assert [t.id for t in doc.tasks] == ["1.1", "1.2", "2.1", "2.2", "3", "3a", "4"]
    assert [c.id for c in doc.all_tasks[4].children] == ["3.1"]  # a sub-task at its parent's indentation
    assert doc.progress() == (6, 8)
    assert doc.progress(include_optional=False) == (6, 6)


def test_real_design_and_trace_both_ways():
    design = load_design(REAL / "design.md")
    assert design.problems == [] and design.missing == []
    assert design.sections["Error Handling"] == 46  # the inline ``` in a code span opens no fence
    assert [(link.item, link.line, link.refs) for link in design.links] == [
        ("Property 1: Every complete bundle is uploaded once", 40, ["2.1", "2.2"]),
        ("Property 2: Old logs never stay on disk", 44, ["1.1", "1.2", "1.3"]),
    ]
    report = build_trace(load_requirements(REAL / "requirements.md"), design, load_tasks(REAL / "tasks.md"))
    assert report.uncovered == [] and report.unknown_refs == []
    assert report.matrix["2.3"] == ["2.2", "4"]  # the escaped optional task and '_Requirements: all_'
    assert report.matrix["3.2"] == ["3.1", "4"]  # 'All from Requirement 3'
    assert report.design_uncovered == ["1.4", "2.3", "3.1", "3.2"]
    assert [(p.code, p.line) for p in report.problems] == [("TRC004", line) for line in (38, 59, 70, 72)]


def test_i18n_spec_parses_like_an_english_one():
    doc = load_requirements(I18N / "requirements.md")
    assert doc.problems == [] and lint_requirements(doc) == []
    assert doc.introduction == "一個把日誌檔打包並上傳的命令列工具。"
    assert [(r.number, r.title, r.line) for r in doc.requirements] == [(1, "打包日誌", 9), (2, "上傳", 18)]
    assert doc.requirements[0].user_story.startswith("作為維運人員")
    assert [(c.id, c.ears.pattern, c.ears.system) for c in doc.criteria()] == [
        ("1.1", "event-driven", "系統"),
        ("1.2", "unwanted", "系統"),
        ("2.1", "event-driven", None),
        ("2.2", "event-driven", None),  # verb-final: SHALL comes last
    ]
    tasks = load_tasks(I18N / "tasks.md")
    assert [(t.id, t.requirements) for t in tasks.all_tasks] == [("1", ["1.1", "1.2"]), ("2", []), ("2.1", ["2.1"]), ("2.2", [])]
    # a citation in words cannot be traced: a true finding
    assert [(p.code, p.line) for p in tasks.problems] == [("TSK004", 11)]
    assert build_trace(doc, None, tasks).uncovered == ["2.2"]


def test_verb_final_criterion_still_needs_a_response():
    assert classify("WHEN a THEN b SHALL").ok
    assert not classify("WHEN a THEN SHALL").ok
    assert not classify("THE system SHALL").ok


def test_refs_in_words():
    assert parse_refs("all") == (["all"], [])
    assert parse_refs("All requirements") == (["all"], [])
    assert parse_refs("All from Requirements 6, 7") == (["6", "7"], [])
    assert parse_refs("1.3, Requirement 1.4") == (["1.3", "1.4"], [])
    # prose that names no criterion is still unreadable
    assert parse_refs("All repository requirements") == ([], ["All", "repository"])
    assert parse_refs("Foundation for all other components")[0] == []


def test_no_trc002_flood_without_requirements():
    tasks = parse_tasks("- [ ] 1. A\n  - _Requirements: 1.1, 1.2, 2.1_\n- [ ] 2. B\n  - _Requirements: 3.1_\n")
    report = build_trace(None, None, tasks)
    assert [(p.code, p.line) for p in report.problems] == [("TRC002", 1)]
    assert "4 requirement reference(s) cannot be checked: requirements.md is missing" in report.problems[0].message
    assert len(report.unknown_refs) == 4
    freeform = parse_requirements("# Requirements\n\n## Requirements\n\n1. The tool reads the log\n")
    report = build_trace(freeform, None, tasks)
    assert [p.code for p in report.problems] == ["TRC002"]


def test_no_tsk004_under_a_malformed_task():
    doc = parse_tasks("- [ ] **Agent 1: Enhance the agents**\n  - _Requirements: 1.1_\n- [ ] 1. Real task\n")
    assert [(p.code, p.line) for p in doc.problems] == [("TSK001", 1)]
    doc = parse_tasks("# Plan\n\n- _Requirements: 1.1_\n")
    assert [p.code for p in doc.problems] == ["TSK004", "TSK005"]


def test_commonmark_block_structure():
    lines = _md.parse_lines(
        "# Title\n"  # 1 ATX heading
        "Intro\n"  # 2
        "===\n"  # 3 setext underline: 2-3 are one h1
        "\n"
        "    indented code\n"  # 5 indented code block
        "\n"
        "1. one\n"  # 7 ordered item, depth 1
        "   - nested\n"  # 8 bullet item, depth 2
        "     text\n"  # 9 inside the nested item
        "2) other list\n"  # 10 a new list (other delimiter)
        "\n"
        "***\n"  # 12 thematic break
        "   ```\n"  # 13 fence indented 3: still a fence
        "   code\n"
        "   ```\n"
    )
    assert lines[0].heading == (1, "Title")
    assert lines[1].heading == (1, "Intro") and lines[2].skip
    assert lines[4].code
    assert (lines[6].marker, lines[6].number, lines[6].depth, lines[6].item) == (".", 1, 1, 7)
    assert (lines[7].marker, lines[7].depth, lines[7].item) == ("-", 2, 7)
    assert (lines[8].marker, lines[8].depth, lines[8].item) == ("", 2, 7)
    assert (lines[9].marker, lines[9].number, lines[9].item) == (")", 2, 10)
    assert lines[11].rule
    assert [ln.code for ln in lines[12:15]] == [True, True, True]
    # a lone carriage return inside a line does not shift the line numbers
    assert [ln.no for ln in _md.parse_lines("a\rb\n# H\n")] == [1, 2]
    assert _md.parse_lines("a\rb\n# H\n")[1].heading == (1, "H")


def test_prose_drops_code_html_and_link_targets():
    assert _md.prose("read `slow` <b>x</b> [docs](https://x.org/fast) <https://fast.io>").split() == ["read", "x", "docs"]
    assert _md.prose("plain text") == "plain text"


def test_setext_rule_after_paragraph_in_design():
    design = parse_design("# D\n\nOverview\n--------\n\ntext\n\n## Error Handling\n\nx\n")
    assert "Overview" in design.sections and "Error Handling" in design.sections
