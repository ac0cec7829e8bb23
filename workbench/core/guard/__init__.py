"""Protected paths against every writer: which they are, the read-only sandbox mounts, and the
check after each tool call that reverts unapproved changes (issue 21 item 2)."""

from workbench.core.guard.check import ProtectedGuard, Verdict

__all__ = ["ProtectedGuard", "Verdict"]
