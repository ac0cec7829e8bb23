"""discover_specs / find_spec / load_spec over real folders."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from workbench.core.specs.bundle import check_spec, load_spec
from workbench.core.specs.discovery import discover_specs, find_spec
from workbench.core.specs.models import SpecNotFoundError
from workbench.core.specs.requirements import parse_requirements

CORPUS = Path(__file__).parent / "corpus"


def test_discovery_order_sources_and_precedence(tmp_path):
    shutil.copytree(CORPUS / "good-ears", tmp_path / ".workbench/specs/login")
    shutil.copytree(CORPUS / "good-legacy", tmp_path / ".workbench/specs/export")
    shutil.copytree(CORPUS / "good-legacy", tmp_path / ".kiro/specs/login")
    (tmp_path / ".workbench/specs/empty-folder").mkdir()
    (tmp_path / ".workbench/specs/stray.md").write_text("not a folder")
    specs = discover_specs(tmp_path)
    assert [(s.key, s.source) for s in specs] == [
        ("export", "workbench"),
        ("login", "workbench"),
        ("kiro/login", "kiro"),
    ]
    assert find_spec(tmp_path, "login").source == "workbench"
    assert find_spec(tmp_path, "kiro/login").source == "kiro"
    with pytest.raises(SpecNotFoundError, match="specs: export, login, kiro/login"):
        find_spec(tmp_path, "nope")
    assert discover_specs(tmp_path / "missing") == []


def test_spec_with_only_tasks_reports_missing_requirements(tmp_path):
    root = tmp_path / ".workbench/specs/t"
    root.mkdir(parents=True)
    (root / "tasks.md").write_text("- [ ] 1. A\n  - _Requirements: 1.1_\n")
    [spec] = discover_specs(tmp_path)
    bundle = load_spec(spec)
    assert bundle.requirements is None and bundle.design is None and bundle.tasks is not None
    problems, report = check_spec(bundle)
    assert {p.code for p in problems} == {"SPEC001", "TRC002"}
    assert report.unknown_refs[0].ref == "1.1"


def test_unreadable_document_is_a_problem_not_a_crash(tmp_path):
    root = tmp_path / ".workbench/specs/d"
    root.mkdir(parents=True)
    shutil.copy(CORPUS / "good-ears" / "requirements.md", root / "requirements.md")
    (root / "design.md").mkdir()  # a folder where a file should be: reading it fails
    [spec] = discover_specs(tmp_path)
    bundle = load_spec(spec)
    assert bundle.design is None
    assert [p.code for p in bundle.problems] == ["SPEC002"]


def test_crlf_requirements_parse_like_lf():
    lf = (CORPUS / "good-ears" / "requirements.md").read_text(encoding="utf-8")
    a, b = parse_requirements(lf), parse_requirements(lf.replace("\n", "\r\n"))
    assert [(c.id, c.text, c.line, c.ears.pattern) for c in a.criteria()] == [
        (c.id, c.text, c.line, c.ears.pattern) for c in b.criteria()
    ]
    assert b.glossary == a.glossary and b.problems == []
