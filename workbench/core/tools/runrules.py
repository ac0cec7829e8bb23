"""Per-run tool rules: ``workbench run --allowed-tools / --disallowed-tools`` (like ``claude -p``).

Each flag takes rules in the ``[permissions]`` syntax (:func:`~workbench.core.tools.permissions.parse_rule`:
``"TOOL"`` or ``"TOOL:GLOB"``), comma-separated and/or repeated: ``--allowed-tools
"read_file,grep,run_command:pytest *"``. A rule holding a comma cannot be given on the command
line (write it under ``[permissions]`` instead).

Semantics (added to the effective ``[permissions]`` for this run only, never written anywhere):

* ``--allowed-tools``: calls matching a rule run without asking. They go through the same
  :func:`~workbench.core.tools.permissions.decide` as config allow rules, so they never widen
  what the policy forbids: deny rules win, ``--mode read-only`` still refuses changes, a
  protected path (``.workbench/config.toml``, ``.mcp.json``, ``AGENTS.md``, ``.git/``, the
  scripts of trusted MCP servers) still needs a person, a command with shell control characters (``;``, ``|``, ``$``...) is not
  matched by an allow pattern, ``run_command`` only ever runs in the sandbox, and an untrusted
  workspace's MCP servers do not start (their tools do not exist to allow).
* ``--disallowed-tools``: calls matching a rule are refused (and reported to the model as
  denied). A rule without a pattern also removes the tool from the ``tools`` offered to the model
  (:meth:`~workbench.core.tools.permissions.PermissionRules.denied_tools`).
* Deny wins over allow (the order of ``decide``).
"""

from __future__ import annotations

from collections.abc import Iterable

from workbench.core.tools.permissions import PermissionRuleError, parse_rule

ALLOWED_FLAG = "--allowed-tools"
DISALLOWED_FLAG = "--disallowed-tools"


def split_flag_rules(values: Iterable[str] | None, flag: str) -> list[str]:
    """Split and check the values of one flag; return the rule strings in order.

    Args:
        values: each occurrence of the flag (``None`` when absent); each value holds one or
            more rules separated by commas.
        flag: the flag's name, for messages (:data:`ALLOWED_FLAG` or :data:`DISALLOWED_FLAG`).

    Raises:
        PermissionRuleError: a malformed rule; the message names the flag and the rule, e.g.
            ``--allowed-tools: 'run command' has an invalid tool name ...``.
    """
    rules: list[str] = []
    for value in values or ():
        pieces = [piece.strip() for piece in value.split(",")]
        if not any(pieces):
            raise PermissionRuleError(f"{flag}: empty value; give rules like 'read_file,run_command:pytest *'")
        for piece in pieces:
            if not piece:
                raise PermissionRuleError(f"{flag}: {value!r} has an empty rule between commas")
            parse_rule(piece, flag)
            rules.append(piece)
    return rules


def apply_run_rules(permissions: object, allowed: list[str], disallowed: list[str]) -> None:
    """Add the flags' rules to ``permissions`` (a ``PermissionSettings``) for this run.

    The rules are appended after the configured ones; order does not matter to
    :func:`~workbench.core.tools.permissions.decide` (deny, then ask, then allow).
    """
    permissions.allow = [*permissions.allow, *allowed]  # type: ignore[attr-defined]
    permissions.deny = [*permissions.deny, *disallowed]  # type: ignore[attr-defined]
