"""update_plan and ask_user in the core: validation, the inert-text helper, preset answers."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from workbench.core.sanitize import inert_text
from workbench.core.tools.ask import (
    NO_ONE,
    AnswersError,
    AskUserTool,
    Declined,
    PresetAnswers,
    Question,
    answers_from_flags,
)
from workbench.core.tools.base import ToolContext, ToolError, validate_arguments
from workbench.core.tools.plan import UpdatePlanTool, check_plan, markdown, progress

ATTACK = "Paste\x1b[2J\x1b[31m your \u202eyek IPA\u202c\x1b]8;;http://evil\x07key\x1b]8;;\x07\u200b here\x07\x9b1m\x00"


def test_inert_text_removes_escapes_bidi_and_invisible_characters() -> None:
    clean = inert_text(ATTACK)
    assert clean == "Paste your yek IPAkey here"
    for bad in ("\x1b", "\u202e", "\u202c", "\u200b", "\x07", "\x9b", "\x00"):
        assert bad not in clean
    assert inert_text("a\nb\tc") == "a\nb\tc"
    assert inert_text("a\nb", newlines=False) == "a b"
    assert inert_text("x" * 50, limit=10) == "x" * 9 + "…"
    assert inert_text("naïve 日本 ✓") == "naïve 日本 ✓"  # visible text is untouched


def test_check_plan_accepts_a_list_and_cleans_texts() -> None:
    items = check_plan(
        [
            {"text": " read\x1b[31m code ", "status": "done"},
            {"text": "fix", "status": "in_progress"},
            {"text": "test", "status": "pending"},
        ]
    )
    assert items == [
        {"text": "read code", "status": "done"},
        {"text": "fix", "status": "in_progress"},
        {"text": "test", "status": "pending"},
    ]
    assert progress(items) == "plan 1/3"
    assert markdown(items) == ["- [x] read code", "- [ ] **fix** (in progress)", "- [ ] test"]
    assert progress([]) == ""


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ([{"text": "a", "status": "in_progress"}, {"text": "b", "status": "in_progress"}], "only one item may be in_progress"),
        ([{"text": "\x1b[0m", "status": "pending"}], "item 1 has an empty text"),
        ([{"text": "a", "status": "started"}], "use one of pending, in_progress, done"),
        ("a list", "items must be a list"),
    ],
)
def test_check_plan_refuses_bad_input_with_a_clear_error(items, message) -> None:
    with pytest.raises(ToolError, match=message):
        check_plan(items)


def test_plan_schema_errors_name_the_field() -> None:
    with pytest.raises(ToolError, match=r"'items/0/status'.*is not one of"):
        validate_arguments(UpdatePlanTool.spec, json.dumps({"items": [{"text": "a", "status": "doing"}]}))


def _q(question: str, choices=(), free=None, key: str = "") -> Question:
    return Question("s1", question, list(choices), bool(free if free is not None else not choices), key)


async def test_preset_answers_match_by_id_then_longest_prefix_then_star() -> None:
    answers = PresetAnswers({"db": "postgres", "Which": "generic", "which   DATABASE": "sqlite", "*": "whatever"})
    assert await answers(_q("Which database should I use?", key="db")) == "postgres"
    assert await answers(_q("Which database should I use?")) == "sqlite"
    assert await answers(_q("Which port?")) == "generic"
    assert await answers(_q("Name the module")) == "whatever"


async def test_preset_answers_pick_choices_by_text_or_number_and_decline_others() -> None:
    answers = PresetAnswers({"pick": "B", "num": "3", "other": "D"})
    assert await answers(_q("pick one", ["a", "b", "c"])) == "b"
    assert await answers(_q("num?", ["a", "b", "c"])) == "c"
    with pytest.raises(Declined, match="not one of the choices"):
        await answers(_q("other?", ["a", "b"]))
    assert await answers(_q("other?", ["a", "b"], free=True)) == "D"
    with pytest.raises(Declined, match=NO_ONE):
        await PresetAnswers({})(_q("anything?"))


def test_answers_from_flags_and_files(tmp_path: Path) -> None:
    js = tmp_path / "a.json"
    js.write_text(json.dumps({"db": "sqlite", "Which port": 8080}))
    toml = tmp_path / "a.toml"
    toml.write_text('db = "postgres"\n"Which port" = "80"\n')
    assert answers_from_flags(["db=mysql=8"], str(js)) == {"db": "mysql=8", "Which port": "8080"}
    assert answers_from_flags(None, str(toml)) == {"db": "postgres", "Which port": "80"}
    with pytest.raises(AnswersError, match="KEY=VALUE"):
        answers_from_flags(["novalue"], None)
    bad = tmp_path / "bad.json"
    bad.write_text("{nope")
    with pytest.raises(AnswersError, match=r"bad\.json: not valid JSON"):
        answers_from_flags(None, str(bad))
    nested = tmp_path / "n.json"
    nested.write_text('{"a": {"b": 1}}')
    with pytest.raises(AnswersError, match="KEY"):
        answers_from_flags(None, str(nested))
    with pytest.raises(AnswersError, match="cannot read"):
        answers_from_flags(None, str(tmp_path / "missing.json"))


async def test_ask_user_tool_sends_an_inert_question_and_returns_the_answer(tmp_path: Path) -> None:
    seen: list[Question] = []

    async def answerer(q: Question) -> str | None:
        seen.append(q)
        return q.choices[1]

    tool = AskUserTool(lambda _q: None, lambda: "s1")
    tool.answerer = answerer
    result = await tool.run({"question": ATTACK, "choices": ["\u202eone", "two\x1b[5m"]}, ToolContext(tmp_path))
    assert seen[0].question == "Paste your yek IPAkey here" and seen[0].choices == ["one", "two"]
    assert result.content == "The user chose: two" and not result.is_error


async def test_ask_user_tool_reports_a_decline_and_a_headless_denial(tmp_path: Path) -> None:
    tool = AskUserTool(lambda _q: None, lambda: "s1")

    async def nobody(_q: Question) -> None:
        return None

    tool.answerer = nobody
    result = await tool.run({"question": "ok?"}, ToolContext(tmp_path))
    assert "declined" in result.content and result.summary == "declined by the user"
    tool.answerer = PresetAnswers({})
    result = await tool.run({"question": "ok?"}, ToolContext(tmp_path))
    assert result.is_error and NO_ONE in result.content


async def test_ask_user_default_answerer_publishes_and_waits(tmp_path: Path) -> None:
    published: list[Question] = []
    tool = AskUserTool(published.append, lambda: "s1")
    task = asyncio.ensure_future(tool.run({"question": "name?"}, ToolContext(tmp_path)))
    for _ in range(100):
        if published:
            break
        await asyncio.sleep(0)
    published[0].future.set_result("Ada")
    assert (await task).content == "The user answered: Ada"


def test_permission_rules_match_the_tools_by_name() -> None:
    from workbench.core.tools.permissions import PermissionMode, PermissionRules, decide

    rules = PermissionRules.parse([], [], ["ask_user", "update_plan"])
    for spec in (AskUserTool.spec, UpdatePlanTool.spec):
        assert decide(spec, [], PermissionMode.parse("full-auto"), PermissionRules.parse()).action == "allow"
        assert decide(spec, [], PermissionMode.parse("ask"), rules).action == "deny"
