"""Parser for ``requirements.md`` (Kiro layout).

Expected shape (https://kiro.dev/docs/specs/)::

    # Requirements Document
    ## Introduction
    ...
    ## Glossary                      (optional)
    - **Auth_Service**: the service that ...
    ## Requirements
    ### Requirement 1: Title        (or "### Requirement 1")
    **User Story:** As a ..., I want ..., so that ...
    #### Acceptance Criteria
    1. WHEN ..., THE Auth_Service SHALL ...

Criteria are addressed ``N.M``. The parser never raises on bad content: every problem becomes a
``Problem`` (codes ``REQ001``-``REQ010``) and whatever parsed is returned.
"""

from __future__ import annotations

import re
from pathlib import Path

from . import _md
from .ears import classify
from .models import Criterion, Problem, Requirement, RequirementsDoc

# Kiro writes these headings in the user's language; the Chinese and Japanese forms seen in real
# specs are accepted beside the English ones (需求 1 / 要件 1, 驗收標準, 用戶故事, 介紹, ...).
_REQ_WORDS = r"(?:requirement|需求|要件)"
_AC_WORDS = ("acceptance criteria", "驗收標準", "验收标准", "受入基準", "受け入れ基準", "受入条件")
_INTRO_WORDS = ("introduction", "overview", "summary", "介紹", "介绍", "简介", "簡介", "はじめに", "概要")
_GLOSSARY_WORDS = ("glossary", "terminology", "術語", "术语", "用語集", "用語", "詞彙表", "词汇表")
_REQ_HEADING_RE = re.compile(r"^" + _REQ_WORDS + r"\s*(\d+)\s*(?:[:：.\-\u2013\u2014]\s*)?(.*)$", re.IGNORECASE)
_REQ_WORD_RE = re.compile(r"^(?:requirement\b(?!s)|(?:需求|要件)\s+\S)", re.IGNORECASE)  # a bare "需求" is the section
_STORY_RE = re.compile(
    r"^\s*(?:[-*]\s+)?\*\*(?:User Story|用戶故事|用户故事|ユーザーストーリー)[:：]?\*\*[:：]?\s*(.*)$", re.IGNORECASE
)
_AC_BOLD_RE = re.compile(
    r"^\s*\*\*(?:Acceptance Criteria|驗收標準|验收标准|受入基準|受け入れ基準)[:：]?\*\*[:：]?\s*$", re.IGNORECASE
)
_MARKER_RE = re.compile(r"^\d+[.)]")
_ITEM_RE = re.compile(r"^( {0,3})(\d{1,9})([.)])([ \t]+)(.*)$")
_GLOSSARY_BOLD_RE = re.compile(r"^\s*(?:[-*+]\s+)?\*\*(.+?)\*\*\s*(?::|-|\u2013|\u2014)?\s*:?\s*(.*)$")
_GLOSSARY_TABLE_RE = re.compile(r"^\s*\|(.+?)\|(.*?)\|?\s*$")


def parse_requirements(text: str, path: str | Path = "requirements.md") -> RequirementsDoc:
    """Parse the text of a ``requirements.md``.

    Args:
        text: the document text.
        path: the file name used in the problems.

    Returns:
        The parsed document; ``problems`` lists everything malformed (never raised).
    """
    return _Parser(str(path)).run(_md.parse_lines(text))


def load_requirements(path: Path) -> RequirementsDoc:
    """Read and parse ``path`` (UTF-8; undecodable bytes are replaced and reported as SPEC002)."""
    text, problems = read_text(path)
    doc = parse_requirements(text, path)
    doc.problems[:0] = problems
    return doc


def read_text(path: Path) -> tuple[str, list[Problem]]:
    """Read ``path`` as UTF-8, returning the text and a SPEC002 problem if bytes were invalid.

    Raises:
        OSError: when the file cannot be read at all.
    """
    data = Path(path).read_bytes()
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        problem = Problem(str(path), line, "error", "SPEC002", f"invalid UTF-8 ({exc.reason}); save the file as UTF-8")
        return data.decode("utf-8", errors="replace"), [problem]


class _Parser:
    def __init__(self, path: str) -> None:
        self.path = path
        self.problems: list[Problem] = []
        self.requirements: list[Requirement] = []
        self.numbers: set[int] = set()
        self.glossary: dict[str, str] = {}
        self.intro: list[str] = []
        self.section: str | None = None  # "intro" | "glossary" | "req" | None
        self.req: Requirement | None = None
        self.req_level = 0
        self.in_criteria = False
        self.ac_level = 0  # heading level of "Acceptance Criteria" (0: a bold line or none)
        self.in_story = False
        self.current: Criterion | None = None
        self.item_line = 0  # line of the list item the current criterion starts at
        self.last_term = ""  # the glossary term whose definition may continue on the next line
        self.delim = ""  # "." or ")": the delimiter of the requirement's criteria list
        self.blank_before = False
        self.saw_intro = False

    def problem(self, line: int | None, severity: str, code: str, message: str) -> None:
        self.problems.append(Problem(self.path, line, severity, code, message))  # type: ignore[arg-type]

    def run(self, lines: list[_md.Line]) -> RequirementsDoc:
        for line in lines:
            if line.code:
                # a code block inside a criterion belongs to it: the text after it continues
                self.blank_before = False
                if self.section == "intro":
                    self.intro.append(line.text)
                continue
            if line.skip:
                continue
            if line.heading is not None:
                self.on_heading(line.no, *line.heading)
            else:
                self.on_line(line)
        self.finish_requirement()
        if not self.requirements:
            self.problem(
                None,
                "error",
                "REQ001",
                "no '### Requirement N' headings found; number each requirement as '### Requirement 1: Title'",
            )
        if not self.saw_intro:
            self.problem(None, "warning", "REQ007", "no '## Introduction' section; add one summarising the feature")
        for criterion in (c for r in self.requirements for c in r.criteria):
            criterion.ears = classify(criterion.text)
        return RequirementsDoc(self.path, "\n".join(self.intro).strip(), self.glossary, self.requirements, self.problems)

    def on_heading(self, lineno: int, level: int, text: str) -> None:
        self.current = None
        self.in_story = False
        title = _md.plain(text)
        low = title.lower()
        if self.req is not None and level > self.req_level and any(w in low for w in _AC_WORDS):
            self.in_criteria, self.ac_level = True, level
            return
        if self.req is not None and level > self.req_level:
            # a deeper sub-heading groups criteria ("##### Concept satisfaction"); a sibling
            # heading ("#### Notes") ends them
            self.in_criteria = self.in_criteria and self.ac_level > 0 and level > self.ac_level
            return
        match = _REQ_HEADING_RE.match(title)
        if match or _REQ_WORD_RE.match(title):
            self.finish_requirement()
            self.section = "req"
            if not match:
                self.problem(
                    lineno, "error", "REQ008", f"requirement heading {title!r} has no number; write '### Requirement N: Title'"
                )
                self.req = None
                return
            self.start_requirement(lineno, level, int(match.group(1)), match.group(2).strip())
            return
        self.finish_requirement()
        if low.startswith(_INTRO_WORDS):
            self.section, self.saw_intro = "intro", True
        elif low.startswith(_GLOSSARY_WORDS):
            self.section = "glossary"
        else:
            self.section = None

    def start_requirement(self, lineno: int, level: int, number: int, title: str) -> None:
        if number in self.numbers:
            self.problem(lineno, "error", "REQ003", f"requirement {number} is defined twice; renumber one of them")
        else:
            expected = (self.requirements[-1].number + 1) if self.requirements else 1
            if number != expected:
                self.problem(
                    lineno, "warning", "REQ002", f"requirement {number} follows requirement {expected - 1}; expected {expected}"
                )
        self.numbers.add(number)
        self.req = Requirement(number, title, "", [], lineno)
        self.req_level = level
        self.in_criteria = False
        self.ac_level = 0
        self.delim = ""

    def finish_requirement(self) -> None:
        req = self.req
        if req is None:
            return
        if not req.user_story:
            self.problem(
                req.line,
                "warning",
                "REQ004",
                f"requirement {req.number} has no '**User Story:** As a ..., I want ..., so that ...'",
            )
        if not req.criteria:
            self.problem(
                req.line,
                "error",
                "REQ005",
                f"requirement {req.number} has no numbered acceptance criteria under '#### Acceptance Criteria'",
            )
        self.requirements.append(req)
        self.req = None
        self.in_criteria = False
        self.current = None

    def on_line(self, line: _md.Line) -> None:
        stripped = line.text.strip()
        try:
            if self.section == "intro":
                self.intro.append(line.text)
            elif self.section == "glossary":
                self.glossary_line(stripped, line)
            elif self.req is not None:
                self.requirement_line(line, stripped)
        finally:
            self.blank_before = not stripped

    def glossary_line(self, stripped: str, line: _md.Line) -> None:
        match = _GLOSSARY_BOLD_RE.match(stripped)
        if match:
            self.last_term = match.group(1).strip().rstrip(":")
            self.glossary[self.last_term] = match.group(2).strip()
            return
        if self.last_term and stripped and not line.marker and not self.blank_before:
            # the wrapped rest of a definition ("- **Archiver**: the command that\n  collects ...")
            self.glossary[self.last_term] = f"{self.glossary[self.last_term]} {stripped}".strip()
            return
        self.last_term = ""
        table = _GLOSSARY_TABLE_RE.match(stripped)
        if table:
            term = _md.plain(table.group(1))
            if term and not set(term) <= set("-: ") and term.lower() not in {"term", "name"}:
                self.glossary[term] = table.group(2).strip(" |")

    def requirement_line(self, line: _md.Line, stripped: str) -> None:
        req = self.req
        assert req is not None
        lineno, text = line.no, line.text
        if not stripped:
            self.in_story = False
            return
        story = _STORY_RE.match(text) if "**" in text else None
        if story:
            req.user_story = story.group(1).strip()
            self.in_story = True
            return
        if "**" in text and _AC_BOLD_RE.match(text):
            self.in_criteria, self.in_story, self.ac_level = True, False, 0
            return
        if line.rule:
            self.current, self.in_story = None, False
            return
        if self.in_story and not self.in_criteria:
            req.user_story = f"{req.user_story} {stripped}".strip()
            return
        if not self.in_criteria:
            return
        if line.marker and line.depth == 1:
            if line.number is not None and self.starts_criterion(line):
                self.start_item(line, line.number, line.marker, stripped)
                return
            if line.number is not None:
                self.current.text = f"{self.current.text} {stripped}"  # type: ignore[union-attr]
                return
            self.problem(
                lineno,
                "warning",
                "REQ009",
                f"criterion of requirement {req.number} is a bullet; number it ('1. WHEN ...') so it can be cited as N.M",
            )
            self.add_criterion(lineno, len(req.criteria) + 1, stripped[1:].strip(), check=False)
            self.item_line = lineno
            return
        if line.depth == 0 and self.current is not None and text[:1].isdigit():
            # "2. ..." right after the paragraph that follows a code block at column 0: CommonMark
            # reads it as paragraph text (only "1." may interrupt a paragraph); its author meant
            # the next criterion of the same list
            item = _ITEM_RE.match(text)
            if item and item.group(3) == self.delim:
                self.start_item(line, int(item.group(2)), item.group(3), stripped)
                return
        if self.current is not None and (not self.blank_before or (line.item and line.item == self.item_line)):
            self.current.text = f"{self.current.text} {stripped}"
            return
        if self.current is None:
            return  # prose before the first criterion (of a sub-heading): an introduction
        self.problem(
            lineno,
            "warning",
            "REQ009",
            f"text under the acceptance criteria of requirement {req.number} is not a numbered criterion",
        )

    def starts_criterion(self, line: _md.Line) -> bool:
        """Whether a top-level ordered item starts a criterion rather than continuing the current one.

        CommonMark starts a new list at an item with the other delimiter (``5)`` in a ``1.``
        list), but in a spec such a line right under a criterion's text, not starting at 1, is
        the criterion's wrapped text: ``(2) the\n5) last 50 lines``.
        """
        return self.current is None or not self.delim or line.marker == self.delim or self.blank_before or line.number == 1

    def start_item(self, line: _md.Line, number: int, delim: str, stripped: str) -> None:
        """Start a criterion at an ordered list item (``stripped``: its line without indentation)."""
        self.delim = self.delim or delim
        self.item_line = line.no
        self.add_criterion(line.no, number, _MARKER_RE.sub("", stripped, count=1).strip())

    def add_criterion(self, lineno: int, number: int, text: str, check: bool = True) -> None:
        req = self.req
        assert req is not None
        if check:
            if any(c.number == number for c in req.criteria):
                self.problem(lineno, "error", "REQ010", f"criterion {req.number}.{number} is numbered twice; renumber it")
            else:
                expected = len(req.criteria) + 1
                if number != expected:
                    self.problem(
                        lineno,
                        "warning",
                        "REQ006",
                        f"criterion numbered {number} in requirement {req.number}; expected {expected}",
                    )
        criterion = Criterion(f"{req.number}.{number}", req.number, number, text, lineno)
        req.criteria.append(criterion)
        self.current = criterion
