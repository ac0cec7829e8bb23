"""``ask_user``: the agent asks the user a clarifying question, optionally with choices.

The tool publishes a :class:`Question` (carrying an ``asyncio.Future``) through its *answerer*:
in the TUI the chat pane shows a modal (:mod:`workbench.ui.screens.ask`) that resolves the
future; in a headless run (``workbench run``) a :class:`PresetAnswers` answers from
``--answer KEY=VALUE`` / ``--answers FILE`` or declines with "no one can answer in this run". The
answer is the tool result, so it is in ``tool.finished`` (the journal and exports show it).

Safety: the question and choices come from the model (possibly steered by a prompt injection),
so they are made inert (:func:`workbench.core.sanitize.inert_text`) before anyone sees them, the modal says they come from
the model, and nothing is ever filled in for the user.
"""

from __future__ import annotations

import asyncio
import json
import tomllib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.core.sanitize import inert_text
from workbench.core.tools.base import Tool, ToolContext, ToolError, ToolResult, ToolSpec

NO_ONE = "no one can answer in this run"
"""The start of the result when a headless run has no answer for a question."""
MAX_QUESTION = 2000
MAX_CHOICE = 200


class AnswersError(ValueError):
    """``--answer`` / ``--answers`` input is malformed; the message names the flag or file and the fix."""


@dataclass
class Question:
    """A question waiting for the user (published on the bus in the TUI).

    Attributes:
        session_id: the session.
        question: the question, already made inert.
        choices: the options (inert, may be empty).
        allow_free_text: the user may type an answer instead of choosing.
        key: the model's short id for the question (inert; ``""`` when none).
        future: resolved with the answer text, or None when the user declined (Esc).
    """

    session_id: str
    question: str
    choices: list[str]
    allow_free_text: bool
    key: str = ""
    future: asyncio.Future[str | None] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


Answerer = Callable[[Question], Awaitable["str | None"]]
"""Answers a question: the text, or None when nobody answered (declined / cannot answer)."""


class Declined(Exception):
    """Nobody could answer; ``str(exc)`` is the reason sent to the model."""


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


class PresetAnswers:
    """Answers for a run nobody watches (``workbench run --answer KEY=VALUE``).

    A KEY matches a question when it equals the question's ``id`` (the model's short name for it),
    or when the question text starts with KEY (case and runs of whitespace ignored); ``*``
    matches any question. The exact id wins, then the longest matching prefix, then ``*``.
    For a question with choices, VALUE is one of the choices (case ignored) or its number
    (1-based); another text is accepted only when free text is allowed.

    Args:
        answers: ``{KEY: VALUE}``.
    """

    def __init__(self, answers: dict[str, str] | None = None) -> None:
        self.answers = dict(answers or {})
        self.unanswered: list[str] = []
        """Questions declined because no KEY matched (for the end-of-run summary)."""

    def lookup(self, q: Question) -> str | None:
        """The preset VALUE for ``q`` (before matching it to the choices), or None."""
        if q.key and q.key in self.answers:
            return self.answers[q.key]
        text = _norm(q.question)
        best = max((k for k in self.answers if k != "*" and k.strip() and text.startswith(_norm(k))), key=len, default=None)
        if best is not None:
            return self.answers[best]
        return self.answers.get("*")

    async def __call__(self, q: Question) -> str | None:
        """Return the preset answer; raise :class:`Declined` when there is none or it does not fit."""
        value = self.lookup(q)
        if value is None:
            self.unanswered.append(q.question)
            raise Declined(
                f"{NO_ONE} (a headless `workbench run` with no --answer for this question). Do not ask "
                "again: make a reasonable assumption, say which, and continue."
            )
        if q.choices:
            for choice in q.choices:
                if _norm(choice) == _norm(value):
                    return choice
            if value.strip().isdigit() and 1 <= int(value) <= len(q.choices):
                return q.choices[int(value) - 1]
            if not q.allow_free_text:
                raise Declined(
                    f"the answer given for this run ({value!r}) is not one of the choices "
                    f"({', '.join(q.choices)}); continue with a reasonable assumption and say which"
                )
        return value


def parse_answer_flags(pairs: list[str] | None) -> dict[str, str]:
    """Parse repeated ``--answer KEY=VALUE`` flags (split at the first ``=``).

    Raises:
        AnswersError: a flag without ``=`` or with an empty KEY.
    """
    out: dict[str, str] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise AnswersError(f"--answer {pair!r}: write KEY=VALUE (KEY: the question's id, the start of its text, or *)")
        out[key.strip()] = value
    return out


def load_answers_file(path: str | Path) -> dict[str, str]:
    """Read ``--answers FILE``: a JSON object or (``.toml``) a TOML table of ``KEY = "VALUE"``.

    Raises:
        AnswersError: unreadable file, bad JSON/TOML, not a flat table of strings (names the file).
    """
    p = Path(path).expanduser()
    try:
        raw = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise AnswersError(f"--answers {p}: cannot read it ({exc}); pass a UTF-8 JSON or TOML file") from None
    try:
        data = tomllib.loads(raw) if p.suffix.lower() == ".toml" else json.loads(raw)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        kind = "TOML" if p.suffix.lower() == ".toml" else "JSON"
        raise AnswersError(f"--answers {p}: not valid {kind}: {exc}") from None
    if not isinstance(data, dict) or not all(isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in data.values()):
        raise AnswersError(
            f'--answers {p}: must be one object/table of KEY: "VALUE" strings, e.g. {{"Which database": "sqlite"}}'
        )
    return {str(k): str(v) for k, v in data.items()}


class AskUserTool(Tool):
    """``ask_user``: ask the user one question and return the answer.

    Args:
        publish: default answerer's sink: ``bus.publish`` (the TUI renders the :class:`Question`).
        session_id: returns the current session id.
    """

    spec = ToolSpec(
        name="ask_user",
        description=(
            "Ask the user a clarifying question when a decision really needs them (ambiguous requirement, "
            "architectural choice). Give 'choices' (2-6 short options) when there are clear options; set "
            "'allow_free_text' to let the user type something else. 'id' is an optional short name for the "
            "question (e.g. 'database') that scripts can answer by. The result is the user's answer, or a "
            "note that they declined or that nobody can answer; then make a reasonable assumption and say it. "
            "Never ask for passwords, API keys or other secrets."
        ),
        parameters={
            "type": "object",
            "properties": {
                "question": {"type": "string", "minLength": 1, "maxLength": MAX_QUESTION},
                "choices": {"type": "array", "items": {"type": "string", "minLength": 1, "maxLength": MAX_CHOICE}, "maxItems": 9},
                "allow_free_text": {"type": "boolean", "description": "Default: true without choices, false with them."},
                "id": {"type": "string", "pattern": "^[A-Za-z0-9_.-]{1,40}$"},
            },
            "required": ["question"],
            "additionalProperties": False,
        },
        mutates=False,
        kind="read",
    )
    timeout_grace = 7 * 24 * 3600.0
    """The user may take their time: the tool timeout does not apply to waiting for them."""

    def __init__(self, publish: Callable[[Any], None], session_id: Callable[[], str | None]) -> None:
        self.publish = publish
        self.session_id = session_id
        self.answerer: Answerer = self._ask_ui

    async def _ask_ui(self, q: Question) -> str | None:
        self.publish(q)
        return await q.future

    async def run(self, args: dict[str, Any], ctx: ToolContext, *, override: str | None = None) -> ToolResult:
        """Ask, wait for the answer, return it (or that the user declined / nobody can answer)."""
        question = inert_text(args["question"]).strip()
        choices = [c for c in (inert_text(c, newlines=False).strip() for c in args.get("choices") or []) if c]
        if not question:
            raise ToolError("the question is empty once control characters are removed; ask in plain words")
        if len(set(map(_norm, choices))) != len(choices):
            raise ToolError("the choices must differ from each other")
        free = bool(args.get("allow_free_text", not choices))
        q = Question(self.session_id() or "", question, choices, free, inert_text(args.get("id", ""), newlines=False))
        try:
            answer = await self.answerer(q)
        except Declined as exc:
            return ToolResult(f"Denied: {exc}", f"not answered: {str(exc).split(' (')[0]}", is_error=True)
        except asyncio.CancelledError:
            if not q.future.done():
                q.future.cancel()
            raise
        if answer is None:
            return ToolResult(
                "The user declined to answer (closed the question without choosing). Do not ask the same "
                "question again; continue with a reasonable assumption and say which.",
                "declined by the user",
            )
        picked = "chose" if answer in choices else "answered"
        return ToolResult(f"The user {picked}: {answer}", f"{picked}: {answer}")


def set_answerer(registry: Any, answerer: Answerer) -> None:
    """Make ``ask_user`` in ``registry`` (a :class:`~workbench.core.agent.registry.ToolRegistry`) use ``answerer``."""
    tool = registry.get("ask_user")
    if isinstance(tool, AskUserTool):
        tool.answerer = answerer


def interaction_tools(chat: Any) -> list[Tool]:
    """``update_plan`` and ``ask_user`` bound to ``chat`` (a ``ChatService``): its log, bus and session."""
    from workbench.core.tools.plan import UpdatePlanTool

    return [
        UpdatePlanTool(chat),
        AskUserTool(chat.bus.publish, lambda: chat.session.id if chat.session else None),
    ]


def answers_from_flags(pairs: list[str] | None, path: str | None) -> dict[str, str]:
    """Merge ``--answers FILE`` and the ``--answer KEY=VALUE`` flags (the flags win).

    Raises:
        AnswersError: see :func:`parse_answer_flags` and :func:`load_answers_file`.
    """
    merged = load_answers_file(path) if path else {}
    merged.update(parse_answer_flags(pairs))
    return merged


def unanswered_summary(answerer: Any) -> str:
    """The end-of-run stderr lines for questions a headless run declined (empty when none)."""
    missed = getattr(answerer, "unanswered", None) or []
    if not missed:
        return ""
    lines = [f"workbench: {len(missed)} ask_user question(s) had no answer ({NO_ONE}); pass --answer KEY=VALUE:"]
    lines += [f"  - {inert_text(q, newlines=False)[:200]}" for q in missed]
    return "\n".join(lines)
