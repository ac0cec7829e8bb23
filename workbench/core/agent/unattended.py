"""Approvals in a run nobody watches (``workbench run``): deny, tell the model why, remember.

A call that would ask for an approval is denied with a reason that says nobody can approve in
this headless run and how the user can allow it; :attr:`UnattendedApprover.denied` keeps every
such call for the summary printed at the end (:func:`denied_summary`).

How to allow a call follows :func:`workbench.core.tools.permissions.decide`: file changes run in
``auto-edit`` (``--yes`` in ``ask`` mode means the same), commands in ``full-auto``, a
``[permissions] allow`` rule allows one tool/target in every mode, and a protected path always
needs a person (the TUI).
"""

from __future__ import annotations

from dataclasses import dataclass

from workbench.core.agent.approvals import ApprovalDecision, ApprovalRequest


@dataclass(frozen=True)
class DeniedCall:
    """One call denied because nobody could approve it.

    Attributes:
        tool: the tool's name.
        reason: why it needed an approval (mode, ask rule, protected path).
        how: how to allow it next time (one sentence, names the flag or the rule).
        rule: the ``[permissions] allow`` rule that would allow exactly this call, if any.
    """

    tool: str
    reason: str
    how: str
    rule: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        """``{"tool", "reason", "how", "rule"}`` (for the ``--json`` result event)."""
        return {"tool": self.tool, "reason": self.reason, "how": self.how, "rule": self.rule}


def how_to_allow(request: ApprovalRequest) -> str:
    """One sentence telling the user how to let ``request`` run in a headless run."""
    if request.protected:
        return "it touches a protected path, which always needs a person: run it in the TUI (`workbench resume`)"
    rule = (
        (
            f' or pass --allowed-tools "{request.rule}" (or add allow = ["{request.rule}"] under [permissions] '
            "in .workbench/config.toml)"
        )
        if request.rule
        else ""
    )
    if request.reason.startswith("rule "):
        return f"a [permissions] ask rule matches it: remove that rule{rule}"
    if request.kind == "command":
        return f"re-run with --mode full-auto (commands run in the sandbox){rule}"
    return f"re-run with --yes or --mode auto-edit{rule}"


class UnattendedApprover:
    """Approver for headless runs: denies every request and records it in :attr:`denied`."""

    def __init__(self) -> None:
        self.denied: list[DeniedCall] = []

    async def __call__(self, request: ApprovalRequest) -> ApprovalDecision:
        """Deny ``request`` with a reason the model can relay to the user."""
        how = how_to_allow(request)
        self.denied.append(DeniedCall(request.tool, request.reason, how, request.rule))
        return ApprovalDecision(
            "deny",
            f"nobody can approve tool calls in this headless `workbench run`, so {request.tool} was not run "
            f"({request.reason}). Do not retry it; say what you would change instead. The user can allow it: {how}.",
            by="headless",
        )


def denied_summary(denied: list[DeniedCall]) -> str:
    """The end-of-run summary for stderr (empty when nothing was denied)."""
    if not denied:
        return ""
    lines = [f"workbench: {len(denied)} tool call(s) needed an approval and were denied (nobody can approve in a headless run):"]
    lines += [f"  - {d.tool}: {d.reason}; to allow: {d.how}" for d in denied]
    return "\n".join(lines)
