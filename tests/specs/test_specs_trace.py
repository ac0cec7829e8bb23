"""Traceability matrix over the corpus."""

from __future__ import annotations

import json
from pathlib import Path

from workbench.core.specs.bundle import check_spec, load_spec
from workbench.core.specs.design import parse_design
from workbench.core.specs.models import Spec
from workbench.core.specs.requirements import parse_requirements
from workbench.core.specs.tasks import parse_tasks
from workbench.core.specs.trace import build_trace

CORPUS = Path(__file__).parent / "corpus"


def corpus_spec(name: str) -> Spec:
    return Spec(name, CORPUS / name, "workbench", CORPUS)


def test_full_coverage_with_requirement_level_refs():
    problems, report = check_spec(load_spec(corpus_spec("good-ears")))
    assert problems == []
    assert report.matrix == {
        "1.1": ["1", "2.3"],
        "1.2": ["2.1"],
        "1.3": ["2.1"],
        "1.4": ["2.2"],
        "2.1": ["3"],
        "2.2": ["3"],
        "2.3": ["3"],
    }
    assert report.uncovered == [] and report.unknown_refs == [] and report.design_missing == []
    data = report.to_dict()
    assert json.loads(json.dumps(data)) == data


def test_uncovered_unknown_and_missing_design():
    problems, report = check_spec(load_spec(corpus_spec("malformed")))
    assert report.uncovered == ["1.4", "3.1"]
    assert [(u.task_id, u.ref) for u in report.unknown_refs] == [("1", "9.9"), ("5.3", "1.2"), ("5.3", "7")]
    assert report.design_missing == ["Components and Interfaces", "Data Models", "Error Handling", "Testing Strategy"]
    assert "8" in report.tasks_without_refs
    trc = [(p.code, p.severity) for p in problems if p.code.startswith("TRC")]
    assert trc.count(("TRC002", "error")) == 3 and trc.count(("TRC001", "warning")) == 2


def test_no_tasks_file_means_no_coverage_warnings():
    reqs = parse_requirements(
        "## Introduction\nx\n### Requirement 1\n**User Story:** s\n#### Acceptance Criteria\n1. THE S SHALL x\n"
    )
    report = build_trace(reqs, None, None)
    assert report.uncovered == ["1.1"] and report.problems == [] and report.design_missing is None


def test_tasks_without_requirements_cite_unknown():
    report = build_trace(None, parse_design("## Overview\n"), parse_tasks("- [ ] 1. A\n  - _Requirements: 1.1_\n"))
    assert [u.ref for u in report.unknown_refs] == ["1.1"]
    assert "Architecture" in report.design_missing
