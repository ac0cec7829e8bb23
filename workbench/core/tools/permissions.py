"""Permission modes, allow/ask/deny rules and the decision for one tool call (issue 3).

Rule strings (config ``[permissions] allow / ask / deny`` lists, and session "always allow"):

* ``"TOOL"``: any call of the tool (e.g. ``"mcp__server__tool"``, ``"read_file"``);
* ``"TOOL:GLOB"``: calls whose target matches ``GLOB`` (:mod:`workbench.core.tools.globmatch`).
  For path tools the target is the canonical workspace-relative path and ``*`` stops at ``/``
  while ``**`` crosses it (``"edit_file:src/**"``, ``"write_file:**/*.pem"``). For
  ``run_command`` the target is the command line and ``*`` matches any text (``"run_command:pytest*"``);
  an *allow* rule never matches a command containing shell control characters (``; & | ` $ > < \\n``),
  so ``pytest*`` does not allow ``pytest; rm -rf ~``.

Deny and ask rules match paths case-insensitively (so ``**/*.pem`` also stops ``KEY.PEM`` on a
case-insensitive filesystem); allow rules match exactly.

Order of :func:`decide`: deny rules -> read-only mode -> protected paths -> ask rules -> allow rules
(config, then session) -> mode default. Deny always wins; a protected path always asks (even in
``full-auto`` and even with an allow rule) unless denied.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:  # base pulls in jsonschema; the config validates rules without it
    from workbench.core.tools.base import ToolSpec
from workbench.core.tools.globmatch import escape_glob, glob_match
from workbench.core.tools.pathguard import PathRefused, is_protected, normalize_relative

_TOOL_NAME = re.compile(r"^[A-Za-z0-9_.\-]{1,128}$")
_SHELL_CONTROL = re.compile(r"[;&|`$<>\n\r]")
COMMAND_TOOLS = frozenset({"run_command"})
"""Tools whose target is a command line rather than a path."""


class PermissionRuleError(ValueError):
    """A permission rule string is malformed; the message names the list, index and fix."""


class PermissionMode(str, Enum):
    """How much runs without asking.

    ``ask``: reads run, every write and command asks. ``auto-edit``: writes run, commands ask.
    ``full-auto``: everything runs (commands only ever in the sandbox). ``read-only``: writes and
    commands are denied (planning).
    """

    ASK = "ask"
    AUTO_EDIT = "auto-edit"
    FULL_AUTO = "full-auto"
    READ_ONLY = "read-only"

    def next(self) -> PermissionMode:
        """Return the next mode in the ``shift+tab`` cycle (ask -> auto-edit -> full-auto -> read-only -> ask)."""
        order = list(PermissionMode)
        return order[(order.index(self) + 1) % len(order)]

    @classmethod
    def parse(cls, name: str) -> PermissionMode:
        """Parse a mode name (as on the CLI ``--mode`` or ``/mode``).

        Raises:
            ValueError: Unknown name; the message lists the valid ones.
        """
        try:
            return cls(name.strip().lower())
        except ValueError:
            valid = ", ".join(m.value for m in cls)
            raise ValueError(f"unknown permission mode {name!r}; use one of: {valid}") from None


@dataclass(frozen=True)
class Rule:
    """One parsed rule.

    Attributes:
        tool: Tool name, matched exactly.
        pattern: Glob for the target, or None for any call of the tool.
        text: The original rule string (for messages).
    """

    tool: str
    pattern: str | None
    text: str

    def matches(self, tool: str, target: str | None, *, fold_case: bool = False, allow: bool = False) -> bool:
        """Tell whether this rule covers a call of ``tool`` on ``target``.

        Args:
            tool: Tool name.
            target: From :func:`target_of` (None when the tool has no target).
            fold_case: Match paths case-insensitively (deny and ask rules).
            allow: Apply the allow-rule restriction for commands with shell control characters.
        """
        if tool != self.tool:
            return False
        if self.pattern is None:
            return True
        if target is None:
            return False
        if tool in COMMAND_TOOLS:
            if allow and _SHELL_CONTROL.search(target):
                return False
            return glob_match(self.pattern, target, path_mode=False)
        return glob_match(self.pattern, target, ignore_case=fold_case)


def parse_rule(text: str, where: str = "rule") -> Rule:
    """Parse ``"TOOL"`` or ``"TOOL:GLOB"``.

    Args:
        text: The rule string.
        where: Where it came from, for the error (e.g. ``"permissions.allow[2]"``).

    Raises:
        PermissionRuleError: Not a string, empty, bad tool name, empty pattern, or a path pattern
            with an absolute or ``..`` form (it could never match a tool path).
    """
    if not isinstance(text, str):
        raise PermissionRuleError(f"{where}: a rule must be a string like 'edit_file:src/**', got {text!r}")
    stripped = text.strip()
    if not stripped:
        raise PermissionRuleError(f"{where}: empty rule; write 'TOOL' or 'TOOL:PATTERN', e.g. 'edit_file:src/**'")
    tool, colon, pattern = stripped.partition(":")
    tool = tool.strip()
    if not _TOOL_NAME.match(tool):
        raise PermissionRuleError(
            f"{where}: {text!r} has an invalid tool name {tool!r}; use letters, digits, '_', '-' or '.', "
            "e.g. 'write_file:**/*.pem' or 'mcp__server__tool'"
        )
    if not colon:
        return Rule(tool, None, text)
    if not pattern:
        raise PermissionRuleError(f"{where}: {text!r} has an empty pattern; drop the ':' to match any call of {tool}")
    if tool not in COMMAND_TOOLS and (pattern.startswith("/") or ".." in pattern.split("/")):
        raise PermissionRuleError(
            f"{where}: {text!r}: path patterns are relative to the workspace root, without '/' at the start or '..'"
        )
    return Rule(tool, pattern, text)


@dataclass(frozen=True)
class PermissionRules:
    """The configured rules, checked deny -> ask -> allow.

    Attributes:
        allow: Calls that run without asking (unless denied, protected or in read-only mode).
        ask: Calls that always ask.
        deny: Calls that are always refused.
    """

    allow: tuple[Rule, ...] = ()
    ask: tuple[Rule, ...] = ()
    deny: tuple[Rule, ...] = ()

    @classmethod
    def parse(
        cls, allow: Iterable[str] = (), ask: Iterable[str] = (), deny: Iterable[str] = (), source: str = "permissions"
    ) -> PermissionRules:
        """Parse rule string lists (from config).

        Args:
            allow: Allow rule strings.
            ask: Ask rule strings.
            deny: Deny rule strings.
            source: Prefix for error locations, e.g. ``".workbench/config.toml [permissions]"``.

        Raises:
            PermissionRuleError: The first malformed rule, located as ``SOURCE.deny[i]``.
        """

        def many(name: str, items: Iterable[str]) -> tuple[Rule, ...]:
            if isinstance(items, str):
                raise PermissionRuleError(f"{source}.{name} must be a list of rule strings, got a single string")
            return tuple(parse_rule(t, f"{source}.{name}[{i}]") for i, t in enumerate(items))

        return cls(allow=many("allow", allow), ask=many("ask", ask), deny=many("deny", deny))

    def denied_tools(self) -> frozenset[str]:
        """Names of tools a deny rule refuses whole (``"TOOL"`` without a pattern): not offered to the model."""
        return frozenset(r.tool for r in self.deny if r.pattern is None)


@dataclass(frozen=True)
class Decision:
    """What to do with one tool call.

    Attributes:
        action: ``"allow"``, ``"ask"`` or ``"deny"``.
        reason: Human-readable why (shown in the modal / sent to the model on deny).
        protected: True when a protected path forced the ask (the modal should not offer "always allow").
    """

    action: Literal["allow", "ask", "deny"]
    reason: str
    protected: bool = False


def targets_of(tool_name: str, args: dict[str, Any]) -> list[str]:
    """Return every target of a call: canonical paths (``path``, ``src``, ``dst``) or the ``command``.

    A path the guard would refuse is returned as given (the tool refuses it when run).
    """
    if "command" in args and isinstance(args["command"], str):
        return [args["command"]]
    out = []
    for key in ("path", "src", "dst"):
        value = args.get(key)
        if isinstance(value, str):
            try:
                out.append(normalize_relative(value))
            except PathRefused:
                out.append(value)
    return out


def target_of(tool_name: str, args: dict[str, Any]) -> str | None:
    """Return the main target of a call (the path, the source of a move, or the command), or None."""
    targets = targets_of(tool_name, args)
    return targets[0] if targets else None


def rule_for(tool: ToolSpec | str, target: str | None) -> str:
    """Build the "always allow" rule for key ``a``: exactly this tool on exactly this target.

    Glob characters in the target are escaped, so the rule matches only that path or command.
    """
    name = tool if isinstance(tool, str) else tool.name
    return name if target is None else f"{name}:{escape_glob(target)}"


def decide(
    tool: ToolSpec,
    target: str | Sequence[str] | None,
    mode: PermissionMode,
    rules: PermissionRules,
    session_allow: Sequence[str] = (),
    extra_protected: Collection[str] = (),
) -> Decision:
    """Decide whether a tool call runs, asks or is refused.

    Args:
        tool: The tool's spec (``kind`` and ``mutates`` drive the mode defaults).
        target: From :func:`target_of`, or all of :func:`targets_of` (a move has two paths: each is
            checked; any deny denies, any ask asks, allow needs every target allowed).
        mode: Current permission mode.
        rules: Configured rules.
        session_allow: Rule strings added with "always allow" this session.
        extra_protected: More protected workspace-relative paths (casefolded), e.g. the scripts
            trusted MCP servers run (:mod:`workbench.core.guard.protected`).

    Returns:
        The decision with its reason.

    Raises:
        PermissionRuleError: A session rule is malformed.
    """
    targets: list[str | None] = [target] if target is None or isinstance(target, str) else list(target) or [None]
    name = tool.name
    if name in COMMAND_TOOLS:
        return _decide_command(tool, targets[0], mode, rules, session_allow, extra_protected)
    for rule in rules.deny:
        if any(rule.matches(name, t, fold_case=True) for t in targets):
            return Decision("deny", f"denied by rule {rule.text!r}")
    writes = tool.kind in ("write", "command") or tool.mutates
    if mode is PermissionMode.READ_ONLY and writes:
        what = "commands" if tool.kind == "command" else "file changes"
        return Decision("deny", f"read-only mode: {what} are not allowed (switch mode with shift+tab or /mode)")
    if writes and tool.kind != "command":
        protected = [t for t in targets if t is not None and is_protected(t, extra_protected)]
        if protected:
            return Decision("ask", f"{protected[0]!r} is a protected path: it always needs your approval", True)
    for rule in rules.ask:
        if any(rule.matches(name, t, fold_case=True) for t in targets):
            return Decision("ask", f"rule {rule.text!r} asks")
    session = [parse_rule(s, f"session_allow[{i}]") for i, s in enumerate(session_allow)]
    for label, group in (("rule", rules.allow), ("session rule", session)):
        for rule in group:
            if all(rule.matches(name, t, allow=True) for t in targets):
                return Decision("allow", f"allowed by {label} {rule.text!r}")
    if not writes:
        return Decision("allow", "read-only tools run in every mode")
    if mode is PermissionMode.FULL_AUTO:
        return Decision("allow", "full-auto mode")
    if mode is PermissionMode.AUTO_EDIT:
        if tool.kind == "command":
            return Decision("ask", "auto-edit mode asks before commands")
        return Decision("allow", "auto-edit mode allows file changes")
    return Decision("ask", "ask mode asks before every change")


def _decide_command(
    tool: ToolSpec,
    line: str | None,
    mode: PermissionMode,
    rules: PermissionRules,
    session_allow: Sequence[str],
    extra_protected: Collection[str] = (),
) -> Decision:
    """Decide a ``run_command`` call on every simple command of its line (see module doc).

    Deny if the whole line or any simple command matches a deny rule; read-only mode denies;
    ask if the line cannot be parsed, a command is opaque, or any command matches an ask rule;
    allow by rules only when *every* simple command matches some allow rule; else the mode decides.
    """
    from workbench.core.tools.shellsplit import UnparsableCommand, split_commands

    name = tool.name
    text = line or ""
    try:
        commands = split_commands(text)
        problem: str | None = None
    except UnparsableCommand as exc:
        commands, problem = [], str(exc)
    pieces = [text, *(c.text for c in commands)]
    for rule in rules.deny:
        for piece in pieces:
            if rule.matches(name, piece, fold_case=True):
                shown = "" if piece == text else f" (on the command {piece!r})"
                return Decision("deny", f"denied by rule {rule.text!r}{shown}")
    if mode is PermissionMode.READ_ONLY:
        return Decision("deny", "read-only mode: commands are not allowed (switch mode with shift+tab or /mode)")
    if problem is not None:
        return Decision("ask", f"{problem}; a command that cannot be parsed always asks", True)
    opaque = [c.text for c in commands if c.opaque]
    if opaque:
        return Decision("ask", f"what {opaque[0]!r} runs cannot be known from the text; it always asks", True)
    for rule in rules.ask:
        if any(rule.matches(name, piece, fold_case=True) for piece in pieces):
            return Decision("ask", f"rule {rule.text!r} asks")
    session = [parse_rule(s, f"session_allow[{i}]") for i, s in enumerate(session_allow)]
    if commands:
        for label, group in (("rule", rules.allow), ("session rule", session)):
            used: list[str] = []
            for c in commands:
                hit = next((r for r in group if r.matches(name, c.text, allow=True)), None)
                if hit is None:
                    break
                if hit.text not in used:
                    used.append(hit.text)
            else:
                shown = ", ".join(repr(u) for u in used)
                return Decision("allow", f"allowed by {label}{'s' if len(used) > 1 else ''} {shown}")
        # the "always allow" rule of this exact line (escaped) still allows it again
        for rule in session:
            if rule.matches(name, text) and rule.pattern == escape_glob(text):
                return Decision("allow", f"allowed by session rule {rule.text!r}")
    if mode is PermissionMode.FULL_AUTO:
        return Decision("allow", "full-auto mode")
    if mode is PermissionMode.AUTO_EDIT:
        return Decision("ask", "auto-edit mode asks before commands")
    return Decision("ask", "ask mode asks before every change")
