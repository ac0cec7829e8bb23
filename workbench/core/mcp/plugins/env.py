"""The explicit environment of plugin processes.

A plugin never inherits the whole host environment (API keys, tokens and cloud credentials live
there). It gets a small safe set copied from the host plus exactly what its config names in
``env`` (where ``${VAR}`` hands over a chosen host variable, see
:func:`workbench.core.mcp.plugins.plugin_config.expand_vars`).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

POSIX_SAFE_KEYS: tuple[str, ...] = (
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "SHELL",
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
    "TERM",
    "TMPDIR",
    "TZ",
)
"""Host variables copied on POSIX: where programs and the home are, locale, terminal, temp dir."""

WINDOWS_SAFE_KEYS: tuple[str, ...] = (
    "PATH",
    "PATHEXT",
    "SYSTEMROOT",
    "SYSTEMDRIVE",
    "WINDIR",
    "COMSPEC",
    "TEMP",
    "TMP",
    "USERNAME",
    "USERPROFILE",
    "HOMEDRIVE",
    "HOMEPATH",
    "APPDATA",
    "LOCALAPPDATA",
    "PROGRAMFILES",
    "PROCESSOR_ARCHITECTURE",
)
"""Host variables copied on Windows (many programs fail without SYSTEMROOT or APPDATA)."""


def safe_keys() -> tuple[str, ...]:
    """Return the host variable names copied for this platform."""
    return WINDOWS_SAFE_KEYS if sys.platform == "win32" else POSIX_SAFE_KEYS


def build_plugin_env(
    extra: Mapping[str, str] | None = None,
    host: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Return the full environment for a plugin process.

    Args:
        extra: the plugin's configured ``env`` (already expanded); it overrides the safe set.
        host: the host environment to copy the safe keys from (default ``os.environ``).

    Returns:
        ``{safe keys present on the host} | extra``. Values that look like exported shell
        functions (``() {...``) are skipped.
    """
    src = os.environ if host is None else host
    env = {k: src[k] for k in safe_keys() if k in src and not src[k].startswith("()")}
    env.update(extra or {})
    return env
