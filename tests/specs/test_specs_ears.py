"""EARS classification (every pattern, both dialects, refusals) and every lint rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.core.specs.codes import CODES
from workbench.core.specs.ears import classify, lint_criterion, lint_requirements
from workbench.core.specs.models import Criterion
from workbench.core.specs.requirements import load_requirements

CORPUS = Path(__file__).parent / "corpus"


@pytest.mark.parametrize(
    ("text", "pattern", "dialect", "system"),
    [
        ("THE Auth_Service SHALL hash passwords.", "ubiquitous", "ears", "THE Auth_Service"),
        ("The system shall log each request", "ubiquitous", "ears", "The system"),
        ("WHEN a form is sent, THE Form_Service SHALL validate it", "event-driven", "ears", "THE Form_Service"),
        ("WHILE offline, THE App SHALL queue writes", "state-driven", "ears", "THE App"),
        ("IF the token expired, THEN THE Auth SHALL reject the call", "unwanted", "ears", "THE Auth"),
        ("WHERE audit is on, THE Server SHALL log sign-ins", "optional-feature", "ears", "THE Server"),
        ("WHERE audit is on, WHILE online, WHEN a user signs in, THE Server SHALL log it", "complex", "ears", "THE Server"),
        ("WHILE online, IF the disk fills, THEN THE Server SHALL alert", "complex", "kiro-legacy", "THE Server"),
        ("WHEN user clicks save THEN the system SHALL persist the file", "event-driven", "kiro-legacy", "the system"),
        ("IF the list is empty THEN the system SHALL show a hint", "unwanted", "kiro-legacy", "the system"),
        ("WHEN export ends THEN THE system SHALL notify", "event-driven", "kiro-legacy", "THE system"),
        ("**WHEN** saved, **THE** Editor **SHALL** reload", "event-driven", "ears", "THE Editor"),
        ("When saved, the Editor shall reload.", "event-driven", "ears", "the Editor"),
        ("WHEN the user saves and then closes, THE Editor SHALL keep a backup", "event-driven", "ears", "THE Editor"),
        ("WHEN a, b, or c happens THEN the system SHALL log it", "event-driven", "kiro-legacy", "the system"),
    ],
)
def test_classify_patterns(text, pattern, dialect, system):
    result = classify(text)
    assert result.ok, result.reason
    assert (result.pattern, result.dialect, result.system) == (pattern, dialect, system)
    assert result.response


def test_complex_clauses_are_split_in_order():
    result = classify("WHERE audit is on, WHILE online, WHEN a user signs in, THE Server SHALL log it")
    assert result.clauses == [("WHERE", "audit is on"), ("WHILE", "online"), ("WHEN", "a user signs in")]
    # lower-case "when" inside a trigger is text, not a clause
    assert classify("WHEN a user logs in and when idle, THE S SHALL x").clauses == [("WHEN", "a user logs in and when idle")]


@pytest.mark.parametrize(
    ("text", "reason_part"),
    [
        ("The reports are nice.", "no SHALL"),
        ("THE system SHALL", "nothing after SHALL"),
        ("WHEN the user clicks the system SHALL respond", "no comma or THEN"),
        ("After login, the system SHALL redirect", "neither 'THE <system>'"),
        ("WHILE online, WHERE audit is on, THE S SHALL x", "WHERE -> WHILE -> WHEN/IF"),
        ("WHEN a, WHEN b, THE S SHALL x", "at most once"),
        ("WHEN , THE S SHALL x", "empty condition after WHEN"),
        ("WHEN x, SHALL y", "no system name"),
    ],
)
def test_classify_refusals_give_reasons(text, reason_part):
    result = classify(text)
    assert not result.ok
    assert reason_part in result.reason


def lint(text, glossary=None):
    return [p.code for p in lint_criterion(Criterion("1.1", 1, 1, text, 7), "r.md", glossary)]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("The reports are nice.", "EARS001"),
        ("THE S SHALL respond quickly", "EARS002"),
        ("THE S SHALL be user-friendly", "EARS002"),
        ("THE S SHALL retry as appropriate", "EARS002"),
        ("THE S SHALL accept png, jpg, etc.", "EARS002"),
        ("THE S SHALL be fast and easy", "EARS002"),
        ("THE S SHALL retry where possible", "EARS003"),
        ("THE S SHALL retry if possible", "EARS003"),
        ("THE S SHALL cache as far as possible", "EARS003"),
        ("THE S SHALL not delete input", "EARS004"),
        ("THE S SHALL NOT delete input", "EARS004"),
        ("WHEN ready, it SHALL notify", "EARS005"),
        ("WHEN ready THEN they SHALL notify", "EARS005"),
        ("WHEN ready, this SHALL notify", "EARS005"),
        ("THE S SHALL store it and SHALL mail it", "EARS006"),
    ],
)
def test_each_lint_rule(text, code):
    assert code in lint(text)


def test_lint_rules_do_not_fire_on_a_clean_criterion():
    assert lint("WHEN a user signs in, THE Auth_Service SHALL issue a token within 200 ms") == []
    assert lint("THE S SHALL serve breakfast") == []  # "fast" inside a word is not vague


def test_glossary_check():
    glossary = {"Auth_Service": "x", "Login Form": "y"}
    assert "EARS007" in lint("THE Scheduler SHALL run", glossary)
    assert "EARS007" not in lint("THE Auth_Service SHALL run", glossary)
    assert "EARS007" not in lint("THE auth service SHALL run", glossary)  # case, _ and spaces
    assert "EARS007" not in lint("THE Login_Form SHALL submit", glossary)
    assert "EARS007" not in lint("THE Scheduler SHALL run", None)  # no glossary, no check
    assert "EARS007" not in lint("WHEN x, it SHALL y", glossary)  # pronoun is EARS005's job


def test_lint_problems_carry_file_line_and_criterion():
    problems = lint_criterion(Criterion("4.2", 4, 2, "THE S SHALL NOT stop", 31), "reqs.md")
    assert [(p.file, p.line, p.severity, p.code) for p in problems] == [("reqs.md", 31, "warning", "EARS004")]
    assert "criterion 4.2" in problems[0].message


def test_lint_corpus_every_rule():
    doc = load_requirements(CORPUS / "lint" / "requirements.md")
    assert doc.problems == []
    found = {(p.code, p.line) for p in lint_requirements(doc)}
    expected = {
        ("EARS002", 22),
        ("EARS003", 23),
        ("EARS004", 24),
        ("EARS005", 25),
        ("EARS006", 26),
        ("EARS007", 27),
        ("EARS001", 28),
        ("EARS002", 29),
    }
    assert found == expected
    errors = [p for p in lint_requirements(doc) if p.severity == "error"]
    assert [p.code for p in errors] == ["EARS001"]


def test_every_code_has_a_severity_and_description():
    for code, (severity, description) in CODES.items():
        assert severity in ("error", "warning"), code
        assert description, code
