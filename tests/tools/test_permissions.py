"""Permission modes, rule parsing and decisions (table-driven)."""

from __future__ import annotations

import pytest

from workbench.core.tools.base import ToolSpec
from workbench.core.tools.permissions import (
    PermissionMode,
    PermissionRuleError,
    PermissionRules,
    decide,
    parse_rule,
    rule_for,
    target_of,
    targets_of,
)

_SCHEMA = {"type": "object"}
READ = ToolSpec("read_file", "", _SCHEMA, mutates=False, kind="read")
WRITE = ToolSpec("write_file", "", _SCHEMA, mutates=True, kind="write")
EDIT = ToolSpec("edit_file", "", _SCHEMA, mutates=True, kind="write")
MOVE = ToolSpec("move_file", "", _SCHEMA, mutates=True, kind="write")
CMD = ToolSpec("run_command", "", _SCHEMA, mutates=True, kind="command")
MCP = ToolSpec("mcp__server__tool", "", _SCHEMA, mutates=True, kind="command")

ASK, AUTO, FULL, RO = (PermissionMode(m) for m in ("ask", "auto-edit", "full-auto", "read-only"))
NO_RULES = PermissionRules()

# (tool, target, mode) -> action, with no rules configured
MODE_TABLE = [
    (READ, "src/a.py", ASK, "allow"),
    (READ, "src/a.py", AUTO, "allow"),
    (READ, "src/a.py", FULL, "allow"),
    (READ, "src/a.py", RO, "allow"),
    (READ, ".git/config", FULL, "allow"),  # protection is about changes
    (WRITE, "src/a.py", ASK, "ask"),
    (WRITE, "src/a.py", AUTO, "allow"),
    (WRITE, "src/a.py", FULL, "allow"),
    (WRITE, "src/a.py", RO, "deny"),
    (CMD, "pytest -q", ASK, "ask"),
    (CMD, "pytest -q", AUTO, "ask"),
    (CMD, "pytest -q", FULL, "allow"),
    (CMD, "pytest -q", RO, "deny"),
    (MCP, None, ASK, "ask"),
    (MCP, None, AUTO, "ask"),
    (MCP, None, FULL, "allow"),
    (MCP, None, RO, "deny"),
    # protected paths ask in every mode that allows changes, even full-auto
    (WRITE, ".git/config", FULL, "ask"),
    (EDIT, "AGENTS.md", AUTO, "ask"),
    (EDIT, "agents.md", FULL, "ask"),
    (WRITE, ".workbench/config.toml", FULL, "ask"),
    (WRITE, ".MCP.json", FULL, "ask"),
    (WRITE, "sub/.git/hooks/post-checkout", FULL, "ask"),
    (WRITE, ".git/config", RO, "deny"),
]


@pytest.mark.parametrize(("tool", "target", "mode", "action"), MODE_TABLE)
def test_mode_defaults(tool: ToolSpec, target: str | None, mode: PermissionMode, action: str) -> None:
    decision = decide(tool, target, mode, NO_RULES)
    assert decision.action == action, decision.reason
    assert decision.protected == (
        action == "ask"
        and target is not None
        and tool.kind == "write"
        and ("git" in target.lower() or target.lower() in {"agents.md", ".workbench/config.toml", ".mcp.json"})
    )


RULES = PermissionRules.parse(
    allow=["edit_file:src/**", "run_command:pytest*", "write_file:**", "mcp__server__tool", "edit_file:AGENTS.md"],
    ask=["edit_file:src/secret/**", "write_file:docs/*.md"],
    deny=["write_file:**/*.pem", "edit_file:src/secret/keys.py", "read_file:**/.env", "run_command:rm *"],
)

# (tool, target, mode, session rules) -> (action, reason fragment)
RULE_TABLE = [
    (EDIT, "src/a/b.py", ASK, [], "allow", "allowed by rule 'edit_file:src/**'"),
    (EDIT, "src", ASK, [], "allow", "edit_file:src/**"),
    (EDIT, "srcx/a.py", ASK, [], "ask", "ask mode"),
    (EDIT, "src/secret/x.py", FULL, [], "ask", "rule 'edit_file:src/secret/**' asks"),  # ask beats allow
    (EDIT, "src/secret/keys.py", FULL, [], "deny", "denied by rule 'edit_file:src/secret/keys.py'"),  # deny beats all
    (WRITE, "a.pem", FULL, [], "deny", "write_file:**/*.pem"),
    (WRITE, "x/y/KEY.PEM", FULL, [], "deny", "write_file:**/*.pem"),  # deny is case-insensitive
    (WRITE, "x/y.pem.txt", ASK, [], "allow", "write_file:**"),
    (WRITE, "docs/a.md", FULL, [], "ask", "write_file:docs/*.md"),
    (WRITE, "docs/sub/a.md", ASK, [], "allow", "write_file:**"),  # '*' does not cross '/'
    (WRITE, "src/a.py", RO, [], "deny", "read-only mode"),  # read-only beats allow rules
    (EDIT, "AGENTS.md", ASK, [], "ask", "protected path"),  # protection beats allow rules
    (EDIT, "AGENTS.md", ASK, ["edit_file:AGENTS.md"], "ask", "protected path"),  # ...and session rules
    (READ, "config/.env", FULL, [], "deny", "read_file:**/.env"),  # deny applies to reads
    (READ, ".env", RO, [], "deny", "read_file:**/.env"),
    (CMD, "pytest -q tests/a.py", AUTO, [], "allow", "run_command:pytest*"),  # '*' crosses '/' in commands
    (CMD, "pytest; rm -rf ~", AUTO, [], "deny", "run_command:rm *"),  # every simple command is checked
    (CMD, "pytest; ls", AUTO, [], "ask", "auto-edit mode asks before commands"),  # no chaining via allow
    (CMD, "pytest -q && pytest -x", AUTO, [], "allow", "run_command:pytest*"),  # each one allowed
    (CMD, "true && rm -rf build", FULL, [], "deny", "run_command:rm *"),
    (CMD, "echo $(rm -rf x)", FULL, [], "deny", "run_command:rm *"),
    (CMD, "sh -c 'cd a && rm -rf b'", FULL, [], "deny", "run_command:rm *"),
    (CMD, "env X=1 rm -rf b", FULL, [], "deny", "run_command:rm *"),
    (CMD, "echo 'unbalanced", FULL, [], "ask", "cannot be parsed"),
    (CMD, "$CMD x", FULL, [], "ask", "cannot be known"),
    (CMD, "pytest $(evil)", AUTO, [], "ask", "asks before commands"),
    (CMD, "rm -rf build", FULL, [], "deny", "run_command:rm *"),
    (CMD, "make", AUTO, ["run_command:make"], "allow", "session rule 'run_command:make'"),
    (CMD, "make all", AUTO, ["run_command:make"], "ask", "auto-edit"),
    (MCP, None, ASK, [], "allow", "mcp__server__tool"),
    (EDIT, "lib/x.py", ASK, ["edit_file:lib/x.py"], "allow", "session rule"),
    (EDIT, "lib/y.py", ASK, ["edit_file:lib/x.py"], "ask", "ask mode"),
]


@pytest.mark.parametrize(("tool", "target", "mode", "session", "action", "reason"), RULE_TABLE)
def test_rule_precedence(tool, target, mode, session, action, reason) -> None:
    decision = decide(tool, target, mode, RULES, session)
    assert (decision.action, reason in decision.reason) == (action, True), decision.reason


def test_move_checks_both_paths() -> None:
    rules = PermissionRules.parse(allow=["move_file:src/**"], deny=["move_file:**/*.pem"])
    assert decide(MOVE, ["src/a.py", "src/b.py"], ASK, rules).action == "allow"
    assert decide(MOVE, ["src/a.py", "lib/b.py"], ASK, rules).action == "ask"  # allow needs every target
    assert decide(MOVE, ["src/a.py", "src/k.pem"], FULL, rules).action == "deny"  # any deny denies
    assert decide(MOVE, ["src/a.py", "AGENTS.md"], FULL, rules).protected


def test_mode_cycle_and_parse() -> None:
    assert [m.value for m in PermissionMode] == ["ask", "auto-edit", "full-auto", "read-only"]
    assert ASK.next() is AUTO and AUTO.next() is FULL and FULL.next() is RO and RO.next() is ASK
    assert PermissionMode.parse(" Auto-Edit ") is AUTO
    with pytest.raises(ValueError, match="unknown permission mode 'yolo'; use one of: ask, auto-edit, full-auto, read-only"):
        PermissionMode.parse("yolo")


def test_parse_rules() -> None:
    assert parse_rule("mcp__server__tool").pattern is None
    rule = parse_rule("run_command:echo a:b")
    assert (rule.tool, rule.pattern) == ("run_command", "echo a:b")


@pytest.mark.parametrize(
    ("allow", "deny", "message"),
    [
        ([""], [], r"permissions.allow\[0\]: empty rule"),
        (["ok", "edit_file:"], [], r"permissions.allow\[1\]: 'edit_file:' has an empty pattern; drop the ':'"),
        ([], ["write file:**"], r"permissions.deny\[0\]: 'write file:\*\*' has an invalid tool name 'write file'"),
        ([], [":src/**"], r"invalid tool name ''"),
        ([], ["edit_file:/etc/**"], "relative to the workspace root"),
        ([], ["edit_file:../x"], "relative to the workspace root"),
        ([3], [], "a rule must be a string"),
        ("edit_file:src/**", [], "must be a list of rule strings"),
    ],
)
def test_malformed_rules(allow, deny, message) -> None:
    with pytest.raises(PermissionRuleError, match=message):
        PermissionRules.parse(allow=allow, deny=deny)


def test_targets_and_rule_for() -> None:
    assert target_of("read_file", {"path": "./src//a.py"}) == "src/a.py"
    assert target_of("run_command", {"command": "pytest -q"}) == "pytest -q"
    assert targets_of("move_file", {"src": "a", "dst": "b/c"}) == ["a", "b/c"]
    assert target_of("mcp__s__t", {"query": "x"}) is None
    assert target_of("read_file", {"path": "../x"}) == "../x"  # refused later by the tool
    assert rule_for(EDIT, "src/a*.py") == "edit_file:src/a\\*.py"
    assert rule_for(MCP, None) == "mcp__server__tool"
    exact = rule_for(EDIT, "src/a*.py")
    assert decide(EDIT, "src/a*.py", ASK, NO_RULES, [exact]).action == "allow"
    assert decide(EDIT, "src/abc.py", ASK, NO_RULES, [exact]).action == "ask"
    assert decide(CMD, "make test", AUTO, NO_RULES, [rule_for(CMD, "make test")]).action == "allow"
