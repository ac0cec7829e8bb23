"""EARS classification and quality lint of acceptance criteria.

EARS, the Easy Approach to Requirements Syntax, is from A. Mavin, P. Wilkinson, A. Harwood and
M. Novak, "Easy Approach to Requirements Syntax (EARS)", 17th IEEE International Requirements
Engineering Conference (RE'09), 2009, pp. 317-322. Its templates:

* ubiquitous: ``THE <system> SHALL <response>``
* event-driven: ``WHEN <trigger>, THE <system> SHALL <response>``
* state-driven: ``WHILE <state>, THE <system> SHALL <response>``
* unwanted behaviour: ``IF <condition>, THEN THE <system> SHALL <response>``
* optional feature: ``WHERE <feature is included>, THE <system> SHALL <response>``
* complex: several clauses in the order ``WHERE`` -> ``WHILE`` -> ``WHEN``/``IF``.

Kiro's older dialect, ``WHEN <event> THEN <system> SHALL <response>`` (and
``IF <condition> THEN <system> SHALL <response>``), is accepted too and reported with
``dialect="kiro-legacy"``, and so is its verb-final form (``WHEN <event> THEN <response> SHALL``,
as Kiro writes Japanese criteria), which names no system. Keywords are matched case-insensitively at the start of a criterion;
a later clause keyword must be written in capitals (``WHILE x WHEN y``) so that ordinary words
("when", "if") inside a trigger are not mistaken for clauses.

The quality warnings follow common requirement-writing guidance (e.g. the INCOSE Guide for Writing
Requirements): avoid vague terms, escape clauses, negative requirements, pronouns without a
referent and several requirements in one statement.
"""

from __future__ import annotations

import functools
import re

from . import _md
from .models import Criterion, EarsResult, Problem, RequirementsDoc

PATTERN_BY_KEYWORD: dict[str, str] = {
    "WHEN": "event-driven",
    "WHILE": "state-driven",
    "IF": "unwanted",
    "WHERE": "optional-feature",
}
"""Single-clause keyword -> EARS pattern name."""

_RANK = {"WHERE": 0, "WHILE": 1, "WHEN": 2, "IF": 2}

#: Vague words and phrases (EARS002): they cannot be tested; state a measurable value instead.
VAGUE_TERMS: tuple[str, ...] = (
    "quickly",
    "fast",
    "slow",
    "slowly",
    "easy",
    "easily",
    "user-friendly",
    "user friendly",
    "as appropriate",
    "appropriate",
    "etc",
    "flexible",
    "efficient",
    "efficiently",
    "adequate",
    "adequately",
    "reasonable",
    "reasonably",
    "intuitive",
    "robust",
    "seamless",
    "seamlessly",
    "sufficient",
    "timely",
    "simple",
    "normally",
    "typically",
)

#: Fixed technical phrases holding a vague word that are not vague ("fast path"): not EARS002.
TECHNICAL_PHRASES: tuple[str, ...] = (
    "fast path",
    "slow path",
    "fail fast",
    "fail-fast",
    "fast-forward",
    "fast forward",
    "simple mode",
    "slow query log",
    "slow log",
)

#: Escape clauses (EARS003): they make the requirement optional in practice.
ESCAPE_CLAUSES: tuple[str, ...] = (
    "where possible",
    "if possible",
    "as far as possible",
    "as much as possible",
    "to the extent possible",
    "where applicable",
    "if applicable",
    "where practical",
    "if practical",
    "if necessary",
    "if needed",
    "as needed",
    "as required",
)

#: Subjects that are pronouns (EARS005): the criterion must name the system.
PRONOUNS: frozenset[str] = frozenset({"it", "they", "this", "that", "these", "those", "he", "she", "we"})


class _PhraseFinder:
    """Find listed words and phrases as whole words, case-insensitively.

    Cheaper than one large alternation regex: a set intersection with the criterion's words (and
    the first word of each phrase, whose other words must occur in the text) selects the few terms
    worth locating with their own pattern.
    """

    def __init__(self, terms: tuple[str, ...]) -> None:
        self.patterns = {
            t.lower(): re.compile(r"(?<![\w-])" + re.escape(t.lower()).replace(r"\ ", r"\s+") + r"(?![\w-])") for t in terms
        }
        self.words = frozenset(t for t in self.patterns if " " not in t)
        self.phrases = tuple((t, t.split(" ", 1)[0], tuple(t.split(" ")[1:])) for t in self.patterns if " " in t)

    def find(self, low: str, words: set[str]) -> list[str]:
        """Return the terms in ``low`` (lower-cased text whose words are ``words``), by position.

        ``words`` must be the words of ``low`` split at whitespace and ``_PUNCTUATION`` (as
        ``lint_criterion`` makes them), so that a word in ``words`` matches its pattern. A word inside a longer phrase found
        (``appropriate`` in ``as appropriate``) is not repeated.
        """
        # A phrase is there only if its other words are in the text too (``if possible`` needs
        # ``possible``): a substring test, as cheap as it is safe, skips most patterns.
        candidates = [p for p, first, rest in self.phrases if first in words and all(w in low for w in rest)]
        candidates += self.words.intersection(words)
        if not candidates:
            return []
        if len(candidates) == 1 and " " not in candidates[0]:
            return candidates  # a single word that is one of the words: found, nothing to order
        found: list[tuple[int, int, str]] = []
        for term in candidates:
            found.extend((m.start(), -len(term), term) for m in self.patterns[term].finditer(low))
        found.sort()
        out: dict[str, None] = {}
        end = -1
        for start, neg_len, term in found:
            if start >= end:
                out.setdefault(term, None)
                end = start - neg_len
        return list(out)


_SHALL_RE = re.compile(r"\bSHALL\b", re.IGNORECASE)
_NEGATIVE_RE = re.compile(r"\bSHALL\s+(?:NOT|NEVER)\b", re.IGNORECASE)
_LEAD_RE = re.compile(r"^(WHERE|WHILE|WHEN|IF)\b", re.IGNORECASE)
_CLAUSE_RE = re.compile(r"(?:,\s*|\s+)(?:(?:and|AND)\s+)?\b(WHERE|WHILE|WHEN|IF)\b")
_THEN_RE = re.compile(r"(,?)\s*\bTHEN\b\s*", re.IGNORECASE)
_SPACE_RE = re.compile(r"\s+")
_PAREN_RE = re.compile(r"\([^()]*\)")
_PUNCTUATION = str.maketrans({c: " " for c in ".,;:!?()[]{}<>\"'/`*=+|"})
_THE_RE = re.compile(r"^the\s+", re.IGNORECASE)
_VAGUE = _PhraseFinder(VAGUE_TERMS)
_LINK_TARGET_RE = re.compile(r"\b[a-z][a-z0-9+.-]*://\S+", re.IGNORECASE)
_PATH_RE = re.compile(r"(?<!\S)[~.]?[\w.-]*/\S*")
_TECHNICAL_RE = re.compile(r"\b(?:" + "|".join(re.escape(p) for p in TECHNICAL_PHRASES) + r")\b", re.IGNORECASE)


def prose_only(text: str) -> str:
    """Return ``text`` with the parts wording lint must not read blanked out.

    Inline code spans, inline HTML and link targets (from markdown-it-py's inline tokens,
    ``_md.prose``), bare URLs, file-system paths (any token
    holding a ``/``, e.g. ``/etc/hosts`` or ``src/fast.py``) and ``TECHNICAL_PHRASES`` become
    spaces.
    """
    text = _md.prose(text)
    if "/" in text:
        text = _LINK_TARGET_RE.sub(" ", text)
        text = _PATH_RE.sub(" ", text)
    low = text.lower()
    if "fast" in low or "slow" in low or "simple" in low:
        text = _TECHNICAL_RE.sub(" ", text)
    return text


_ESCAPES = _PhraseFinder(ESCAPE_CLAUSES)


def _normalise(text: str) -> str:
    if "*" in text or "`" in text:
        text = text.replace("**", "").replace("`", "")
    if "  " in text or "\t" in text or "\n" in text or "\r" in text:
        text = _SPACE_RE.sub(" ", text)
    text = text.strip()
    return text[:-1].rstrip() if text.endswith(".") else text


def _fail(reason: str, system: str | None = None, response: str = "") -> EarsResult:
    return EarsResult(pattern=None, system=system, response=response, reason=reason)


def classify(text: str) -> EarsResult:
    """Classify one criterion against the EARS templates.

    Args:
        text: the criterion text (Markdown emphasis and a final period are ignored).

    Returns:
        An ``EarsResult``; ``pattern`` is ``None`` and ``reason`` explains why when no template
        matched.
    """
    t = _normalise(text)
    shall = _SHALL_RE.search(t)
    if shall is None:
        return _fail("no SHALL: write '<condition>, THE <system> SHALL <response>'")
    pre = t[: shall.start()].rstrip()
    response = t[shall.end() :].strip()
    lead = _LEAD_RE.match(pre)
    if not response and lead is not None and "then" in pre.lower():
        verb_final = _verb_final(pre, lead)
        if verb_final is not None:
            return verb_final
    if not response:
        return _fail("nothing after SHALL: state the system's response")
    if lead is None:
        return _ubiquitous(pre, response)

    # THEN separates condition and system only when no comma follows it ("and then closes, THE")
    thens = [m for m in _THEN_RE.finditer(pre) if "," not in pre[m.end() :]] if "then" in pre.lower() else []
    if thens:
        then = thens[-1]
        condition, subject = pre[: then.start()], pre[then.end() :].strip()
        legacy = not (then.group(1) and subject.startswith("THE ") and lead.group(1).upper() == "IF")
        dialect = "kiro-legacy" if legacy else "ears"
    else:
        comma = pre.rfind(",")
        if comma < 0:
            return _fail(
                "no comma or THEN between the condition and the system name: write "
                "'WHEN <trigger>, THE <system> SHALL ...' or 'WHEN <trigger> THEN <system> SHALL ...'",
                response=response,
            )
        condition, subject = pre[:comma], pre[comma + 1 :].strip()
        dialect = "ears"
    if not subject:
        return _fail("no system name before SHALL", response=response)
    if _LEAD_RE.match(subject):
        return _fail(
            f"clause {subject.split()[0].upper()!r} sits where the system name belongs: "
            "separate each clause with a comma and end with ', THE <system> SHALL'",
            response=response,
        )

    clauses = _split_clauses(condition, lead)
    for keyword, clause_text in clauses:
        if not clause_text:
            return _fail(f"empty condition after {keyword}", system=subject, response=response)
    keywords = [k for k, _ in clauses]
    ranks = [_RANK[k] for k in keywords]
    if ranks != sorted(ranks) or len(set(ranks)) != len(ranks):
        return _fail(
            f"clauses in the order {' -> '.join(keywords)}: a complex requirement uses each at most "
            "once, in the order WHERE -> WHILE -> WHEN/IF",
            system=subject,
            response=response,
        )
    pattern = PATTERN_BY_KEYWORD[keywords[0]] if len(keywords) == 1 else "complex"
    return EarsResult(pattern, dialect, subject, clauses, response)


def _verb_final(pre: str, lead: re.Match[str]) -> EarsResult | None:
    """Classify ``WHEN <trigger> THEN <response> SHALL``: Kiro's legacy dialect in a verb-final language.

    Kiro writes Japanese criteria with SHALL last (``WHEN ユーザーが... THEN ...表示される SHALL``): the
    response sits between THEN and SHALL and names no system. Returns ``None`` when the clauses
    do not parse.
    """
    thens = list(_THEN_RE.finditer(pre))
    if not thens:
        return None
    then = thens[-1]
    condition, response = pre[: then.start()], pre[then.end() :].strip()
    clauses = _split_clauses(condition, lead)
    if not response or any(not text for _, text in clauses):
        return None
    ranks = [_RANK[k] for k, _ in clauses]
    if ranks != sorted(ranks) or len(set(ranks)) != len(ranks):
        return None
    pattern = PATTERN_BY_KEYWORD[clauses[0][0]] if len(clauses) == 1 else "complex"
    return EarsResult(pattern, "kiro-legacy", None, clauses, response)


def _ubiquitous(pre: str, response: str) -> EarsResult:
    subject = pre.strip()
    if not subject:
        return _fail("no system name before SHALL", response=response)
    words = subject.split()
    if "," in subject or not (words[0].lower() == "the" or len(words) == 1):
        return _fail(
            f"text before SHALL ({subject!r}) is neither 'THE <system>' nor an EARS clause: "
            "start with THE <system>, WHEN, WHILE, IF or WHERE",
            response=response,
        )
    return EarsResult("ubiquitous", "ears", subject, [], response)


def _split_clauses(condition: str, lead: re.Match[str]) -> list[tuple[str, str]]:
    """Split ``WHERE a, WHILE b, WHEN c`` into keyword/text pairs (later keywords in capitals)."""
    clauses: list[tuple[str, str]] = []
    keyword, start = lead.group(1).upper(), lead.end()
    for match in _CLAUSE_RE.finditer(condition, lead.end()):
        clauses.append((keyword, condition[start : match.start()].strip(" ,")))
        keyword, start = match.group(1), match.end()
    clauses.append((keyword, condition[start:].strip(" ,")))
    return clauses


@functools.lru_cache(maxsize=4096)
def _term(name: str) -> str:
    name = _THE_RE.sub("", name.strip())
    return _SPACE_RE.sub(" ", name.replace("_", " ").replace("-", " ")).strip().lower()


def lint_criterion(
    criterion: Criterion,
    file: str,
    glossary: dict[str, str] | None = None,
    _terms: frozenset[str] | None = None,
) -> list[Problem]:
    """Return the EARS problems of one criterion (classifying it first if needed).

    Args:
        criterion: the criterion; its ``ears`` field is filled when empty.
        file: the requirements file path, for the problems.
        glossary: glossary terms; when non-empty, the system name must be one of them (EARS007).

    Returns:
        Problems with codes ``EARS001``-``EARS007``, in that order.
    """
    if criterion.ears is None:
        criterion.ears = classify(criterion.text)
    ears, text, cid = criterion.ears, criterion.text, criterion.id
    out: list[Problem] = []

    def add(code: str, severity: str, message: str) -> None:
        out.append(Problem(file, criterion.line, severity, code, f"criterion {cid}: {message}"))  # type: ignore[arg-type]

    if not ears.ok:
        add("EARS001", "error", f"matches no EARS template: {ears.reason}")
    low = prose_only(text).lower()
    words = set(low.translate(_PUNCTUATION).split())
    vague = _VAGUE.find(low, words)
    if vague:
        # a reason (", so that <why>") and a parenthesised aside ("(fast, always active)") are
        # not what is required, so their wording is not held to a measurable value
        head = low[: low.find("so that")] if "so that" in low[1:] else low
        head = _PAREN_RE.sub(" ", head) if "(" in head else head
        if head is not low:
            vague = _VAGUE.find(head, set(head.translate(_PUNCTUATION).split()))
    if vague:
        add("EARS002", "warning", f"vague wording {', '.join(map(repr, vague))}: state a measurable value")
    escapes = _ESCAPES.find(low, words)
    if escapes:
        add(
            "EARS003",
            "warning",
            f"escape clause {', '.join(map(repr, escapes))} makes it optional: remove it or state the exact condition",
        )
    if ("not" in low or "never" in low) and _NEGATIVE_RE.search(text):
        add("EARS004", "warning", "negative requirement (SHALL NOT): state what the system does instead")
    subject = ears.system or (text.split()[0] if text.split() else "")
    if subject.strip().lower() in PRONOUNS:
        add("EARS005", "warning", f"the system is the pronoun {subject.strip()!r}: name the system")
    shalls = len(_SHALL_RE.findall(text)) if low.count("shall") > 1 else 1
    if shalls > 1:
        add("EARS006", "warning", f"holds {shalls} requirements (SHALL appears {shalls} times): split it into separate criteria")
    if glossary and ears.system and ears.system.strip().lower() not in PRONOUNS:
        terms = _terms if _terms is not None else glossary_terms(glossary)
        if _term(ears.system) not in terms:
            add(
                "EARS007",
                "warning",
                f"system {ears.system!r} is not defined in the Glossary: add it there or use a defined term",
            )
    return out


def glossary_terms(glossary: dict[str, str]) -> frozenset[str]:
    """Return the glossary's terms normalised for comparison (no leading "the", ``_``/``-`` as spaces, lower case)."""
    return frozenset(_term(t) for t in glossary)


def lint_requirements(doc: RequirementsDoc) -> list[Problem]:
    """Return the EARS problems of every criterion of ``doc`` (the Glossary is used when present).

    ``EARS007`` (system name not in the Glossary) is reported once per document, at the first
    criterion concerned, with the names and how many criteria use each: a document that writes
    "THE system" everywhere gets one warning, not one per criterion.

    Args:
        doc: a parsed requirements document.
    """
    problems: list[Problem] = []
    undefined: dict[str, list[Criterion]] = {}
    first: int | None = None  # index of the first EARS007 problem in ``problems``
    terms = glossary_terms(doc.glossary)
    for criterion in doc.criteria():
        for problem in lint_criterion(criterion, doc.path, doc.glossary, terms):
            if problem.code != "EARS007":
                problems.append(problem)
                continue
            assert criterion.ears is not None and criterion.ears.system is not None
            undefined.setdefault(_term(criterion.ears.system), []).append(criterion)
            if first is None:
                first = len(problems)
                problems.append(problem)
    if first is not None and (len(undefined) > 1 or len(next(iter(undefined.values()))) > 1):
        count = sum(len(c) for c in undefined.values())
        names = ", ".join(
            f"{crits[0].ears.system.strip()!r} ({len(crits)} criteri{'on' if len(crits) == 1 else 'a'}, first {crits[0].id})"  # type: ignore[union-attr]
            for crits in undefined.values()
        )
        old = problems[first]
        problems[first] = Problem(
            old.file,
            old.line,
            old.severity,
            old.code,
            f"{count} criteria name a system not defined in the Glossary: {names}; add them there or use defined terms",
        )
    return problems
